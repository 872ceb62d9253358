"""Recertification and due dates (course.recert): a learner's state over time with a frozen clock,
one recertification sitting per pass that fell due with the old record kept, cohorts' due dates
for lessons and the final assessment, and `course due` on the seeded store.

The clock is the ``now`` each call is given; sittings are stored at chosen times (tests/seed.py).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from course import recert
from course.bank import load_course
from course.cli import main
from course.progress import final_result
from course.session import CourseSession
from course.store import ResultsStore
from sample_banks import FINAL, PRACTICE, RIGHT
from seed import sit

WRONG = {**RIGHT, "f-safe": False}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture
def course(tmp_path):
    folder = tmp_path / "quizzes"
    folder.mkdir()
    (folder / "basics.yaml").write_text(PRACTICE, encoding="utf-8")
    (folder / "final.yaml").write_text(FINAL, encoding="utf-8")
    return load_course(folder)


@pytest.fixture
def records(store):
    """The results store (tests/conftest.py's ``store``) that the records are kept in."""
    return store


def state(course, store, when):
    return recert.status(course, store, "Ann Nurse", now=at(when))


def test_defaults_and_settings_are_stored_and_audited(records):
    assert recert.policy(records) == recert.Policy(12, 30, 30)
    records.set_setting("valid_months", 24, by="Tess Trainer")
    records.set_setting("valid_months", 24, by="Tess Trainer")  # unchanged: not audited again
    assert recert.policy(records) == recert.Policy(24, 30, 30)
    entries = records.audit(action="setting")
    assert [(e.actor, e.subject, e.before, e.after) for e in entries] == [("Tess Trainer", "valid_months", {"valid_months": None}, {"valid_months": 24})]
    with pytest.raises(ValueError, match="valid_months must be a whole number"):
        recert.check_setting("valid_months", -1)


def test_add_months_keeps_the_day_or_the_month_end():
    assert recert.add_months(at("2026-03-15T10:00"), 12) == at("2027-03-15T10:00")
    assert recert.add_months(at("2026-01-31T00:00"), 1) == at("2026-02-28T00:00")
    assert recert.add_months(at("2024-02-29T00:00"), 12) == at("2025-02-28T00:00")


def test_current_due_soon_overdue_expired_then_recertified_with_history_kept(course, records):
    records.ensure_learner("Ann Nurse", "nurses")
    first = sit(records, course, "Ann Nurse", "final", RIGHT, when=at("2026-01-10T09:00"))
    assert state(course, records, "2026-06-01").status == "current"
    due = state(course, records, "2026-06-01")
    assert due.valid_until == at("2027-01-10T09:00") and due.passed_at == at("2026-01-10T09:00") and not due.may_recertify

    # recertification is due 30 days before the pass expires (11 December), due soon 30 days before that;
    # a cohort's due date for the final assessment is for a first pass and does not move it
    records.set_due_date("nurses", "final", at("2026-06-15T00:00"), by="Tess Trainer")
    assert state(course, records, "2026-11-01").status == "current"
    soon = state(course, records, "2026-11-20")
    assert (soon.status, soon.due_at) == ("due soon", at("2026-12-11T09:00")) and soon.may_recertify
    assert "recertify" in soon.action and "11 December 2026" in soon.action
    late = state(course, records, "2026-12-20")
    assert (late.status, late.due_at, late.valid_until) == ("overdue", at("2026-12-11T09:00"), at("2027-01-10T09:00"))
    gone = state(course, records, "2027-01-11")
    assert gone.status == "expired" and "expired on 10 January 2027" in gone.action

    # not due yet: no new sitting without a trainer's retake
    session = CourseSession(course, records, "Ann Nurse")
    assert session.sitting("final", now=at("2026-06-01")).state == "submitted"
    # expired: one recertification sitting, no retake needed; opening it twice is the same sitting
    opened = session.sitting("final", now=at("2027-01-11"))
    assert opened.state == "open" and opened.number == 1
    assert session.sitting("final", now=at("2027-01-11")).sitting == opened.sitting
    assert records.retakes_allowed("Ann Nurse", "final") == 0 and records.recertifications("Ann Nurse", "final") == 1
    second = sit(records, course, "Ann Nurse", "final", RIGHT, when=at("2027-01-12T10:00"))  # the sitting opened above, answered then
    assert second.submission == opened.sitting

    renewed = state(course, records, "2027-01-13")
    assert (renewed.status, renewed.passed_at, renewed.valid_until) == ("current", at("2027-01-12T10:00"), at("2028-01-12T10:00"))
    history = recert.passes(course, records, "Ann Nurse")
    assert [p.submission for p in history] == [first.submission, second.submission]
    assert [s.number for s in records.sittings("Ann Nurse", "final")] == [0, 1]
    result = final_result(course, records, "Ann Nurse")
    assert result.passed and result.irregular is None and result.sitting == 2
    # the new pass is current: no further sitting until it falls due
    assert session.sitting("final", now=at("2027-06-01")).state == "submitted"
    assert state(course, records, "2027-11-20").status == "due soon"


def test_exactly_one_recertification_sitting_per_pass(course, records):
    first = sit(records, course, "Ann Nurse", "final", RIGHT, when=at("2026-01-10T09:00"))
    session = CourseSession(course, records, "Ann Nurse")
    renews = recert.renewable(course, records, "Ann Nurse", now=at("2027-01-02"))  # overdue: recertification was due on 11 December
    assert renews == first.submission
    sit(records, course, "Ann Nurse", "final", WRONG, when=at("2027-01-03T09:00"), renews=renews)
    assert session.sitting("final", now=at("2027-02-01")).state == "submitted"  # failed: the one recertification sitting is used
    assert records.open_sitting("Ann Nurse", "final", lambda n: list(RIGHT), renews=renews) is None  # the same pass cannot renew twice
    assert state(course, records, "2027-02-01").status == "expired"  # the old pass still counts for history, not as valid
    records.allow_retake("Ann Nurse", "final", trainer="Tess Trainer")  # a failed recertification needs a trainer, as a first fail does
    assert session.sitting("final", now=at("2027-02-01")).state == "open"
    assert final_result(course, records, "Ann Nurse").irregular is None


def test_a_learner_never_trained_against_a_cohort_due_date(course, records):
    records.ensure_learner("Ann Nurse", "nurses")
    assert state(course, records, "2026-01-01").status == "not trained"
    records.set_due_date("nurses", "final", at("2026-03-01"), by="Tess Trainer")
    records.set_due_date("nurses", "basics", at("2026-02-01"), by="Tess Trainer")
    early = state(course, records, "2026-01-01")
    assert (early.status, early.due_at) == ("not trained", at("2026-02-01"))  # the earliest date not met
    lesson = state(course, records, "2026-01-20")
    assert (lesson.status, lesson.lessons) == ("due soon", ("basics",)) and "The basics" in lesson.action
    over = state(course, records, "2026-02-10")
    assert over.status == "overdue" and over.lessons == ("basics",)
    assert state(course, records, "2026-03-02").final_status == "overdue"
    records.set_due_date("nurses", "final", None, by="Tess Trainer")  # cleared
    assert [d.quiz for d in records.due_dates("nurses")] == ["basics"]
    assert [e.after for e in records.audit(action="due_date")][-1] == {"cohort": "nurses", "quiz": "final", "due": None}


def test_statuses_agree_with_status_and_put_the_most_urgent_first(course, records):
    records.ensure_learner("Ann Nurse", "nurses")
    records.ensure_learner("Bob Desk", "desk")
    sit(records, course, "Ann Nurse", "final", RIGHT, when=at("2025-01-10T09:00"))
    sit(records, course, "Bob Desk", "final", RIGHT, when=at("2026-05-10T09:00"))
    now = at("2026-06-01")
    everyone = {d.learner: d for d in recert.statuses(course, records, now=now)}
    assert everyone == {name: recert.status(course, records, name, now=now) for name in ("Ann Nurse", "Bob Desk")}
    frame = recert.table(course, records, now=now)
    assert list(frame["learner"]) == ["Ann Nurse", "Bob Desk"] and list(frame["training_status"]) == ["expired", "current"]
    assert list(recert.table(course, records, now=now, must_act=True)["learner"]) == ["Ann Nurse"]


def test_learner_note_on_the_course_home(course, records):
    assert recert.learner_note(course, records, "Ann Nurse", now=at("2026-01-01")) is None
    sit(records, course, "Ann Nurse", "final", RIGHT, when=at("2026-01-10T09:00"))
    assert recert.learner_note(course, records, "Ann Nurse", now=at("2026-02-01")) == "Your training is up to date: your pass is valid until 10 January 2027."
    note = recert.learner_note(course, records, "Ann Nurse", now=at("2027-01-20"))
    assert note.startswith("Expired: please sit the final assessment again") and note.endswith("You may sit the final assessment again now.")


# --- `course due` on the seeded store ------------------------------------------------------------

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    import seed

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "var"))
    for name in ("COURSE_DB_URL", "COURSE_SERVICE_URL", "COURSE_QUIZZES_DIR"):
        monkeypatch.delenv(name, raising=False)
    with ResultsStore() as store:
        seed.seed(store, load_course(ROOT / "quizzes"))
    return tmp_path


def test_course_due_on_the_seeded_store(seeded, capsys):
    import seed

    assert main(["due"]) == 0
    out = capsys.readouterr().out
    # Ann passed today: current, so not listed; everyone else has not passed (not trained)
    assert seed.ANN not in out and all(name in out for name in (seed.BOB, seed.CARLA, seed.EVE))
    assert "4 not trained" in out
    assert main(["due", "--all"]) == 0
    assert seed.ANN in capsys.readouterr().out

    # the trainer sets the nurses' due date (Carla has not passed; Ann's recertification is due 30 days
    # before her pass expires, at about day 335), then reads the states at later moments
    from datetime import timedelta

    today = datetime.now(timezone.utc)
    day = lambda days: (today + timedelta(days=days)).strftime("%Y-%m-%d")  # noqa: E731
    assert main(["due", "--cohort", seed.NURSES, "--set", day(340)]) == 1
    assert "--trainer" in capsys.readouterr().err
    assert main(["due", "--cohort", seed.NURSES, "--set", day(340), "--trainer", "Tess Trainer"]) == 0
    assert f"due {day(340)} 23:59 UTC" in capsys.readouterr().out

    def states(days):
        assert main(["due", "--all", "--format", "csv", "--at", day(days), "--cohort", seed.NURSES]) == 0
        return {r["learner"]: r["training_status"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}

    assert states(100) == {seed.ANN: "current", seed.CARLA: "not trained"}
    assert states(320) == {seed.ANN: "due soon", seed.CARLA: "due soon"}
    assert states(350) == {seed.ANN: "overdue", seed.CARLA: "overdue"}
    assert states(370) == {seed.ANN: "expired", seed.CARLA: "overdue"}
    assert main(["due", "--at", day(370)]) == 0
    out = capsys.readouterr().out
    assert out.index(seed.ANN) < out.index(seed.CARLA)  # the most urgent first
    with ResultsStore() as store:
        assert [e.action for e in store.audit(action="due_date")] == ["due_date"]

    assert main(["due", "--valid-for", "24", "--due-soon", "14", "--trainer", "Tess Trainer"]) == 0
    assert capsys.readouterr().out.splitlines() == ["valid months: 24 (set by Tess Trainer)", "due soon days: 14 (set by Tess Trainer)"]
    assert states(370)[seed.ANN] == "current"  # valid for 24 months now


def test_course_due_refuses_bad_input(seeded, capsys):
    import seed

    cases = [
        (["due", "--cohort", "nope", "--set", "2030-01-01", "--trainer", "T"], "there is no cohort 'nope'"),
        (["due", "--cohort", seed.NURSES, "--set", "2030-13-45", "--trainer", "T"], "--set: not a date"),
        (["due", "--cohort", seed.NURSES, "--set", "2030-01-01", "--quiz", "nope", "--trainer", "T"], "there is no quiz 'nope'"),
        (["due", "--set", "2030-01-01", "--trainer", "T"], "--set needs --cohort"),
        (["due", "--valid-for", "-3", "--trainer", "T"], "valid_months must be a whole number"),
        (["due", "--learner", "Nobody"], "there is no learner named 'Nobody'"),
        (["due", "--quiz", "history"], "--quiz goes with --set"),
    ]
    for argv, message in cases:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("course due: ") and message in err, (argv, err)
    with ResultsStore() as store:
        assert store.due_dates() == [] and store.settings() == {}


def test_a_version_3_database_gains_the_version_4_tables(store_url, tmp_path):
    from sqlalchemy import create_engine, inspect

    from course import store as store_module

    if store_url.startswith("sqlite:///"):
        __import__("pathlib").Path(store_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(store_url)
    with engine.begin() as conn:
        for step in store_module.MIGRATIONS[:3]:
            step(conn)
        conn.execute(store_module.schema_info.insert().values(version=3))
    engine.dispose()
    with ResultsStore(store_url, outbox=tmp_path / "o.jsonl") as migrated:
        assert migrated.schema_version() == store_module.SCHEMA_VERSION
        assert migrated.settings() == {} and migrated.certificates() == [] and migrated.due_dates() == []
        assert {"settings", "due_dates", "certificates", "revocations", "recertifications"} <= set(inspect(migrated.engine).get_table_names())


def test_the_course_home_and_the_dashboard_show_the_states(course, records):
    from datetime import timedelta

    from course import wire
    from course.dashboard import Dashboard
    from course.progress import course_home
    from course.widgets import _home_html

    now = datetime.now(timezone.utc)
    records.ensure_learner("Ann Nurse", "nurses")
    records.ensure_learner("Dev <b>Bold</b>", None)
    sit(records, course, "Ann Nurse", "final", RIGHT, when=now - timedelta(days=400))
    home = course_home(course, records, "Ann Nurse")
    assert home.due.startswith("Expired: please sit the final assessment again")
    assert wire.home_from_json(wire.home_to_json(home)) == home  # the same on JupyterHub
    page = _home_html(CourseSession(course, records, "Ann Nurse"))
    assert 'class="quiz-home-due quiz-home-due-urgent" role="alert">Expired:' in page
    dash = Dashboard(records, course)
    shown = "".join(child.value for child in dash.overview.children if hasattr(child, "value"))
    assert "<h3>Training status</h3>" in shown and "1 expired, 1 not trained" in shown
    assert "Dev &lt;b&gt;Bold&lt;/b&gt;" in shown and "<b>Bold</b>" not in shown


def test_course_due_csv_and_table_make_learners_text_safe(records, course, capsys):
    records.ensure_learner('=HYPERLINK("http://evil","x")', "+nurses")
    records.ensure_learner("Esc\x1b]0;owned\x07 Name", "+nurses")
    assert main(["due", "--format", "csv", "--db", records.url]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["learner"] for r in rows} >= {"'=HYPERLINK(\"http://evil\",\"x\")"} and {r["cohort"] for r in rows} == {"'+nurses"}
    assert main(["due", "--db", records.url]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b]0;owned\\x07" in out


def test_the_dashboards_audit_names_the_new_actions(course, records):
    from course.dashboard import Dashboard

    records.ensure_learner("Ann Nurse", "nurses")
    records.set_due_date("nurses", "final", datetime(2027, 1, 31, tzinfo=timezone.utc), by="Tess Trainer")
    records.set_setting("valid_months", 24, by="Tess Trainer")
    dash = Dashboard(records, course)
    shown = "".join(child.value for child in dash.audit.children if hasattr(child, "value"))
    assert "set a due date" in shown and "cohort: nurses; quiz: final; due none → 2027-01-31" in shown and "changed a course setting" in shown


def test_a_refresher_lesson_before_the_recertification_sitting(course, records, capsys):
    from course.records import Attempt

    records.ensure_learner("Ann Nurse", "nurses")
    sit(records, course, "Ann Nurse", "final", RIGHT, when=at("2026-01-10T09:00"))
    # before the pass: the learner did the lesson once
    records.record(Attempt("Ann Nurse", "basics", "b-tf", "true_false", "v", "practice", True, 1.0, 1.0, True, answered_at=at("2026-01-05T09:00")))
    assert main(["due", "--refresher", "nope", "--trainer", "T", "--db", records.url]) == 1
    assert "'nope' is not a lesson's practice quiz" in capsys.readouterr().err
    records.set_setting("refresher_lessons", ["basics"], by="Tess Trainer")
    assert recert.policy(records).refresher_lessons == ("basics",)

    session = CourseSession(course, records, "Ann Nurse")
    due = state(course, records, "2026-11-20")  # the window opened on 11 November
    assert due.status == "due soon" and due.refresher == ("basics",)
    assert "do the refresher lesson 'The basics', then sit the final assessment again" in due.action
    locked = session.sitting("final", now=at("2026-11-20"))
    assert locked.state == "locked" and locked.reasons == ("The basics (a refresher: answer each of its questions again)",)
    assert records.recertifications("Ann Nurse", "final") == 0  # nothing used up
    note = recert.learner_note(course, records, "Ann Nurse", now=at("2026-11-20"))
    assert "please do the refresher lesson 'The basics'" in note and "You may sit" not in note

    # the lesson answered again inside the window: the recertification sitting opens
    records.record(Attempt("Ann Nurse", "basics", "b-tf", "true_false", "v", "practice", True, 1.0, 1.0, True, answered_at=at("2026-11-21T09:00")))
    assert state(course, records, "2026-11-22").refresher == ()
    assert session.sitting("final", now=at("2026-11-22")).state == "open"
    assert records.recertifications("Ann Nurse", "final") == 1
