"""A small, realistic course history for the trainer's tests, the dashboard and the browser.

Answers go through the real path a learner's answer takes (course.session: the paper a page
shows, grading, then the store), so the seeded data is what the widgets would have stored.

    python tests/seed.py [DATA_DIR]     # seed the SQLite store of a data folder (default: var/)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from course.bank import Course, Matching, MultipleChoice, Numeric, Ordering, Question, SingleChoice, TrueFalse
from course.grading import QuizScore, grade, score_quiz
from course.session import CourseSession
from course.store import Attempt, ResultsStore

NURSES = "2026-11 nurses"
FRONT_DESK = "2026-11 front desk"
ANN, BOB, CARLA, DEV, EVE = "Ann Nurse", "Bob Front-Desk", "Carla Clinician", "Dev <b>Bold</b> & Co", "Eve New"
FREE_TEXT_ANSWER = "I would say it is not a cure but a tool, and that <script>the prescriber</script> decides."


def key_response(q: Question):
    """The response the key itself gives."""
    if isinstance(q, SingleChoice):
        return next(o.id for o in q.options if o.correct)
    if isinstance(q, MultipleChoice):
        return [o.id for o in q.options if o.correct]
    if isinstance(q, TrueFalse):
        return q.answer
    if isinstance(q, Numeric):
        return q.answer if q.answer is not None else (q.min + q.max) / 2
    if isinstance(q, Ordering):
        return [i.id for i in q.items]
    if isinstance(q, Matching):
        return {p.id: p.id for p in q.pairs}
    raise AssertionError(f"{q.id}: a {q.type} question has no key")


def wrong_response(q: Question):
    """A gradable response that is not fully right."""
    if isinstance(q, SingleChoice):
        return next(o.id for o in q.options if not o.correct)
    if isinstance(q, MultipleChoice):
        wrong = [o.id for o in q.options if not o.correct]
        return wrong[:1] if wrong else [o.id for o in q.options if o.correct][:1]
    if isinstance(q, TrueFalse):
        return not q.answer
    if isinstance(q, Numeric):
        return (q.answer + q.tolerance if q.answer is not None else q.max) + 1000
    if isinstance(q, Ordering):
        return [i.id for i in reversed(q.items)]
    if isinstance(q, Matching):
        ids = [p.id for p in q.pairs]
        return {pid: ids[(n + 1) % len(ids)] for n, pid in enumerate(ids)}
    raise AssertionError(q.type)


def practise(store: ResultsStore, course: Course, learner: str, quiz: str, responses: dict[str, Any]) -> None:
    """Answer practice questions, each response in the bank's terms, through the learner's path."""
    session = CourseSession(course, store, learner)
    for qid, response in responses.items():
        session.answer(quiz, qid, session.paper.from_bank(course.question(qid)[1], learner, response))


@dataclass(frozen=True)
class Sat:
    """A submitted sitting: its id (the answers' ``submission``) and its score."""

    submission: str
    score: QuizScore


def sit(store: ResultsStore, course: Course, learner: str, quiz: str, responses: dict[str, Any], *, when: datetime | None = None, renews: str | None = None) -> Sat:
    """Sit an assessment whose questions are the keys of ``responses`` (in the bank's terms).

    Without ``when``, through the learner's path (a trainer waives the lessons first if they are
    not done); with ``when``, through the store at that time (to set dates), as the course does.
    """
    bank = course.bank(quiz)
    if when is None:
        session = CourseSession(course, store, learner)
        view = session.sitting(quiz)
        if view.state == "locked":
            store.waive(learner, quiz, by="Seed Trainer", reason="seeded history")
            view = session.sitting(quiz)
        assert view.state == "open", f"{learner} has no sitting of {quiz} left: allow a retake first"
        on_paper = {q.id: session.paper.from_bank(q, learner, responses[q.id]) for q in (course.question(p.id)[1] for p in view.questions)}
        done = session.submit(quiz, view.sitting, on_paper)
        assert done.score is not None
        return Sat(done.sitting, done.score)
    questions = [course.question(qid)[1] for qid in responses]
    opened = store.open_sitting(learner, quiz, lambda n: list(responses), renews=renews)  # renews: a recertification (course.recert)
    assert opened is not None, f"{learner} has no sitting of {quiz} left: allow a retake first"
    grades = {q.id: grade(q, responses[q.id]) for q in questions}
    store.submit_sitting(opened.id, [
        Attempt(
            learner=learner, quiz=quiz, question=q.id, question_type=q.type, bank_version=course.question(q.id)[0].version,
            mode=bank.mode, response=responses[q.id], score=None if grades[q.id].pending else grades[q.id].score,
            max_score=grades[q.id].max_score, correct=None if grades[q.id].pending else grades[q.id].correct,
            submission=opened.id, answered_at=when,
        )
        for q in questions
    ])  # fmt: skip
    return Sat(opened.id, score_quiz(questions, grades, bank.pass_mark))


def _practice(store: ResultsStore, course: Course, learner: str, quizzes: list[str], *, wrong_first: int = 0) -> None:
    """Answer every question of each quiz: the first ``wrong_first`` questions wrongly, then rightly."""
    session = CourseSession(course, store, learner)
    for quiz in quizzes:
        bank = course.bank(quiz)
        for index, q in enumerate(bank.questions):
            if q.type == "free_text":
                session.answer(quiz, q.id, FREE_TEXT_ANSWER)
                continue
            if index < wrong_first:
                session.answer(quiz, q.id, session.paper.from_bank(q, learner, wrong_response(q)))
            session.answer(quiz, q.id, session.paper.from_bank(q, learner, key_response(q)))


def _final(store: ResultsStore, course: Course, learner: str, *, miss_critical: bool) -> None:
    from course.assessment import draw

    session = CourseSession(course, store, learner)
    # the learner's draw without its written scenario (issue 11), so that the seeded result is final
    # without a trainer's review: tests of reviews start from the practice answers alone
    final = course.bank("final_assessment")
    opened = store.open_sitting(learner, "final_assessment", lambda n: [q.id for q in draw(course, final, learner, sitting=n) if q.gradable])
    assert opened is not None
    sitting = session.sitting("final_assessment")
    assert sitting.state == "open" and sitting.sitting == opened.id, sitting
    questions = [course.question(p.id)[1] for p in sitting.questions]
    critical = next((q.id for q in questions if q.critical), None) if miss_critical else None
    responses = {q.id: session.paper.from_bank(q, learner, wrong_response(q) if q.id == critical else key_response(q)) for q in questions}
    session.submit("final_assessment", sitting.sitting, responses)


def seed(store: ResultsStore, course: Course) -> None:
    """Five learners in two cohorts (and none): passed, in progress, failed on a critical question, odd name, no answers."""
    practice = [b.quiz for b in sorted(course.banks.values(), key=lambda b: b.lesson) if b.mode == "practice"]
    for name, cohort in ((ANN, NURSES), (CARLA, NURSES), (BOB, FRONT_DESK)):
        store.ensure_learner(name, cohort)
    store.ensure_learner(EVE)
    _practice(store, course, ANN, practice)
    _final(store, course, ANN, miss_critical=False)
    _practice(store, course, CARLA, practice, wrong_first=2)
    _final(store, course, CARLA, miss_critical=True)
    _practice(store, course, BOB, practice[:3], wrong_first=3)
    _practice(store, course, DEV, practice[1:2])


if __name__ == "__main__":
    import os

    from course.bank import load_course

    if len(sys.argv) > 1:
        os.environ["COURSE_DATA_DIR"] = str(Path(sys.argv[1]).resolve())
    with ResultsStore() as results:
        seed(results, load_course())
        print(f"seeded {len(results.attempts())} answers of {len(results.learners())} learners into {results.url}")
