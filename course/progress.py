"""A learner's progress through the course, computed from the stored attempts and the banks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from course.bank import Bank, Course
from course.store import Attempt, ResultsStore


@dataclass(frozen=True)
class LessonProgress:
    """One lesson's line in the progress view."""

    quiz: str
    title: str
    lesson: str
    status: str
    detail: str
    done: bool
    passed: bool | None = None
    """For an assessment: True or False once taken; None otherwise."""


def _practice(bank: Bank, attempts: list[Attempt]) -> LessonProgress:
    ids = {q.id for q in bank.questions}
    answered = {a.question for a in attempts if a.question in ids}
    right = {a.question for a in attempts if a.question in ids and a.correct}
    first: dict[str, Attempt] = {}
    for a in attempts:
        if a.question in ids and a.score is not None:
            first.setdefault(a.question, a)
    total = len(ids)
    if not answered:
        return LessonProgress(bank.quiz, bank.title, bank.lesson, "not started", "", False)
    gradable = [q for q in bank.questions if q.gradable]
    first_score = sum(first[q.id].score or 0 for q in gradable if q.id in first)
    first_max = sum(q.points for q in gradable)
    pct = 100 * first_score / first_max if first_max else 0
    detail = f"first tries {pct:.0f}%; right now {len(right)} of {len(gradable)}"
    done = answered == ids
    status = "done" if done else f"in progress ({len(answered)} of {total} answered)"
    return LessonProgress(bank.quiz, bank.title, bank.lesson, status, detail, done)


def _assessment(course: Course, bank: Bank, attempts: list[Attempt]) -> LessonProgress:
    submissions: list[str] = []
    for a in attempts:
        if a.submission and a.submission not in submissions:
            submissions.append(a.submission)
    if not submissions:
        return LessonProgress(bank.quiz, bank.title, bank.lesson, "not taken", "", False)
    last = [a for a in attempts if a.submission == submissions[-1]]
    total = sum(a.score or 0 for a in last)
    maximum = sum(a.max_score for a in last)
    pct = 100 * total / maximum if maximum else 0
    critical_missed = 0
    for a in last:
        try:
            _, q = course.question(a.question)
        except KeyError:
            continue
        if q.critical and not a.correct:
            critical_missed += 1
    passed = pct + 1e-9 >= (bank.pass_mark or 0) and critical_missed == 0
    detail = f"{pct:.0f}% (pass mark {bank.pass_mark or 0:g}%)"
    if critical_missed:
        detail += f"; {critical_missed} safety-critical missed"
    return LessonProgress(bank.quiz, bank.title, bank.lesson, "passed" if passed else "not passed", detail, True, passed)


def learner_progress(course: Course, store: ResultsStore, learner: str) -> list[LessonProgress]:
    """Every lesson's progress for ``learner``, in lesson order."""
    by_quiz: dict[str, list[Attempt]] = defaultdict(list)
    for a in store.attempts(learner=learner):
        by_quiz[a.quiz].append(a)
    rows = []
    for bank in sorted(course.banks.values(), key=lambda b: b.lesson):
        attempts = by_quiz.get(bank.quiz, [])
        rows.append(_assessment(course, bank, attempts) if bank.mode == "assessment" else _practice(bank, attempts))
    return rows
