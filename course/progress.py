"""A learner's progress through the course, computed from the stored attempts and the banks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from course.bank import Bank, Course
from course.records import Attempt, submissions_of

if TYPE_CHECKING:
    from course.store import ResultsStore


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


@dataclass(frozen=True)
class Home:
    """The learner's course home: every lesson with its progress, the next one, what is locked."""

    learner: str
    lessons: tuple[LessonProgress, ...]
    next_quiz: str | None
    """The quiz of the lesson to take next (the first not done, in order), or None when all are."""
    locked: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """For each locked assessment, what the learner must finish first."""
    role: str | None = None
    """The learner's role (``course.roles.ROLES``), or None while not given: progress counts the
    questions of the role's sections (every section without a role)."""
    due: str | None = None
    """What the learner reads about their due date or recertification (:func:`course.recert.learner_note`), or None."""


def _practice(bank: Bank, attempts: list[Attempt], role: str | None = None) -> LessonProgress:
    mine = bank.for_role(role)
    if not mine:
        return LessonProgress(bank.quiz, bank.title, bank.lesson, NOT_FOR_ROLE, "", True)
    ids = {q.id for q in mine}
    answered = {a.question for a in attempts if a.question in ids}
    right = {a.question for a in attempts if a.question in ids and a.correct}
    first: dict[str, Attempt] = {}
    for a in attempts:
        if a.question in ids and a.score is not None:
            first.setdefault(a.question, a)
    total = len(ids)
    if not answered:
        return LessonProgress(bank.quiz, bank.title, bank.lesson, "not started", "", False)
    gradable = [q for q in mine if q.gradable]
    first_score = sum(first[q.id].score or 0 for q in gradable if q.id in first)
    first_max = sum(q.points for q in gradable)
    pct = 100 * first_score / first_max if first_max else 0
    detail = f"first tries {pct:.0f}%; right now {len(right)} of {len(gradable)}"
    done = answered == ids
    status = "done" if done else f"in progress ({len(answered)} of {total} answered)"
    return LessonProgress(bank.quiz, bank.title, bank.lesson, status, detail, done)


@dataclass(frozen=True)
class FinalResult:
    """One sitting of an assessment, scored as the progress view scores it (see :func:`final_result`)."""

    learner: str
    quiz: str
    title: str
    percent: float
    """Score as a percent of the graded answers' maximum, 0..100 (pending free text is left out)."""
    passed: bool
    """``percent`` reached ``pass_mark``, no safety-critical question was missed, none is pending."""
    pass_mark: float
    total: float
    maximum: float
    critical_missed: tuple[str, ...]
    """Ids of the safety-critical questions not answered fully right, in the order answered."""
    pending: tuple[str, ...]
    """Ids of free-text answers stored without a score (waiting for a trainer)."""
    date: datetime
    """When the sitting was submitted: the latest ``answered_at`` of its answers (timezone-aware, UTC)."""
    submission: str
    sitting: int
    """1 for the learner's first sitting of this assessment, 2 for the first retake, ..."""
    bank_version: str
    """Version of the assessment bank whose pass mark and critical flags scored the sitting (as loaded now)."""
    answer_versions: tuple[str, ...]
    """The bank versions stored with the sitting's answers (drawn questions keep their source bank's)."""
    irregular: str | None = None
    """Why the record needs a trainer's check (more sittings than were allowed, or a sitting the
    course never opened), or None. A certificate is not issued while it is set."""
    pending_maximum: float = 0.0
    """The points of the written answers still waiting for a trainer."""

    @property
    def awaiting_review(self) -> bool:
        """True while a written answer waits for a trainer's score and the sitting could still pass
        with it (no safety-critical question missed; the pass mark within reach): "awaiting a
        trainer's review", not failed."""
        if not self.pending or self.critical_missed:
            return False
        best = self.total + self.pending_maximum
        most = self.maximum + self.pending_maximum
        return bool(most) and 100 * best / most + 1e-9 >= self.pass_mark


def _score_sitting(course: Course, bank: Bank, attempts: list[Attempt], submission: str, sitting: int) -> FinalResult:
    """Score one submission of ``bank`` from ``attempts`` (one learner's, oldest first).

    The one scoring rule of the progress view and of :func:`final_result`: every graded answer of
    the submission counts; a free-text answer still waiting for a trainer counts in neither the
    total nor the maximum (as in :func:`course.grading.score_quiz`), and the sitting is not passed
    until it has been scored; a safety-critical question is missed unless answered fully right;
    questions no longer in the course are not checked for being critical.
    """
    last = [a for a in attempts if a.submission == submission]
    graded = [a for a in last if a.score is not None]
    total = sum(a.score or 0 for a in graded)
    maximum = sum(a.max_score for a in graded)
    pct = 100 * total / maximum if maximum else 0
    critical_missed: list[str] = []
    for a in last:
        try:
            _, q = course.question(a.question)
        except KeyError:
            continue
        if q.critical and not a.correct:
            critical_missed.append(a.question)
    pending = tuple(a.question for a in last if a.score is None)
    passed = pct + 1e-9 >= (bank.pass_mark or 0) and not critical_missed and not pending
    return FinalResult(
        learner=last[0].learner,
        quiz=bank.quiz,
        title=bank.title,
        percent=pct,
        passed=passed,
        pass_mark=bank.pass_mark or 0,
        total=total,
        maximum=maximum,
        critical_missed=tuple(critical_missed),
        pending=pending,
        date=max(a.answered_at for a in last),
        pending_maximum=sum(a.max_score for a in last if a.score is None),
        submission=submission,
        sitting=sitting,
        bank_version=bank.version,
        answer_versions=tuple(sorted({a.bank_version for a in last})),
    )


def _assessment(course: Course, bank: Bank, attempts: list[Attempt]) -> LessonProgress:
    submissions = submissions_of(attempts)
    if not submissions:
        return LessonProgress(bank.quiz, bank.title, bank.lesson, "not taken", "", False)
    result = _score_sitting(course, bank, attempts, submissions[-1], len(submissions))
    detail = f"{result.percent:.0f}% (pass mark {bank.pass_mark or 0:g}%)"
    if result.critical_missed:
        detail += f"; {len(result.critical_missed)} safety-critical missed"
    if result.pending:
        detail += f"; {len(result.pending)} written answer(s) wait for a trainer"
    status = "passed" if result.passed else AWAITING_REVIEW if result.awaiting_review else "not passed"
    return LessonProgress(bank.quiz, bank.title, bank.lesson, status, detail, True, result.passed)


AWAITING_REVIEW = "awaiting a trainer's review"
"""An assessment's status while its written answer waits for a trainer's score (and it can still pass)."""
NOT_FOR_ROLE = "not needed for your role"
"""A lesson none of whose questions are for the learner's role (done, as there is nothing to do)."""
_STORED = object()


def stored_role(store: object, learner: str) -> str | None:
    """The learner's role as the store has it (None when not given, or a store that keeps none)."""
    role = getattr(store, "role", None)
    return role(learner) if callable(role) else None


def _with_reviews(store: ResultsStore, attempts: list[Attempt]) -> list[Attempt]:
    """The attempts, each free-text answer a trainer has scored carrying the latest review's score.

    The same rule as the trainer's report (its effective score), so that the learner, the
    certificate and the trainer agree once a written answer has been reviewed.
    """
    out = []
    for a in attempts:
        if a.score is None:
            reviews = store.reviews(a.key)
            if reviews:
                score = reviews[-1].score
                a = replace(a, score=score, correct=score >= a.max_score)
        out.append(a)
    return out


def learner_progress(course: Course, store: ResultsStore, learner: str, *, attempts: list[Attempt] | None = None, role: str | None | object = _STORED) -> list[LessonProgress]:
    """Every lesson's progress for ``learner``, in lesson order (reviewed written answers scored).

    ``attempts`` (the learner's, from the store) saves reading them again when the caller has them.
    A lesson's progress counts the questions of the sections ``role`` needs (default: the role
    the store has for the learner; every question without one).
    """
    role = stored_role(store, learner) if role is _STORED else role
    by_quiz: dict[str, list[Attempt]] = defaultdict(list)
    for a in _with_reviews(store, store.attempts(learner=learner) if attempts is None else attempts):
        by_quiz[a.quiz].append(a)
    rows = []
    for bank in sorted(course.banks.values(), key=lambda b: b.lesson):
        attempts = by_quiz.get(bank.quiz, [])
        rows.append(_assessment(course, bank, attempts) if bank.mode == "assessment" else _practice(bank, attempts, role))  # type: ignore[arg-type]
    return rows


_FINAL_QUIZ = "final_assessment"


def _final_bank(course: Course) -> Bank:
    """The course's final assessment: the bank with quiz id ``final_assessment`` if it is an
    assessment, else the assessment bank last in lesson order. LookupError if there is none."""
    bank = course.banks.get(_FINAL_QUIZ)
    if bank is not None and bank.mode == "assessment":
        return bank
    assessments = sorted((b for b in course.banks.values() if b.mode == "assessment"), key=lambda b: b.lesson)
    if not assessments:
        raise LookupError("The course has no final assessment (no question bank has mode: assessment).")
    return assessments[-1]


def final_result(course: Course, store: ResultsStore, learner: str) -> FinalResult | None:
    """The learner's latest sitting of the final assessment, scored exactly as
    :func:`learner_progress` scores it; None if the learner has not sat it.

    The final assessment is the bank with quiz id ``final_assessment`` when it is an assessment,
    else the assessment bank last in lesson order. Raises LookupError when the course has none.
    """
    bank = _final_bank(course)
    attempts = _with_reviews(store, store.attempts(learner=learner, quiz=bank.quiz))
    submissions = submissions_of(attempts)
    if not submissions:
        return None
    result = _score_sitting(course, bank, attempts, submissions[-1], len(submissions))
    return replace(result, irregular=_irregular(store, learner, bank.quiz, submissions))


def _irregular(store: ResultsStore, learner: str, quiz: str, submissions: list[str]) -> str | None:
    """Why these sittings do not add up, or None: each must be a sitting the course opened and
    submitted, and there may be no more than one plus one per retake a trainer allowed."""
    opened = {s.id: s for s in store.sittings(learner, quiz)}
    unknown = [s for s in submissions if s not in opened or opened[s].submitted_at is None]
    if unknown:
        return f"{len(unknown)} sitting{'s' * (len(unknown) != 1)} of {quiz} {'were' if len(unknown) != 1 else 'was'} not opened by the course ({', '.join(unknown)})"
    recerts = store.recertifications(learner, quiz)
    allowed = 1 + store.retakes_allowed(learner, quiz) + recerts
    if len(submissions) > allowed:
        retakes = allowed - 1 - recerts
        also = f" and {recerts} recertification{'s' * (recerts != 1)}" if recerts else ""
        return f"{len(submissions)} sittings of {quiz} are stored, but only {allowed} {'was' if allowed == 1 else 'were'} allowed (one, and {retakes} retake{'s' * (retakes != 1)}{also})"
    return None


def prerequisites(course: Course, bank: Bank) -> list[Bank]:
    """The practice lessons an assessment depends on: the banks it draws from, in lesson order."""
    if bank.draw is None:
        return []
    found = [course.banks[name] for name in bank.draw.banks if name in course.banks and course.banks[name].mode == "practice"]
    return sorted(found, key=lambda b: b.lesson)


def lessons_missing(course: Course, bank: Bank, attempts: list[Attempt], role: str | None = None) -> list[Bank]:
    """The lessons ``bank`` depends on that the learner (whose ``attempts`` these are) has not done
    (the questions of ``role``'s sections answered)."""
    by_quiz: dict[str, list[Attempt]] = defaultdict(list)
    for a in attempts:
        by_quiz[a.quiz].append(a)
    return [b for b in prerequisites(course, bank) if not _practice(b, by_quiz.get(b.quiz, []), role).done]


def course_home(course: Course, store: ResultsStore, learner: str) -> Home:
    """The learner's course home: every lesson's progress, the next lesson, the locked assessments."""
    attempts = store.attempts(learner=learner)
    role = stored_role(store, learner)
    rows = learner_progress(course, store, learner, attempts=attempts, role=role)
    locked: dict[str, tuple[str, ...]] = {}
    for bank in course.banks.values():
        if bank.mode != "assessment" or store.sittings(learner, bank.quiz) or store.waivers(learner, bank.quiz):
            continue
        missing = lessons_missing(course, bank, attempts, role)
        if missing:
            locked[bank.quiz] = tuple(b.title for b in missing)
    upcoming = [r for r in rows if not r.done and r.quiz not in locked]
    from course.recert import learner_note

    return Home(learner, tuple(rows), upcoming[0].quiz if upcoming else None, locked, role, due=learner_note(course, store, learner))
