"""Certificates: a one-page PDF for a pass (read back with pypdf), a clear refusal otherwise, names in any script.

A small assessment course is written into the test's folder (the course's own final assessment is
drawn at random per learner); answers go through :class:`course.session.CourseSession`, as the
assessment widget stores them, or through the store's sittings at a chosen time (tests/seed.py).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timezone

import pytest
from pypdf import PdfReader

from course import __version__
from course import certificate as C
from course.bank import load_course
from course.grading import grade
from course.progress import final_result, learner_progress
from course.records import Attempt
from course.store import ResultsStore
from sample_banks import FINAL, PRACTICE, RIGHT
from seed import practise
from seed import sit as sit_in

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


@pytest.fixture
def quizzes(tmp_path):
    folder = tmp_path / "quizzes"
    folder.mkdir()
    (folder / "basics.yaml").write_text(PRACTICE, encoding="utf-8")
    (folder / "final.yaml").write_text(FINAL, encoding="utf-8")
    return folder


@pytest.fixture
def course(quizzes):
    return load_course(quizzes)


@pytest.fixture
def store(tmp_path):
    results = ResultsStore(f"sqlite:///{tmp_path / 'data' / 'results.sqlite'}", outbox=tmp_path / "outbox.jsonl")
    yield results
    results.close()


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "certificates"
    folder.mkdir()
    return folder


def sit(course, store, learner, responses, when=None):
    return sit_in(store, course, learner, "final", responses, when=when)


def text_of(path):
    reader = PdfReader(path)
    return len(reader.pages), unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))


def long_date(moment):
    day = moment.astimezone().date() if isinstance(moment, datetime) else moment
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def test_a_certificate_for_a_pass(course, store, out):
    result = sit(course, store, "Ann Nurse", {**RIGHT, "f-two": True})  # 4 of 5: 80%, the pass mark
    assert result.score.passed
    path = C.certificate(course, store, "Ann Nurse", out / "ann.pdf", issued=date(2024, 6, 1))
    assert path == out / "ann.pdf"
    pages, text = text_of(path)
    assert pages == 1
    latest = final_result(course, store, "Ann Nurse")
    assert latest.passed and latest.percent == pytest.approx(80) and latest.submission == result.submission
    for expected in (
        "Ann Nurse",
        "has passed the final assessment",
        "with a score of 80% (pass mark 80%)",
        f"Final assessment passed on {long_date(latest.date)}",
        "Certificate issued on 1 June 2024",
        f"Course version {course.version}",
        f"course software {__version__}",
        C.COURSE_TITLE,
        "It is not a clinical qualification",
        result.submission,
    ):
        assert expected in text, expected
    assert sorted(p.name for p in out.iterdir()) == ["ann.pdf"]  # no temporary file left behind


def test_the_date_is_the_passing_sitting_and_the_latest_sitting_counts(course, store, out):
    failed_at = datetime(2024, 5, 3, 12, 0, tzinfo=timezone.utc)
    passed_at = datetime(2024, 5, 20, 12, 0, tzinfo=timezone.utc)
    sit(course, store, "Ann Nurse", {**RIGHT, "f-one": "b", "f-two": True}, when=failed_at)
    with pytest.raises(C.NotEligible):
        C.certificate(course, store, "Ann Nurse", out)
    store.allow_retake("Ann Nurse", "final", trainer="Tess Trainer")
    second = sit(course, store, "Ann Nurse", RIGHT, when=passed_at)
    latest = final_result(course, store, "Ann Nurse")
    assert (latest.sitting, latest.submission, latest.date, latest.percent) == (2, second.submission, passed_at, 100)
    assert latest.date.tzinfo is not None and latest.bank_version == course.bank("final").version
    path = C.certificate(course, store, "Ann Nurse", out, issued=datetime(2024, 6, 2, 9, 30, tzinfo=timezone.utc))
    assert path == out / "certificate-ann-nurse.pdf"
    _, text = text_of(path)
    assert f"Final assessment passed on {long_date(passed_at)}" in text and long_date(failed_at) not in text
    assert f"Certificate issued on {long_date(datetime(2024, 6, 2, 9, 30, tzinfo=timezone.utc))}" in text
    assert "with a score of 100% (pass mark 80%)" in text and "sitting 2" in text


def test_a_sitting_written_past_the_course_is_not_certified(course, store, out):
    """A learner who failed writes a passing sitting of their own (as a cell in a single-user kernel could)."""
    sit(course, store, "Ann Nurse", {**RIGHT, "f-safe": False, "f-one": "b"})
    bank = course.bank("final")
    for q in bank.questions:  # the forged sitting: the key's answers, a new submission id, no retake
        g = grade(q, RIGHT[q.id])
        store.record(Attempt(
            learner="Ann Nurse", quiz="final", question=q.id, question_type=q.type, bank_version=bank.version, mode="assessment",
            response=RIGHT[q.id], score=g.score, max_score=g.max_score, correct=True, submission="forged-sitting",
        ))  # fmt: skip
    assert final_result(course, store, "Ann Nurse").passed  # the scores alone look like a pass
    with pytest.raises(C.NotEligible, match=r"needs a trainer's check: 1 sitting of final was not opened by the course \(forged-sitting\)"):
        C.certificate(course, store, "Ann Nurse", out)
    assert list(out.iterdir()) == []


def test_more_sittings_than_retakes_allowed_is_not_certified(course, store, out):
    sit(course, store, "Ann Nurse", {**RIGHT, "f-safe": False})
    store.allow_retake("Ann Nurse", "final", trainer="Tess Trainer")
    sit(course, store, "Ann Nurse", {**RIGHT, "f-safe": False})
    # a third sitting slipped past the rule, written straight into the database
    from course.store import sittings as sittings_table

    with store.engine.begin() as conn:
        conn.execute(sittings_table.insert().values(
            id="third", learner="Ann Nurse", quiz="final", number=2, questions='["f-safe"]',
            opened_at=datetime.now(timezone.utc), submitted_at=datetime.now(timezone.utc),
        ))  # fmt: skip
    q = course.bank("final").question("f-safe")
    store.record(Attempt(learner="Ann Nurse", quiz="final", question=q.id, question_type=q.type, bank_version="x", mode="assessment",
                         response=True, score=1.0, max_score=1.0, correct=True, submission="third"))  # fmt: skip
    with pytest.raises(C.NotEligible, match=r"3 sittings of final are stored, but only 2 were allowed \(one, and 1 retake\)"):
        C.certificate(course, store, "Ann Nurse", out)


def test_below_the_pass_mark_is_refused_and_nothing_is_written(course, store, out):
    sit(course, store, "Ann Nurse", {**RIGHT, "f-one": "b", "f-two": True, "f-three": 9})  # 2 of 5
    target = out / "ann.pdf"
    with pytest.raises(C.NotEligible) as refused:
        C.certificate(course, store, "Ann Nurse", target)
    assert refused.value.reason == "Ann Nurse scored 40% on the final assessment (pass mark 80%); a certificate needs a pass."
    assert str(refused.value) == refused.value.reason and refused.value.result.percent == pytest.approx(40)
    assert not target.exists() and list(out.iterdir()) == []


def test_a_missed_safety_critical_question_is_refused(course, store, out):
    sit(course, store, "Ann Nurse", {**RIGHT, "f-safe": False})  # 80%, but the critical one is wrong
    with pytest.raises(C.NotEligible) as refused:
        C.certificate(course, store, "Ann Nurse", out / "ann.pdf")
    assert refused.value.reason == (
        "Ann Nurse scored 80% on the final assessment but missed 1 safety-critical question (f-safe); "
        "a certificate needs a pass with every safety-critical question right."
    )
    assert list(out.iterdir()) == []
    row = next(r for r in learner_progress(course, store, "Ann Nurse") if r.quiz == "final")
    assert row.passed is False and row.detail == "80% (pass mark 80%); 1 safety-critical missed"
    sit_both = "Bob Front-Desk"
    sit(course, store, sit_both, {**RIGHT, "f-safe": False, "f-one": "b"})
    with pytest.raises(C.NotEligible, match=r"^Bob Front-Desk scored 60% on the final assessment \(pass mark 80%\) and missed 1 safety-critical question \(f-safe\); a certificate needs a pass\.$"):
        C.certificate(course, store, sit_both, out)


def test_a_learner_who_never_sat(course, store, out):
    practise(store, course, "Ann Nurse", "basics", {"b-tf": True})
    with pytest.raises(C.NotEligible) as refused:
        C.certificate(course, store, "Ann Nurse", out)
    assert refused.value.reason == "Ann Nurse has not taken the final assessment yet." and refused.value.result is None
    assert final_result(course, store, "Ann Nurse") is None
    assert list(out.iterdir()) == []


def test_a_course_without_an_assessment(quizzes, store, out):
    (quizzes / "final.yaml").unlink()
    with pytest.raises(C.NotEligible, match="no final assessment"):
        C.certificate(load_course(quizzes), store, "Ann Nurse", out)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name", ["Zoë Ağaoğlu", "José Núñez", "Łukasz Żółć", "Nguyễn Thị Minh"])
def test_unicode_names_round_trip(course, store, out, name):
    sit(course, store, name, RIGHT)
    path = C.certificate(course, store, name, out)
    pages, text = text_of(path)
    assert pages == 1 and name in text
    assert "without their accents" not in text


def test_without_a_unicode_font_the_name_is_transliterated_with_a_note(course, store, out, monkeypatch):
    monkeypatch.setattr(C, "_font_files", lambda: [])
    sit(course, store, "Zoë Ağaoğlu", RIGHT)
    pages, text = text_of(C.certificate(course, store, "Zoë Ağaoğlu", out))
    assert pages == 1
    assert "Zoë Agaoglu" in text  # ë is Latin-1, ğ is not
    assert "some letters are shown without their accents" in text


def test_a_very_long_name_stays_on_one_page(course, store, out):
    name = "Maximiliana Evangelina Alexandrova-Montgomery-Fitzgerald de la Cruz y Villanueva"
    sit(course, store, name, RIGHT)
    pages, text = text_of(C.certificate(course, store, name, out / "long.pdf"))
    assert pages == 1 and name in " ".join(text.split())


def test_the_percent_is_never_rounded_up_to_the_pass_mark():
    assert [C._percent(p) for p in (80, 79.96, 86.666, 100, 0)] == ["80", "79.9", "86.6", "100", "0"]
