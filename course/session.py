"""One learner working through one quiz: grade each response, store it, remember what was answered.

This is the glue between :mod:`course.grading` (pure) and :mod:`course.store` (I/O). It holds no
widget code, so the same rules serve the notebook widgets, the benchmarks and the tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from course.bank import Bank, Course, Question
from course.grading import Grade, QuizScore, UngradableResponse, grade, score_quiz
from course.records import Attempt, SaveOutcome, StoreError, submissions_of

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


@dataclass(frozen=True)
class Submitted:
    """What happened to one submitted answer."""

    grade: Grade
    outcome: SaveOutcome
    attempt: Attempt

    @property
    def queued(self) -> bool:
        """True when the answer waits in the outbox (the database could not be reached)."""
        return self.outcome is SaveOutcome.QUEUED


class IncompleteAssessment(ValueError):
    """Some answers of an assessment cannot be graded; nothing was stored."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__(f"{len(problems)} question(s) need an answer")


class AssessmentClosed(Exception):
    """The learner has already submitted this assessment and no retake was allowed; nothing was stored."""


@dataclass(frozen=True)
class AssessmentResult:
    """A submitted assessment: every grade, the score, and how the answers were saved."""

    grades: dict[str, Grade]
    score: QuizScore
    submission: str
    queued: bool


class QuizSession:
    """A learner's session with one quiz (a practice quiz or an assessment)."""

    def __init__(self, bank: Bank, learner: str, store: ResultsStore, *, questions: Sequence[Question] | None = None, course: Course | None = None):
        self.bank = bank
        self.learner = learner
        self.store = store
        self.questions: list[Question] = list(questions if questions is not None else bank.questions)
        self._course = course

    def _version_of(self, question: Question) -> str:
        """The version of the bank the question comes from (drawn questions keep their own bank's)."""
        if self._course is not None and question not in self.bank.questions:
            return self._course.question(question.id)[0].version
        return self.bank.version

    def _attempt(self, question: Question, response: Any, g: Grade, submission: str | None = None) -> Attempt:
        return Attempt(
            learner=self.learner,
            quiz=self.bank.quiz,
            question=question.id,
            question_type=question.type,
            bank_version=self._version_of(question),
            mode=self.bank.mode,
            response=to_json(response),
            score=None if g.pending else g.score,
            max_score=g.max_score,
            correct=None if g.pending else g.correct,
            submission=submission,
        )

    def submit(self, question: Question, response: Any) -> Submitted:
        """Grade and store one answer. Raises :class:`UngradableResponse` (nothing stored) if it cannot be graded."""
        g = grade(question, response)
        attempt = self._attempt(question, response, g)
        return Submitted(g, self.store.record(attempt), attempt)

    def previous(self) -> dict[str, Attempt]:
        """The latest stored answer to each question of this quiz, by question id."""
        return self.store.latest(self.learner, self.bank.quiz)

    # --- assessments ---------------------------------------------------------------------------

    def submissions(self) -> list[str]:
        """The ids of the assessment submissions already made, oldest first."""
        return submissions_of(self.store.attempts(learner=self.learner, quiz=self.bank.quiz))

    def can_take(self, submissions: Sequence[str] | None = None) -> bool:
        """True when the learner may (still) submit: first time, or a trainer allowed a retake.

        ``submissions`` (from :meth:`submissions`) saves reading them again when the caller has them.
        """
        taken = self.submissions() if submissions is None else submissions
        return len(taken) <= self.store.retakes_allowed(self.learner, self.bank.quiz)

    def submit_all(self, responses: Mapping[str, Any]) -> AssessmentResult:
        """Grade every answer first; store them all only if every one can be graded.

        Raises :class:`IncompleteAssessment` naming each question that needs an answer, and
        :class:`AssessmentClosed` when the learner already submitted (from another tab or kernel)
        and no retake was allowed. If the database cannot be read to check that, the answers are
        kept (in the outbox) rather than lost; the trainer's report shows the extra sitting.
        """
        grades: dict[str, Grade] = {}
        problems: dict[str, str] = {}
        for q in self.questions:
            try:
                grades[q.id] = grade(q, responses.get(q.id))
            except UngradableResponse as exc:
                problems[q.id] = str(exc)
        if problems:
            raise IncompleteAssessment(problems)
        try:
            closed = not self.can_take()
        except StoreError:
            closed = False
        if closed:
            raise AssessmentClosed("You have already submitted this assessment. Your trainer can allow a retake.")
        submission = uuid.uuid4().hex
        queued = False
        for q in self.questions:
            outcome = self.store.record(self._attempt(q, responses[q.id], grades[q.id], submission))
            queued = queued or outcome is SaveOutcome.QUEUED
        return AssessmentResult(grades, score_quiz(self.questions, grades, self.bank.pass_mark), submission, queued)

    def questions_of(self, submission: str, course: Course) -> list[Question]:
        """The questions a submission answered, in the order shown (from the stored attempts).

        A result already given is rebuilt from these, so a later edit of a source bank cannot
        change which questions it counts. Questions no longer in any bank are left out.
        """
        questions: list[Question] = []
        for a in self.store.attempts(learner=self.learner, quiz=self.bank.quiz):
            if a.submission != submission or any(q.id == a.question for q in questions):
                continue
            try:
                questions.append(course.question(a.question)[1])
            except KeyError:
                continue
        return questions

    def result_of(self, submission: str) -> AssessmentResult:
        """The result of an earlier submission, re-graded from the stored responses."""
        grades: dict[str, Grade] = {}
        for a in self.store.attempts(learner=self.learner, quiz=self.bank.quiz):
            if a.submission != submission:
                continue
            q = next((q for q in self.questions if q.id == a.question), None)
            if q is None:
                continue
            try:
                grades[q.id] = grade(q, a.response)
            except UngradableResponse:
                continue
        return AssessmentResult(grades, score_quiz(self.questions, grades, self.bank.pass_mark), submission, False)
