"""Attempts and sittings: reading the stored answers, and an assessment's sittings.

The :class:`~course.store.ResultsStore` methods that read attempts and open, list and submit
sittings, and the conversions between an :class:`~course.records.Attempt` and an ``attempts`` row
(:func:`_attempt_row` checks an attempt and refuses one that cannot be stored).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from course.records import Attempt, Sitting, StoreError
from course.store.certification import _count_recertifications
from course.store.connection import _now
from course.store.tables import attempts, recertifications, sittings
from course.store.trainers import _count_retakes


MODES = ("practice", "assessment")


class AnswersMixin:
    """:class:`~course.store.ResultsStore`'s methods for attempts and sittings."""

    def attempts(self, *, learner: str | None = None, quiz: str | None = None) -> list[Attempt]:
        """The attempts, oldest first, of one learner and/or one quiz if given."""
        query = select(attempts).order_by(attempts.c.answered_at, attempts.c.id)
        if learner is not None:
            query = query.where(attempts.c.learner == learner)
        if quiz is not None:
            query = query.where(attempts.c.quiz == quiz)
        with self._connection() as conn:
            rows = conn.execute(query).mappings().all()
        return [_attempt_from_row(row) for row in rows]

    def attempt(self, key: str) -> Attempt | None:
        """The attempt stored under ``key``, or None."""
        with self._connection() as conn:
            row = conn.execute(select(attempts).where(attempts.c.key == key)).mappings().first()
        return None if row is None else _attempt_from_row(row)

    def latest(self, learner: str, quiz: str) -> dict[str, Attempt]:
        """The learner's latest attempt at each question of the quiz, by question id."""
        return {attempt.question: attempt for attempt in self.attempts(learner=learner, quiz=quiz)}

    # -- sittings ---------------------------------------------------------------------------

    def open_sitting(self, learner: str, quiz: str, draw: Callable[[int], list[str]], *, renews: str | None = None) -> Sitting | None:
        """The learner's open sitting of ``quiz``: the one not yet submitted, else a new one.

        A new sitting (number n, its questions ``draw(n)``, stored at once) opens only while the
        learner has sittings left: one, plus one per retake a trainer allowed, plus one per
        recertification. ``renews``: the passing sitting whose recertification fell due
        (:func:`course.recert.renewable`); it allows one new sitting, once per pass. Returns None when
        none is left (see :meth:`sittings` for the submitted ones). Two tabs opening at once get
        the same sitting. Raises StoreError when the database cannot be reached.
        """
        for _ in range(3):
            try:
                with self._connection(write=True) as conn:
                    self._insert_learner(conn, learner)
                    existing = _sittings(conn, learner, quiz)
                    if existing and existing[-1].submitted_at is None:
                        return existing[-1]
                    if renews is not None:
                        conn.execute(
                            self._insert(recertifications)
                            .values(learner=learner, quiz=quiz, renews=renews, granted_at=_now())
                            .on_conflict_do_nothing(index_elements=["learner", "quiz", "renews"])
                        )
                    if len(existing) > _count_retakes(conn, learner, quiz) + _count_recertifications(conn, learner, quiz):
                        return None
                    number = len(existing)
                    questions = [str(q) for q in draw(number)]
                    sitting = Sitting(uuid.uuid4().hex, learner, quiz, number, tuple(questions), _now(), None)
                    conn.execute(
                        sittings.insert().values(
                            id=sitting.id, learner=learner, quiz=quiz, number=number,
                            questions=json.dumps(questions), opened_at=sitting.opened_at, submitted_at=None,
                        )
                    )  # fmt: skip
                    return sitting
            except sa_exc.IntegrityError:
                continue  # another tab opened sitting `number` meanwhile: read it
        raise StoreError("The assessment could not be opened (too many tabs opening it at once); please try again.")

    def sittings(self, learner: str, quiz: str) -> list[Sitting]:
        """The learner's sittings of ``quiz``, oldest first."""
        with self._connection() as conn:
            return _sittings(conn, learner, quiz)

    def sitting(self, sitting_id: str) -> Sitting | None:
        """One sitting by id, or None."""
        with self._connection() as conn:
            row = conn.execute(select(sittings).where(sittings.c.id == sitting_id)).first()
        return None if row is None else _sitting_from_row(row)

    def submit_sitting(self, sitting_id: str, answers: list[Attempt]) -> bool:
        """Store the answers of an open sitting and mark it submitted, in one transaction.

        Returns False, storing nothing, when the sitting was already submitted (a second click,
        another tab). Each answer's ``submission`` must be ``sitting_id``. Raises StoreError when
        there is no such sitting, or when the database cannot be reached (nothing is stored then:
        the sitting stays open, and the learner can submit again).
        """
        rows = [_attempt_row(a) for a in answers]
        if any(row["submission"] != sitting_id for row in rows):
            raise ValueError("every answer of a sitting must carry the sitting's id as its submission")
        with self._connection(write=True) as conn:
            if conn.execute(select(sittings.c.id).where(sittings.c.id == sitting_id)).first() is None:
                raise StoreError(f"There is no sitting {sitting_id!r}.")
            marked = conn.execute(
                update(sittings).where(sittings.c.id == sitting_id, sittings.c.submitted_at.is_(None)).values(submitted_at=_now())
            ).rowcount
            if marked != 1:
                return False
            for row in rows:
                self._insert_attempt(conn, row)
        return True


def _attempt_row(attempt: Attempt) -> dict[str, Any]:
    """The attempt as an `attempts` row, checked; ValueError if it cannot be stored."""
    for name in ("key", "learner", "quiz", "question", "question_type", "bank_version", "mode"):
        value = getattr(attempt, name)
        if not isinstance(value, str) or "\x00" in value:
            raise ValueError(f"Attempt.{name} must be a string without NUL characters: {value!r}")
    for name in ("key", "learner", "quiz", "question"):
        if not getattr(attempt, name).strip():
            raise ValueError(f"Attempt.{name} must not be empty")
    if attempt.mode not in MODES:
        raise ValueError(f"Attempt.mode must be one of {MODES}, not {attempt.mode!r}")
    if attempt.submission is not None and not isinstance(attempt.submission, str):
        raise ValueError(f"Attempt.submission must be a string or None: {attempt.submission!r}")
    if not _is_number(attempt.max_score) or (
        attempt.score is not None and not _is_number(attempt.score)
    ):
        raise ValueError(f"Attempt scores must be numbers: {attempt.score!r}/{attempt.max_score!r}")
    if attempt.correct is not None and not isinstance(attempt.correct, bool):
        raise ValueError(f"Attempt.correct must be True, False or None: {attempt.correct!r}")
    if not isinstance(attempt.answered_at, datetime) or attempt.answered_at.tzinfo is None:
        raise ValueError(f"Attempt.answered_at must be timezone-aware: {attempt.answered_at!r}")
    try:
        response = json.dumps(attempt.response, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Attempt.response must be JSON-serialisable: {error}") from error
    return {
        "key": attempt.key,
        "learner": attempt.learner,
        "quiz": attempt.quiz,
        "question": attempt.question,
        "question_type": attempt.question_type,
        "bank_version": attempt.bank_version,
        "mode": attempt.mode,
        "response": response,
        "score": None if attempt.score is None else float(attempt.score),
        "max_score": float(attempt.max_score),
        "correct": attempt.correct,
        "submission": attempt.submission,
        "answered_at": attempt.answered_at,
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _attempt_from_row(row: Any) -> Attempt:
    return Attempt(
        learner=row["learner"],
        quiz=row["quiz"],
        question=row["question"],
        question_type=row["question_type"],
        bank_version=row["bank_version"],
        mode=row["mode"],
        response=json.loads(row["response"]),
        score=row["score"],
        max_score=row["max_score"],
        correct=row["correct"],
        key=row["key"],
        submission=row["submission"],
        answered_at=row["answered_at"],
    )


def _sittings(conn: Connection, learner: str, quiz: str) -> list[Sitting]:
    rows = conn.execute(
        select(sittings).where(sittings.c.learner == learner, sittings.c.quiz == quiz).order_by(sittings.c.number)
    ).all()
    return [_sitting_from_row(row) for row in rows]


def _sitting_from_row(row: Any) -> Sitting:
    return Sitting(row.id, row.learner, row.quiz, row.number, tuple(json.loads(row.questions)), row.opened_at, row.submitted_at)
