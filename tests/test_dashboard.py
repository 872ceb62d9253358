"""The trainer dashboard: executed as a notebook on a seeded store, and driven as a trainer would."""

from __future__ import annotations

import json
import os
import re
from html import escape as html_escape
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

import seed
from course import localtime, report
from course import widgets as W
from course.bank import load_course
from course.dashboard import ALL, LABELS, Dashboard, percent, plural
from course.store import ResultsStore
from notebook_runner import run_notebooks

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def course():
    return load_course(ROOT / "quizzes")


@pytest.fixture
def data(tmp_path, monkeypatch, course):
    """A data folder whose SQLite store holds the seeded history."""
    folder = tmp_path / "var"
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    W.callback_errors.clear()
    with ResultsStore() as store:
        seed.seed(store, course)
    yield folder
    assert not W.callback_errors, W.callback_errors


@pytest.fixture
def dash(data, course):
    board = Dashboard(course=course)
    yield board
    board.store.close()


def html(box) -> str:
    """Every HTML value inside a widget tree."""
    out = []
    for child in getattr(box, "children", ()):
        out.append(html(child))
    out.append(getattr(box, "value", "") if isinstance(getattr(box, "value", None), str) else "")
    return "".join(out)


def test_the_notebook_runs_on_a_seeded_store_and_escapes_what_learners_wrote(data):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "JUPYTERHUB_"))}
    env["COURSE_DATA_DIR"] = str(data)
    path = ROOT / "notebooks" / "trainer_dashboard.ipynb"
    run = run_notebooks([path], env)[path]
    assert not run.problems, run.problems
    state = run.widget_state
    for name in (seed.ANN, seed.BOB, seed.CARLA, seed.EVE):
        assert name in state
    assert json.dumps("Dev &lt;b&gt;Bold&lt;/b&gt; &amp; Co")[1:-1] in state  # escaped where shown as HTML
    assert "<script>the prescriber" not in state and "&lt;script&gt;the prescriber" in state
    assert "dash-review-card" in state and "data:image/png;base64," in state  # plots are images inside the widgets,
    assert not any("image/png" in o.get("data", {}) for c in run.notebook.cells for o in c.get("outputs", []))  # not outputs
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert all(not cell.get("outputs") for cell in notebook["cells"])  # stored without outputs


def test_overview_and_progress_show_every_learner(dash):
    overview = html(dash.overview)
    for name in (seed.ANN, seed.BOB, seed.CARLA, seed.EVE):
        assert name in overview
    assert "&lt;b&gt;Bold&lt;/b&gt;" in overview and "<b>Bold</b>" not in overview
    matrix = html(dash.progress)
    assert "Passed (100%)" in matrix and "Failed (95%)" in matrix and "Not started" in matrix


def test_a_cohort_filter_narrows_every_section(dash):
    dash.cohort.value = seed.FRONT_DESK
    overview = html(dash.overview)
    assert seed.BOB in overview and seed.ANN not in overview and seed.CARLA not in overview
    assert dash.learner.options == (ALL, seed.BOB)
    assert set(dash.table("learners")["learner"]) == {seed.BOB}


def test_a_trainer_scores_a_written_answer(dash):
    before = len(dash.result.review_queue)
    card = dash.review.children[1]
    score, save = card.children[1].children
    comment, message = card.children[2], card.children[3]
    score.value = "1"
    comment.value = "Good: honest and kind."
    save.click()
    assert "Type your name" in message.value  # no reviewer yet: nothing stored
    assert not dash.store.reviews()
    dash.reviewer.value = "Tess Trainer"
    save.click()
    assert "Saved: 1 of" in message.value and save.disabled
    [review] = dash.store.reviews()
    assert (review.score, review.reviewer, review.comment) == (1.0, "Tess Trainer", "Good: honest and kind.")
    dash.refresh()
    assert len(dash.result.review_queue) == before - 1


def test_an_edited_score_shows_in_re_grading(dash):
    engine = create_engine(dash.store.url)
    with engine.begin() as conn:
        key = conn.execute(text("SELECT key FROM attempts WHERE correct = 1 AND learner = :n LIMIT 1"), {"n": seed.BOB}).scalar_one()
        conn.execute(text("UPDATE attempts SET score = 0 WHERE key = :k"), {"k": key})
    engine.dispose()
    dash.refresh()
    assert list(dash.regraded["key"]) == [key]
    shown = html(dash.regrading)
    assert "stored score differs" in shown
    [(question, response)] = dash.regraded[["question", "response"]].itertuples(index=False, name=None)
    readable = dash.answer_text(question, response)  # the answer in the words the learner saw, not the stored JSON
    assert readable != response and f">{html_escape(readable)}<" in shown and f">{html_escape(response)}<" not in shown


def test_exports_write_files_a_spreadsheet_reads(dash, data):
    path = dash.export("learners")
    assert path.parent == data / "exports"
    frame = pd.read_csv(path, encoding="utf-8-sig")
    assert set(frame["learner"]) == {seed.ANN, seed.BOB, seed.CARLA, seed.DEV, seed.EVE}
    assert "download=" in dash.export_result.value
    statements = json.loads(dash.export("xapi").read_text(encoding="utf-8"))
    assert {s["verb"]["id"].rsplit("/", 1)[1] for s in statements} >= {"answered", "passed", "failed", "completed"}


def test_cohorts_and_retakes_from_the_learners_section(dash):
    who, cohort, set_cohort = dash.learners.children[0].children
    retake, reason, waive, message = dash.learners.children[2:6]  # [1]: the role (issue 11, tests/test_roles.py)
    who.value = seed.EVE
    cohort.value = "2026-12 nurses"
    set_cohort.click()
    assert {p.name: p.cohort for p in dash.store.learners()}[seed.EVE] == "2026-12 nurses"
    who.value = seed.CARLA
    retake.click()
    assert "Type your name" in message.value and dash.store.retakes_allowed(seed.CARLA, "final_assessment") == 0
    dash.reviewer.value = "Tess Trainer"
    retake.click()
    assert dash.store.retakes_allowed(seed.CARLA, "final_assessment") == 1
    who.value = seed.EVE
    waive.click()
    assert "Say why" in message.value and dash.store.waivers(seed.EVE) == []
    reason.value = "Trained at her last clinic"
    waive.click()
    assert [w.reason for w in dash.store.waivers(seed.EVE, "final_assessment")] == ["Trained at her last clinic"]
    # every action is in the audit trail section, newest first, with who did it
    dash.refresh()
    trail = dash.audit.children[0].value
    assert trail.index("opened the final assessment early") < trail.index("allowed a retake") < trail.index("set the cohort")
    assert "Tess Trainer" in trail and "Trained at her last clinic" in trail and "cohort none → 2026-12 nurses" in trail


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path, course):
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the database folder should be")
    with ResultsStore(f"sqlite:///{blocker / 'results.sqlite'}") as store:
        board = Dashboard(store=store, course=course)
    assert "cannot be read" in board.status.value
    assert not W.callback_errors


# --- what a trainer reads ---------------------------------------------------------------------------

SECTIONS = ("filters", "overview", "progress", "scores", "questions", "options", "review", "regrading", "exports", "learners")


def page(dash) -> str:
    """The HTML of every section, as the notebook shows them one after another."""
    return "".join(html(getattr(dash, name)) for name in SECTIONS)


def headings(text: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*scope='col'[^>]*>(.*?)</th>", text)]


def test_headings_and_values_are_in_plain_words(dash, course):
    text = page(dash)
    raw = {c for columns in (report.SUMMARY_COLUMNS, report.ASSESSMENT_COLUMNS, report.COHORT_COLUMNS, report.ITEM_COLUMNS,
                             report.DISTRACTOR_COLUMNS, report.REGRADE_COLUMNS, report.QUEUE_COLUMNS) for c in columns if "_" in c}
    assert {"mean_score", "score_pct", "last_activity", "assessment_pct"} <= raw
    assert not [c for c in raw if c in text], "raw column names shown"
    titles = {b.title for b in course.banks.values()}
    shown = headings(text)
    assert {"First-try score", "Final assessment", "Last active", "Average first-try score", "Safety questions missed"} <= set(shown)
    assert set(shown) <= set(LABELS.values()) | titles | {"Learner"}  # every heading is a label written for people
    overview = html(dash.overview)
    assert "No cohort" in overview and "None" not in overview and "nan" not in overview and "NaT" not in overview
    ann = dash.result.learner_summary.set_index("learner").loc[seed.ANN]
    assert ann["score_pct"] == 100 and ">100%<" in overview
    assert not re.search(r"\d\.\d", re.sub(r"<[^>]+>", " ", overview))  # 93.64 is shown as 93%, 78.57 as 78%
    assert "—" in overview  # Eve has no score and no last activity
    # a question is named by its prompt (shortened), its id beneath
    missed = dash.result.learner_summary.set_index("learner").loc[seed.CARLA, "assessment_critical_missed"]
    prompt = " ".join(course.question(missed)[1].prompt.split())
    assert prompt[:30] in overview and "<div class='dash-id'>" not in overview  # in the summary: the prompt only
    questions = html(dash.questions)
    assert "Welcome to the course" in questions and "class='dash-id'>welcome-who-decides<" in questions
    # the plots are images with their text (for screen readers) and their caption
    for section in (html(dash.scores), questions):
        assert re.search(r"<img class='dash-plot' src='data:image/png;base64,[^']+' alt='[^']{20,}'>", section)


def test_formats_for_people():
    assert [percent(v) for v in (83.0, 93.636, 79.6, 100.0, None, float("nan"))] == ["83%", "93%", "79%", "100%", "—", "—"]
    assert [plural(n, "learner") for n in (0, 1, 2, 1234)] == ["0 learners", "1 learner", "2 learners", "1,234 learners"]


def test_counts_have_the_right_plural(dash):
    # the seeded learners' written answers no trainer has scored yet, counted from the store itself
    reviewed = {r.attempt_key for r in dash.store.reviews()}
    waiting = [a for a in dash.store.attempts() if a.question_type == "free_text" and a.key not in reviewed]
    assert len(waiting) > 1
    assert "5 learners, " in dash.status.value and f"{len(waiting)} written answers to review" in dash.status.value
    dash.learner.value = seed.DEV  # one learner, one written answer
    assert "1 learner, 18 answers, 1 written answer to review" in dash.status.value
    assert "1 written answer waits for a review" in html(dash.review)
    assert "1 learners" not in page(dash) and "1 answers" not in page(dash)


def test_times_are_the_clinics_local_time_to_the_minute(monkeypatch, data, course):
    monkeypatch.setenv("COURSE_TIMEZONE", "Asia/Kolkata")  # UTC+05:30 all year: a shift no machine default hides
    board = Dashboard(course=course)
    try:
        overview, review = html(board.overview), html(board.review)
        last = board.result.learner_summary.set_index("learner").loc[seed.ANN, "last_activity"].tz_convert("Asia/Kolkata")
        assert f"{last.day} {last:%b %Y, %H:%M}" in overview
        first = board.result.review_queue["answered_at"].iloc[0].tz_convert("Asia/Kolkata")
        assert f"{first.day} {first:%b %Y, %H:%M}" in review
        for text in (overview, review, board.status.value):
            assert not re.search(r"\d\d:\d\d:\d\d", text) and "+00:00" not in text and "UTC" not in text
        assert "Asia/Kolkata time" in board.status.value
    finally:
        board.store.close()


def test_a_timestamp_is_written_in_the_given_zone():
    moment = pd.Timestamp("2026-11-30 14:02:11.123456+00:00")
    assert localtime.format_time(moment, localtime.ZoneInfo("Europe/London")) == "30 Nov 2026, 14:02"
    assert localtime.format_time(moment, localtime.ZoneInfo("America/New_York")) == "30 Nov 2026, 09:02"
    assert localtime.format_time(pd.Timestamp("2026-07-01 12:00", tz="UTC"), localtime.ZoneInfo("Europe/London")) == "1 Jul 2026, 13:00"
    assert localtime.format_time(pd.NaT) == localtime.format_time(None) == "—"


def test_a_bad_time_zone_is_one_line_not_a_traceback(monkeypatch, data, course):
    monkeypatch.setenv("COURSE_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(localtime.BadTimezone) as raised:
        localtime.zone()
    assert "\n" not in str(raised.value) and "COURSE_TIMEZONE" in str(raised.value) and "Europe/London" in str(raised.value)
    board = Dashboard(course=course)
    try:
        assert "Mars/Olympus_Mons" in board.status.value and "Traceback" not in board.status.value
        assert "5 learners" in board.status.value and seed.ANN in html(board.overview)  # the page still works
    finally:
        board.store.close()


def test_date_filters_are_days_in_the_clinics_zone(monkeypatch, data, course):
    monkeypatch.setenv("COURSE_TIMEZONE", "Pacific/Auckland")
    board = Dashboard(course=course)
    try:
        day = board.result.answers["answered_at"].min().tz_convert("Pacific/Auckland").date()
        board.since.value = board.until.value = day
        filters = board.current_filters()
        assert filters.since.isoformat().startswith(f"{day.isoformat()}T00:00:00+1")  # NZ midnight (+12 or +13), not UTC
        assert len(board.result.answers) == len(dash_answers_on(board, day, "Pacific/Auckland"))
    finally:
        board.store.close()


def dash_answers_on(board, day, zone) -> pd.DataFrame:
    answers = report.answers(board.store, board.course)
    return answers[answers["answered_at"].dt.tz_convert(zone).dt.date == day]


def test_an_unanswered_question_has_no_flag(dash):
    items = dash.result.item_analysis
    never = items[items["n"] == 0]
    assert len(never) and set(never["flags"]) == {""}
    [look] = [c.value for c in dash.questions.children if isinstance(getattr(c, "value", None), str) and "Questions to look at" in c.value]
    for question in never["question"]:
        assert f">{question}<" not in look
    assert "Too few answers yet" not in look  # only what a trainer should act on is listed
    few = int((items["flags"] == "few answers").sum())
    assert "judged once at least 5 learners have answered it" in look
    assert f"So far {plural(few, 'question')} have fewer answers than that and {plural(len(never), 'question')} have none." in look


def test_a_review_needs_a_score_in_range(dash):
    dash.reviewer.value = "Tess Trainer"
    card = dash.review.children[1]
    score, save = card.children[1].children
    message = card.children[3]
    top = dash.result.review_queue["max_score"].iloc[0]
    assert score.value == ""  # no default score: a slip cannot record a 0
    for typed, says in (("", f"Type a score from 0 to {top:g}."), ("  ", "Type a score from 0"), ("abc", "“abc” is not a number"),
                        ("3", f"3 is outside 0 to {top:g}"), ("-1", "outside"), ("nan", "not a number")):
        score.value = typed
        save.click()
        assert says in message.value and "dash-error" in message.value and message.value.count("<div") == 1, (typed, message.value)
        assert not dash.store.reviews() and not save.disabled
    score.value = "0,5" if top >= 0.5 else "0"
    save.click()
    [review] = dash.store.reviews()
    assert review.score == (0.5 if top >= 0.5 else 0) and "Saved" in message.value


def test_each_explanation_is_written_once(dash):
    """The notebook's text explains each section; no widget says the same again."""
    notebook = json.loads((ROOT / "notebooks" / "trainer_dashboard.ipynb").read_text(encoding="utf-8"))
    said = [words(s) for cell in notebook["cells"] if cell["cell_type"] == "markdown" for s in sentences("".join(cell["source"]))]
    shown = [words(s) for s in sentences(re.sub(r"<[^>]+>", " ", page(dash)))]
    for a in said:
        for b in shown:
            if len(a) >= 6 and len(b) >= 6:
                assert len(a & b) / len(a | b) < 0.7, (sorted(a), sorted(b))


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def words(sentence: str) -> set[str]:
    return set(re.findall(r"[a-z]+", sentence.lower()))
