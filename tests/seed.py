"""A small, realistic course history for the trainer's tests, the dashboard and the browser.

Answers go through the real path a learner's answer takes (course.session: grading, then the
store), so the seeded data is what the widgets would have stored.

    python tests/seed.py [DATA_DIR]     # seed the SQLite store of a data folder (default: var/)
"""

from __future__ import annotations

import sys
from pathlib import Path

from course.assessment import draw
from course.bank import Course, Matching, MultipleChoice, Numeric, Ordering, Question, SingleChoice, TrueFalse
from course.session import QuizSession
from course.store import ResultsStore

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


def _practice(store: ResultsStore, course: Course, learner: str, quizzes: list[str], *, wrong_first: int = 0) -> None:
    """Answer every question of each quiz: the first ``wrong_first`` questions wrongly, then rightly."""
    for quiz in quizzes:
        bank = course.bank(quiz)
        session = QuizSession(bank, learner, store)
        for index, q in enumerate(bank.questions):
            if q.type == "free_text":
                session.submit(q, FREE_TEXT_ANSWER)
                continue
            if index < wrong_first:
                session.submit(q, wrong_response(q))
            session.submit(q, key_response(q))


def _final(store: ResultsStore, course: Course, learner: str, *, miss_critical: bool) -> None:
    bank = course.bank("final_assessment")
    sitting = len(QuizSession(bank, learner, store, questions=[]).submissions())
    questions = draw(course, bank, learner, sitting=sitting)
    critical = next((q.id for q in questions if q.critical), None) if miss_critical else None
    responses = {q.id: wrong_response(q) if q.id == critical else key_response(q) for q in questions}
    QuizSession(bank, learner, store, questions=questions, course=course).submit_all(responses)


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
