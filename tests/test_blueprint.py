"""Role tracks and the final assessment's blueprint (issue 11): which questions a role gets, the
draw that follows the blueprint for 1,000 learners per role, and what `course validate` says when
the banks cannot fill it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from course.assessment import draw, topic_of
from course.bank import BankError, check_course, load_course
from course.cli import main as cli
from course.roles import ROLES

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = {"At the desk": ["front_desk", "nurse", "clinician"], "On the ward": ["nurse", "clinician"], "In clinic": ["clinician"]}
TOPICS = ["escalation", "monitoring", "screening", "communication", "history"]

BLUEPRINT = """\
quiz: exam
title: Exam
lesson: 09_exam.ipynb
mode: assessment
pass_mark: 80
draw:
  banks: [b1, b2, b3]
  count: 8
  min_critical: 2
  written: 1
  topics:
    escalation: {min: 2}
    monitoring: {min: 1, max: 3}
    screening: {min: 1}
    history: {max: 1}
  roles:
    front_desk:
      topics:
        communication: {min: 2}
        screening: {min: 0}
"""


def notebook(path: Path, sections: dict | None = SECTIONS, headings=tuple(SECTIONS)) -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": f"## {h}\n\nText."} for h in headings]
    meta = {"course": {"objectives": ["do it"], "sections": sections}} if sections is not None else {}
    path.write_text(json.dumps({"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}, indent=1), encoding="utf-8")


def bank_text(n: int) -> str:
    out = [f"quiz: b{n}", f"title: Bank {n}", f"lesson: 0{n}_b{n}.ipynb", "mode: practice", "questions:"]
    for s, section in enumerate(SECTIONS):
        for topic in TOPICS:
            critical = n == 1 and topic in ("escalation", "monitoring")
            out += [
                f"  - id: b{n}-{s}-{topic}",
                "    type: single_choice",
                f"    section: {section}",
                f"    topic: {topic}",
                f"    prompt: Question {n}.{s} on {topic}?",
                "    explanation: Because.",
                *(["    critical: true", f"    fact: fact-{n}-{s}-{topic}"] if critical else []),
                "    options:",
                "      - {id: a, text: Right, correct: true}",
                "      - {id: b, text: Wrong}",
            ]
        if n == 1:
            out += [f"  - id: b1-{s}-written", "    type: free_text", f"    section: {section}", "    topic: escalation", "    kind: scenario", "    prompt: Write.", "    explanation: A model answer."]
    return "\n".join(out) + "\n"


@pytest.fixture
def fixture_course(tmp_path: Path) -> tuple[Path, Path]:
    quizzes, notebooks = tmp_path / "quizzes", tmp_path / "notebooks"
    quizzes.mkdir()
    notebooks.mkdir()
    for n in (1, 2, 3):
        (quizzes / f"0{n}_b{n}.yaml").write_text(bank_text(n), encoding="utf-8")
        notebook(notebooks / f"0{n}_b{n}.ipynb")
    (quizzes / "09_exam.yaml").write_text(BLUEPRINT, encoding="utf-8")
    notebook(notebooks / "09_exam.ipynb", None, ())
    return quizzes, notebooks


# --- sections' roles -----------------------------------------------------------------------------


def test_a_question_is_for_the_roles_of_its_section(fixture_course):
    quizzes, notebooks = fixture_course
    course = load_course(quizzes, notebooks=notebooks)
    b1 = course.bank("b1")
    assert b1.roles_of(b1.question("b1-0-history")) == ("front_desk", "nurse", "clinician")
    assert b1.roles_of(b1.question("b1-1-history")) == ("nurse", "clinician")
    assert b1.roles_of(b1.question("b1-2-history")) == ("clinician",)
    assert {q.section for q in b1.for_role("front_desk")} == {"At the desk"}
    assert {q.section for q in b1.for_role("nurse")} == {"At the desk", "On the ward"}
    assert len(b1.for_role(None)) == len(b1.questions)


def test_a_lesson_without_section_metadata_is_for_every_role(fixture_course):
    quizzes, notebooks = fixture_course
    notebook(notebooks / "02_b2.ipynb", None)
    course = load_course(quizzes, notebooks=notebooks)
    assert len(course.bank("b2").for_role("front_desk")) == len(course.bank("b2").questions)


def test_the_running_course_reads_roles_from_its_notebooks_folder(fixture_course, monkeypatch):
    quizzes, notebooks = fixture_course
    monkeypatch.setenv("COURSE_NOTEBOOKS_DIR", str(notebooks))
    assert len(load_course(quizzes).bank("b1").for_role("front_desk")) == 6
    monkeypatch.setenv("COURSE_NOTEBOOKS_DIR", str(notebooks / "nowhere"))  # a trainer's copy of the banks
    assert len(load_course(quizzes).bank("b1").for_role("front_desk")) == len(load_course(quizzes).bank("b1").questions)


def test_a_section_that_is_not_a_heading_and_an_unknown_role_are_named(fixture_course):
    quizzes, notebooks = fixture_course
    notebook(notebooks / "02_b2.ipynb", {"At the desk": ["front_desk"], "On the wards": ["nurse"], "In clinic": ["doctor"]})
    _, problems = check_course([quizzes], notebooks=notebooks)
    shown = [str(p) for p in problems if "02_b2.ipynb" in p.file]
    assert len(shown) == 2, shown
    text = (notebooks / "02_b2.ipynb").read_text().splitlines()
    wards = next(p for p in problems if "On the wards" in p.message)
    assert wards.field == "metadata.course.sections" and "not a '##' heading" in wards.message
    assert '"On the wards"' in text[wards.line - 1]
    doctor = next(p for p in problems if "'doctor'" in p.message)
    assert "is not a role; the roles are: front_desk, nurse, clinician" in doctor.message
    assert '"doctor"' in text[doctor.line - 1]
    assert str(doctor).startswith(f"{doctor.file}:{doctor.line}: (lesson): metadata.course.sections: ")
    with pytest.raises(BankError):
        load_course(quizzes, notebooks=notebooks)
    # running the course: a lesson's unsound entries are left out (those sections are for every role)
    course = load_course(quizzes, roles_from=notebooks)
    b2 = course.bank("b2")
    assert b2.roles_of(b2.question("b2-0-history")) == ("front_desk",)
    assert b2.roles_of(b2.question("b2-2-history")) == tuple(ROLES)


# --- the draw follows the blueprint --------------------------------------------------------------


def check_draw(course, bank, role, questions) -> None:
    plan = bank.draw.blueprint(role)
    ids = [q.id for q in questions]
    assert len(ids) == len(set(ids)), "a question is drawn twice"
    graded = [q for q in questions if q.gradable]
    written = [q for q in questions if not q.gradable]
    assert len(graded) == plan.count and len(written) == plan.written
    assert questions[-plan.written :] == written if plan.written else True  # the written scenario comes last
    topics = Counter(topic_of(q) for q in graded)
    for topic, quota in plan.topics.items():
        assert topics[topic] >= quota.min, (role, topic, topics)
        assert quota.max is None or topics[topic] <= quota.max, (role, topic, topics)
    assert sum(q.critical for q in graded) == plan.min_critical, "critical questions only as the blueprint asks"
    for q in questions:
        owner, _ = course.question(q.id)
        assert owner.quiz in bank.draw.banks
        assert role is None or role in owner.roles_of(q), f"{q.id} is not for {role}"


@pytest.mark.parametrize("role", [*ROLES, None])
def test_1000_learners_per_role_get_draws_that_meet_the_blueprint(fixture_course, role):
    quizzes, notebooks = fixture_course
    course = load_course(quizzes, notebooks=notebooks)
    exam = course.bank("exam")
    seen = set()
    for n in range(1000):
        questions = draw(course, exam, f"learner {n}", role=role)
        check_draw(course, exam, role, questions)
        seen.update(q.id for q in questions)
    pool = {q.id for b in ("b1", "b2", "b3") for q in course.bank(b).for_role(role)}
    assert len(seen) >= 0.9 * len(pool), "the draws reach (nearly) every question of the role's pool"


def test_the_draw_is_seeded_by_learner_and_sitting(fixture_course):
    quizzes, notebooks = fixture_course
    course = load_course(quizzes, notebooks=notebooks)
    exam = course.bank("exam")
    first = [q.id for q in draw(course, exam, "Ann", role="nurse")]
    assert [q.id for q in draw(load_course(quizzes, notebooks=notebooks), exam, "Ann", role="nurse")] == first
    assert [q.id for q in draw(course, exam, "Ann", role="nurse", sitting=1)] != first
    assert [q.id for q in draw(course, exam, "Bob", role="nurse")] != first


def test_the_real_final_assessment_meets_its_blueprint_for_1000_learners_per_role():
    course = load_course(ROOT / "quizzes", notebooks=ROOT / "notebooks")
    final = course.bank("final_assessment")
    assert final.draw.topics, "the final assessment's draw has no topic quotas (issue 11: it is drawn from a blueprint)"
    for role in [*ROLES, None]:
        for n in range(1000):
            check_draw(course, final, role, draw(course, final, f"learner {n}", role=role))


# --- course validate: can the banks fill the blueprint? -----------------------------------------


def validate(quizzes: Path, notebooks: Path) -> list[str]:
    _, problems = check_course([quizzes], notebooks=notebooks)
    return [str(p) for p in problems]


def with_blueprint(quizzes: Path, old: str, new: str) -> Path:
    path = quizzes / "09_exam.yaml"
    path.write_text(BLUEPRINT.replace(old, new), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_the_fixture_blueprint_validates(fixture_course):
    assert validate(*fixture_course) == []


@pytest.mark.parametrize(
    ("old", "new", "field", "where", "words"),
    [
        ("escalation: {min: 2}", "escalation: {min: 7}", "draw.topics.escalation.min", "escalation:", "the Front desk track holds only 3"),
        ("communication: {min: 2}", "communication: {min: 4}", "draw.roles.front_desk.topics.communication.min", "communication:", "asks for 4 communication questions but the Front desk track holds only 3"),
        ("monitoring: {min: 1, max: 3}", "monitoring: {min: 4, max: 3}", "draw.topics.monitoring.min", "monitoring:", "min (4) is above max (3)"),
        ("min_critical: 2", "min_critical: 3", "draw.min_critical", "min_critical:", "the Front desk track holds only 2"),
        ("written: 1", "written: 2", "draw.written", "written:", "the Front desk track holds only 1 free-text question"),
        ("count: 8", "count: 16", "draw.count", "count:", "the Front desk track holds only 15"),
        ("escalation: {min: 2}", "escalation: {min: 7}", "draw.count", "count:", "the topics' mins add up to 9, more than count (8)"),
        ("  roles:\n", "  roles:\n    doctor: {}\n", "draw.roles.doctor", "doctor:", "'doctor' is not a role"),
    ],
)
def test_a_blueprint_the_banks_cannot_fill_is_named_by_field_and_line(fixture_course, old, new, field, where, words):
    quizzes, notebooks = fixture_course
    path = with_blueprint(quizzes, old, new)
    shown = [p for p in validate(quizzes, notebooks) if f": {field}: " in p and words in p]
    assert shown, validate(quizzes, notebooks)
    assert shown[0].startswith(f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}:{line_of(path, where)}: (bank): {field}: ")


def test_maxes_that_leave_the_count_unfilled_are_named(fixture_course):
    quizzes, notebooks = fixture_course
    caps = "    ".join(f"{t}: {{max: 1}}\n" for t in TOPICS)
    with_blueprint(quizzes, "  roles:\n    front_desk:\n      topics:\n        communication: {min: 2}\n        screening: {min: 0}\n", "")
    path = quizzes / "09_exam.yaml"
    text = path.read_text()
    start, end = text.index("  topics:\n"), text.index("  roles:") if "  roles:" in text else len(text)
    path.write_text(text[:start] + "  topics:\n    " + caps + text[end:], encoding="utf-8")
    shown = validate(quizzes, notebooks)
    assert any("draw.count: the topics' maxes leave at most 5 of 8 questions" in p for p in shown), shown


def test_critical_questions_in_the_wrong_topics_are_named(fixture_course):
    quizzes, notebooks = fixture_course
    # the nurse's 4 critical questions are on escalation and monitoring: 4 of them cannot fit under a max of 1 each
    path = with_blueprint(quizzes, "  roles:\n", "  roles:\n    nurse: {min_critical: 4, topics: {escalation: {min: 1, max: 1}, monitoring: {min: 0, max: 1}}}\n")
    shown = [p for p in validate(quizzes, notebooks) if ": draw.roles.nurse.min_critical: " in p]
    assert shown and "the Nurse track cannot meet every topic's min and max with exactly 4 critical questions" in shown[0], validate(quizzes, notebooks)
    assert shown[0].split(":")[1] == str(line_of(path, "nurse:"))


def test_course_validate_fails_on_a_blueprint_the_banks_cannot_fill(fixture_course, capsys, monkeypatch):
    quizzes, notebooks = fixture_course
    monkeypatch.setenv("COURSE_NOTEBOOKS_DIR", str(notebooks))
    with_blueprint(quizzes, "written: 1", "written: 2")
    assert cli(["validate", str(quizzes)]) == 1
    assert "draw.written: asks for 2 written scenarios" in capsys.readouterr().out


def test_the_fill_check_agrees_with_trying_every_way_on_small_pools():
    """The draw keeps a question only if the blueprint can still be filled (assessment._fillable, a
    closed form): checked here against trying every split on 1,500 small random pools."""
    import itertools
    import random

    from course.assessment import _Counts, _fillable
    from course.bank import Blueprint, Quota

    def brute(have, left, plan) -> bool:
        topics = sorted({t for t, _ in left.counts} | {t for t, _ in have.counts} | set(plan.topics))
        ways = [[(x, y) for x in range(left.counts[(t, True)] + 1) for y in range(left.counts[(t, False)] + 1)] for t in topics]
        for split in itertools.product(*ways):
            if have.critical() + sum(x for x, _ in split) != plan.min_critical or have.total() + sum(x + y for x, y in split) != plan.count:
                continue
            if all(
                (q := plan.topics.get(t)) is None or q.min <= have.topic(t) + x + y and (q.max is None or have.topic(t) + x + y <= q.max)
                for t, (x, y) in zip(topics, split)
            ):
                return True
        return False

    rng = random.Random(11)
    for _ in range(1500):
        have, left, topics = _Counts(), _Counts(), {}
        for i in range(rng.randint(1, 3)):
            t = f"t{i}"
            left.counts[(t, True)], left.counts[(t, False)] = rng.randint(0, 3), rng.randint(0, 3)
            have.counts[(t, True)], have.counts[(t, False)] = rng.randint(0, 1), rng.randint(0, 1)
            if rng.random() < 0.7:
                low = rng.randint(0, 3)
                topics[t] = Quota(min=low, max=rng.choice([None, rng.randint(low, 5)]))
        plan = Blueprint(count=rng.randint(1, 9), topics=topics, min_critical=rng.randint(0, 4), written=0, min_per_bank=0)
        assert _fillable(have, left, plan) == brute(have, left, plan), (dict(have.counts), dict(left.counts), plan)
