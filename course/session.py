"""A learner's session with the course: everything a learner's page asks of it, answered in one place.

:class:`CourseSession` holds the banks (with their keys), the results store and *who the learner
is*, and answers the page's questions: the questions of a lesson (as a :mod:`course.paper`,
without keys), grading and storing an answer, opening and submitting a sitting of an assessment,
the learner's progress and course home.

It is the seam between the two ways the course runs:

- **single-user** (a laptop, ``make lab``): the lesson kernel makes a :class:`CourseSession`
  itself, with the name the learner set and the embedded SQLite store;
- **JupyterHub**: the course service makes one per request, for the user the hub vouches for,
  and the kernel reaches it through :class:`course.client.ServiceClient`, which offers the same
  methods (:class:`Backend`) and never holds a key.

Grading stays in :mod:`course.grading` (pure) and storing in :mod:`course.store`; nothing here
knows about widgets or HTTP.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from course.assessment import draw
from course.bank import Bank, Course, Question
from course.grading import Grade, QuizScore, UngradableResponse, grade, score_quiz
from course.paper import Paper, PaperQuestion
from course.progress import Home, LessonProgress, course_home, learner_progress, lessons_missing
from course.records import Attempt, SaveOutcome, StoreError

if TYPE_CHECKING:  # the store (and SQLAlchemy) load only when a lesson first stores an answer
    from course.store import ResultsStore


def to_json(response: Any) -> Any:
    """A response as plain JSON data: sets become sorted lists, tuples lists, keys strings."""
    if isinstance(response, (set, frozenset)):
        return sorted(to_json(r) for r in response)
    if isinstance(response, (list, tuple)):
        return [to_json(r) for r in response]
    if isinstance(response, Mapping):
        return {str(k): to_json(v) for k, v in response.items()}
    return response


# --- what a page gets back ---------------------------------------------------------------------


@dataclass(frozen=True)
class Earlier:
    """An answer given before, to show again: the response on the paper and its grade now."""

    response: Any
    grade: Grade | None
    """None when it cannot be graded any more (the question changed since)."""
    answered_at: datetime


@dataclass(frozen=True)
class Practice:
    """A practice quiz (or the part of it that checks one section) as the page shows it."""

    quiz: str
    title: str
    questions: tuple[PaperQuestion, ...]
    earlier: dict[str, Earlier] = field(default_factory=dict)
    """The latest answer to each question already answered, by question id."""
    earlier_unreadable: bool = False
    """True when the earlier answers could not be read (the learner can still answer)."""


@dataclass(frozen=True)
class Answered:
    """What became of one submitted practice answer."""

    grade: Grade | None
    """None only when the answer waits to be graded (the course service could not be reached)."""
    queued: bool
    """True when it waits on this computer (the results database or the service is away)."""
    key: str


@dataclass(frozen=True)
class SittingView:
    """An assessment as the page shows it: open to answer, submitted with its result, or locked."""

    quiz: str
    title: str
    pass_mark: float
    state: Literal["open", "submitted", "locked"]
    sitting: str | None = None
    """The sitting's id (its answers' ``submission``); None while locked."""
    number: int = 0
    """0 for the first sitting, 1 for the first retake, ..."""
    questions: tuple[PaperQuestion, ...] = ()
    responses: dict[str, Any] = field(default_factory=dict)
    """Submitted: the answers given, on the paper."""
    grades: dict[str, Grade] = field(default_factory=dict)
    score: QuizScore | None = None
    reasons: tuple[str, ...] = ()
    """Locked: what the learner must do first (the lessons not done yet)."""
    queued: bool = False
    """Submitted while the results database was away: kept on this computer, sent later."""
    retake_possible: bool = False
    """Submitted: whether a trainer has allowed another sitting (reopen to start it)."""


class IncompleteAssessment(ValueError):
    """Some answers of an assessment cannot be graded; nothing was stored."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__(f"{len(problems)} question(s) need an answer")


class RoleGiven(ValueError):
    """The learner has given their role already; only a trainer changes it (nothing was changed)."""


class AssessmentClosed(Exception):
    """The sitting cannot take these answers (not the learner's, not open, or not its questions); nothing was stored."""


class Backend(Protocol):
    """What a learner's page asks of the course: :class:`CourseSession` in-process, or the course service."""

    learner: str

    def mode(self, quiz: str) -> str: ...

    def practice(self, quiz: str, section: str | None = None) -> Practice: ...

    def answer(self, quiz: str, question: str, response: Any, *, key: str | None = None) -> Answered: ...

    def sitting(self, quiz: str) -> SittingView: ...

    def submit(self, quiz: str, sitting: str, responses: Mapping[str, Any], *, key: str | None = None) -> SittingView: ...

    def progress(self) -> list[LessonProgress]: ...

    def home(self) -> Home: ...

    def role(self) -> str | None: ...

    def set_role(self, role: str) -> str: ...


def stored_key(learner: str, key: str) -> str:
    """The key an answer is stored under: the page's key, made the learner's own (so that a key
    sent by one learner can never collide with, or reveal, another learner's answer)."""
    return hashlib.sha256(f"{learner}\0{key}".encode()).hexdigest()[:32]


# --- the session -------------------------------------------------------------------------------


class CourseSession:
    """One learner with the course: the banks, the results store and the paper the pages see."""

    def __init__(self, course: Course, store: ResultsStore, learner: str, *, paper: Paper | None = None) -> None:
        self.course = course
        self.store = store
        self.learner = learner
        self.paper = paper or Paper()

    def mode(self, quiz: str) -> str:
        """'practice' or 'assessment'; KeyError for a quiz the course does not have."""
        return self.course.bank(quiz).mode

    # --- practice ----------------------------------------------------------------------------

    def practice(self, quiz: str, section: str | None = None) -> Practice:
        """A practice quiz's questions (one section's if given) and the learner's latest answers.

        KeyError for an unknown quiz or a section no question checks; ValueError for an
        assessment (see :meth:`sitting`). When the earlier answers cannot be read, the questions
        come without them (``earlier_unreadable``): the learner can still answer.
        """
        bank = self._bank(quiz, "practice")
        chosen = bank.section(section) if section else list(bank.questions)
        if section and not chosen:
            raise KeyError(f"No questions check the section “{section}” in quiz “{quiz}”.")
        questions = tuple(self._paper(bank, q) for q in chosen)
        try:
            latest = self.store.latest(self.learner, quiz)
        except StoreError:
            return Practice(quiz, bank.title, questions, {}, earlier_unreadable=True)
        earlier: dict[str, Earlier] = {}
        for q in chosen:
            attempt = latest.get(q.id)
            if attempt is not None:
                earlier[q.id] = Earlier(self.paper.from_bank(q, self.learner, attempt.response), _regrade(q, attempt), attempt.answered_at)
        return Practice(quiz, bank.title, questions, earlier)

    def answer(self, quiz: str, question: str, response: Any, *, key: str | None = None) -> Answered:
        """Grade and store one practice answer given on the paper.

        Raises :class:`UngradableResponse` (nothing stored) when it cannot be graded, KeyError for
        a question not in the quiz. The same ``key`` sent again (a double click, a resend) stores
        nothing more and gets the first answer's grade back.
        """
        bank = self._bank(quiz, "practice")
        q = bank.question(question)
        key = stored_key(self.learner, key or uuid.uuid4().hex)
        try:
            already = self.store.attempt(key)
        except StoreError:
            already = None  # the database is away: the answer goes to the outbox, whose keys dedupe it
        if already is not None:
            return Answered(_regrade(q, already), False, key)
        bank_response = self.paper.to_bank(q, self.learner, response)
        g = grade(q, bank_response)
        outcome = self.store.record(self._attempt(bank, q, bank_response, g, key=key))
        return Answered(g, outcome is SaveOutcome.QUEUED, key)

    # --- assessments -------------------------------------------------------------------------

    def sitting(self, quiz: str, *, now: datetime | None = None) -> SittingView:
        """The learner's assessment: the open sitting (opened now if need be), else the last result.

        The first sitting opens only once the lessons it depends on are done (or a trainer waived
        that); a later one only after a trainer allowed a retake, or once, without one, when the
        learner's pass has fallen due for recertification at ``now`` (:mod:`course.recert`).
        StoreError when the database cannot be reached (the course cannot tell what the learner
        has already sat).
        """
        bank = self._bank(quiz, "assessment")
        taken = self.store.sittings(self.learner, quiz)
        role = self.role()  # the draw follows the role's blueprint (read here: the draw runs inside the store's transaction)
        if not taken:
            missing = lessons_missing(self.course, bank, self.store.attempts(learner=self.learner), role)
            if missing and not self.store.waivers(self.learner, quiz):
                return SittingView(quiz, bank.title, bank.pass_mark or 0, "locked", reasons=tuple(b.title for b in missing))
        renews = None
        if taken and taken[-1].submitted_at is not None:
            from course.recert import refresher_needed, renewable

            renews = renewable(self.course, self.store, self.learner, quiz=quiz, now=now)
            if renews is None and len(taken) > self.store.retakes_allowed(self.learner, quiz) + self.store.recertifications(self.learner, quiz):
                needed = refresher_needed(self.course, self.store, self.learner, quiz=quiz, now=now)
                if needed:  # recertification is open once the refresher lessons are done again
                    reasons = tuple(f"{title} (a refresher: answer each of its questions again)" for title in needed)
                    return SittingView(quiz, bank.title, bank.pass_mark or 0, "locked", reasons=reasons)
        sitting = self.store.open_sitting(self.learner, quiz, lambda n: [q.id for q in draw(self.course, bank, self.learner, sitting=n, role=role)], renews=renews)
        if sitting is None:
            return self._submitted(bank, taken[-1].id)
        questions = self._questions(sitting.questions)
        return SittingView(quiz, bank.title, bank.pass_mark or 0, "open", sitting.id, sitting.number, tuple(self._paper_list(questions)))

    def submit(self, quiz: str, sitting: str, responses: Mapping[str, Any], *, key: str | None = None) -> SittingView:
        """Grade every answer of an open sitting; store them all, once, only if every one can be graded.

        Raises :class:`IncompleteAssessment` naming each question that needs an answer, and
        :class:`AssessmentClosed` for a sitting that is not this learner's open sitting of ``quiz``
        or answers to other questions. A sitting already submitted (a second click, another tab)
        is not submitted again: its result comes back as it was stored. When the database cannot
        be reached, the answers are kept on this computer and sent later.
        """
        bank = self._bank(quiz, "assessment")
        found = self.store.sitting(sitting)
        if found is None or found.learner != self.learner or found.quiz != quiz:
            raise AssessmentClosed("This is not your sitting of this assessment; nothing was submitted.")
        if found.submitted_at is not None:
            return self._submitted(bank, sitting)
        questions = self._questions(found.questions)
        if set(map(str, responses)) - {q.id for q in questions}:
            raise AssessmentClosed("Only answers to the questions of this sitting are accepted; nothing was submitted.")
        grades: dict[str, Grade] = {}
        given: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for q in questions:
            try:
                given[q.id] = self.paper.to_bank(q, self.learner, responses.get(q.id))
                grades[q.id] = grade(q, given[q.id])
            except UngradableResponse as exc:
                problems[q.id] = str(exc)
        if problems:
            raise IncompleteAssessment(problems)
        answers = [self._attempt(bank, q, given[q.id], grades[q.id], key=stored_key(self.learner, f"{sitting}:{q.id}"), submission=sitting) for q in questions]
        try:
            if not self.store.submit_sitting(sitting, answers):
                return self._submitted(bank, sitting)
            queued = False
        except StoreError:
            # the database went away: keep every answer on this computer; the sitting is submitted when they are sent
            queued = any(self.store.record(a) is SaveOutcome.QUEUED for a in answers)
        return replace(self._result(bank, found.number, sitting, questions, given, grades), queued=queued)

    # --- progress ----------------------------------------------------------------------------

    def progress(self) -> list[LessonProgress]:
        """Every lesson's progress, in lesson order."""
        return learner_progress(self.course, self.store, self.learner)

    def home(self) -> Home:
        """The course home: the lessons and their progress, the next lesson, locked assessments."""
        return course_home(self.course, self.store, self.learner)

    # --- the learner's role ------------------------------------------------------------------

    def role(self) -> str | None:
        """The learner's role (``course.roles.ROLES``), or None while not given."""
        return self.store.role(self.learner)

    def set_role(self, role: str) -> str:
        """Give the learner's role, once (as the learner; a trainer changes it with ``course role``).

        ValueError naming the roles for one that is not a role; :class:`RoleGiven` when the learner
        has a different role already. Giving the same role again changes nothing.
        """
        from course.roles import check_role, role_name

        role = check_role(role)
        self.store.ensure_learner(self.learner)
        given = self.store.role(self.learner)
        if given is not None and given != role:
            raise RoleGiven(f"Your role is already {role_name(given)}. If it has changed, ask your trainer to change it.")
        self.store.set_role(self.learner, role, by=self.learner)
        return role

    # --- inside ------------------------------------------------------------------------------

    def _bank(self, quiz: str, mode: str) -> Bank:
        bank = self.course.bank(quiz)
        if bank.mode != mode:
            raise ValueError(f"quiz {quiz!r} is {'an' if bank.mode == 'assessment' else 'a'} {bank.mode}, not {'an' if mode == 'assessment' else 'a'} {mode}")
        return bank

    def _paper(self, bank: Bank, q: Question) -> PaperQuestion:
        return self.paper.question(q, self.learner, quiz=bank.quiz, number=bank.questions.index(q) + 1, count=len(bank.questions))

    def _paper_list(self, questions: Sequence[Question]) -> list[PaperQuestion]:
        owners = {q.id: self.course.question(q.id)[0].quiz for q in questions}
        return [self.paper.question(q, self.learner, quiz=owners[q.id], number=n, count=len(questions)) for n, q in enumerate(questions, 1)]

    def _questions(self, ids: Sequence[str]) -> list[Question]:
        """The questions of a sitting, as stored when it opened (those no longer in any bank left out)."""
        found = []
        for qid in ids:
            try:
                found.append(self.course.question(qid)[1])
            except KeyError:
                continue
        return found

    def _attempt(self, bank: Bank, q: Question, response: Any, g: Grade, *, key: str, submission: str | None = None) -> Attempt:
        return Attempt(
            learner=self.learner,
            quiz=bank.quiz,
            question=q.id,
            question_type=q.type,
            bank_version=self.course.question(q.id)[0].version,
            mode=bank.mode,
            response=to_json(response),
            score=None if g.pending else g.score,
            max_score=g.max_score,
            correct=None if g.pending else g.correct,
            key=key,
            submission=submission,
        )

    def _submitted(self, bank: Bank, sitting: str) -> SittingView:
        """A submitted sitting's result, re-graded from its stored answers (reviews of written ones counted)."""
        found = self.store.sitting(sitting)
        assert found is not None
        questions = self._questions(found.questions)
        answers = {a.question: a for a in self.store.attempts(learner=self.learner, quiz=bank.quiz) if a.submission == sitting}
        given: dict[str, Any] = {}
        grades: dict[str, Grade] = {}
        for q in questions:
            a = answers.get(q.id)
            if a is None:
                continue
            given[q.id] = a.response
            g = _regrade(q, a)
            if g is not None and g.pending:
                reviews = self.store.reviews(a.key)
                if reviews:
                    score = reviews[-1].score
                    g = Grade(g.question_id, score, g.max_score, score >= g.max_score, g.feedback, g.explanation, False, g.critical)
            if g is not None:
                grades[q.id] = g
        left = len(self.store.sittings(self.learner, bank.quiz)) <= self.store.retakes_allowed(self.learner, bank.quiz) + self.store.recertifications(self.learner, bank.quiz)
        return replace(self._result(bank, found.number, sitting, questions, given, grades), retake_possible=left)

    def _result(self, bank: Bank, number: int, sitting: str, questions: Sequence[Question], given: Mapping[str, Any], grades: Mapping[str, Grade]) -> SittingView:
        shown = {q.id: self.paper.from_bank(q, self.learner, given[q.id]) for q in questions if q.id in given}
        return SittingView(
            bank.quiz, bank.title, bank.pass_mark or 0, "submitted", sitting, number, tuple(self._paper_list(questions)),
            shown, dict(grades), score_quiz(questions, grades, bank.pass_mark),
        )  # fmt: skip


def _regrade(q: Question, attempt: Attempt) -> Grade | None:
    try:
        return grade(q, attempt.response)
    except UngradableResponse:
        return None
