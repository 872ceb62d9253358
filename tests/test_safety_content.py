"""Issue 11 on the course's own banks and lessons: the safety content a clinic's staff need is
taught and asked about, caution is never scored wrong, and the critical pool is what the
blueprint and a clinical educator expect."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import nbformat
import pytest

from course.bank import Course, course_warnings, load_course
from course.grading import grade
from seed import key_response

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


def lesson_text(stem: str) -> str:
    """The Markdown a learner reads in a lesson (generated printed quizzes left out)."""
    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "markdown" and "course-generated" not in c.metadata.get("tags", [])]
    return "\n".join(c.source for c in cells).lower()


def asked(course: Course, quiz: str) -> str:
    """Every prompt, option, item and pair of a bank, as one lower-case text."""
    parts: list[str] = []
    for q in course.bank(quiz).questions:
        parts.append(q.prompt)
        parts += [o.text for o in getattr(q, "options", [])]
        parts += [i.text for i in getattr(q, "items", [])]
        parts += [f"{p.left} {p.right}" for p in getattr(q, "pairs", [])]
    return "\n".join(parts).lower()


@pytest.mark.parametrize(
    ("stem", "quiz", "terms"),
    [
        # the fact sheet's Spravato contraindications, the psychosis warning and the Ketalar label
        ("05_side_effects_and_safety", "side_effects_and_safety", ["aneurysm", "arteriovenous malformation", "intracerebral hemorrhage", "hypersensitivity", "psychosis", "emergence", "12%"]),
        # Spravato dosing: 56 mg on day 1, 84 mg with suicidal ideation, 28 mg from 65
        ("04_treatment_protocol", "treatment_protocol", ["56 mg", "84 mg", "28 mg"]),
    ],
)
def test_the_missing_safety_content_is_taught_and_asked(course: Course, stem: str, quiz: str, terms: list[str]) -> None:
    taught, questions = lesson_text(stem), asked(course, quiz)
    assert [t for t in terms if t not in taught] == [], f"not taught in {stem}"
    assert [t for t in terms if t not in questions] == [], f"not asked in {quiz}"


def test_reporting_and_handing_over_are_never_scored_wrong(course: Course) -> None:
    _, escalate = course.question("side_effects_and_safety-escalate")
    dizziness = [o for o in escalate.options if "dizziness" in o.text.lower()]
    assert dizziness and all(o.correct for o in dizziness), "reporting passing dizziness is caution, not a mistake"
    _, handover = course.question("talking_with_patients-handover-which")
    driving = [o for o in handover.options if "drive" in o.text.lower()]
    assert all(o.correct for o in driving), "handing a driving question to a clinician is not unsafe"
    assert not handover.critical
    # the cautious learner's answer (every right option) earns full marks on both
    for q in (escalate, handover):
        assert grade(q, key_response(q)).correct is True


def test_the_critical_pool_is_balanced_and_drills_each_fact_once(course: Course) -> None:
    critical = [q for bank in course.banks.values() for q in bank.questions if q.critical]
    facts = Counter(q.fact for q in critical)
    assert None not in facts and max(facts.values()) == 1, facts
    topics = Counter(q.topic for q in critical)
    # the clinic's safety decisions, not mostly Spravato rules
    assert topics["escalation"] >= 3 and topics["screening"] >= 2 and topics["monitoring"] >= 2
    assert topics["spravato"] <= len(critical) // 3
    assert course.question("side_effects_and_safety-pregnancy")[1].critical
    assert not course.question("treatment_protocol-who-and-where")[1].critical


def test_the_course_banks_give_an_author_no_warnings(course: Course) -> None:
    assert [str(w) for w in course_warnings(course.banks)] == []


def test_every_clinical_lesson_has_scenarios_and_names_its_topics(course: Course) -> None:
    for quiz, bank in course.banks.items():
        if bank.mode != "practice" or quiz == "welcome":
            continue
        assert all(q.topic for q in bank.questions), quiz
        scenarios = sum(q.kind == "scenario" for q in bank.questions)
        assert scenarios / len(bank.questions) >= 0.2, f"{quiz}: {scenarios} of {len(bank.questions)} scenarios"
