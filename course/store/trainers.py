"""What trainers grant or score: reviews of written answers, retakes, and waivers.

The :class:`~course.store.ResultsStore` methods that record (audited) and read a trainer's review
of a free-text answer, a retake of an assessment, and a waiver of a quiz's prerequisites.
"""

from __future__ import annotations

import math

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from course.records import Review, StoreError, Waiver
from course.store.auditing import _audit
from course.store.connection import _now
from course.store.tables import attempts, retakes, reviews, waivers


class ReviewsMixin:
    """:class:`~course.store.ResultsStore`'s methods for reviews, retakes and waivers."""

    def add_review(self, attempt_key: str, *, score: float, reviewer: str, comment: str = "") -> None:
        """Record a trainer's score (0 to the attempt's max score) for a written (free-text) answer.

        Only written answers are reviewed: every other answer is scored by its question's key, and
        a review of one is refused (StoreError), never silently ignored.
        """
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise StoreError(f"A review score must be a number, not {score!r}.")
        if not reviewer.strip():
            raise StoreError("A review needs the reviewer's name.")
        with self._connection(write=True) as conn:
            found = conn.execute(
                select(attempts.c.max_score, attempts.c.question_type, attempts.c.learner, attempts.c.question).where(attempts.c.key == attempt_key)
            ).first()
            if found is None:
                raise StoreError(f"There is no answer with key {attempt_key!r}.")
            if found.question_type != "free_text":
                raise StoreError(
                    f"Answer {attempt_key!r} is a {found.question_type.replace('_', ' ')} answer, scored by its key; "
                    "only written (free-text) answers are reviewed."
                )
            if not 0 <= score <= found.max_score:
                raise StoreError(
                    f"A review score must be between 0 and {found.max_score:g}, not {score:g}."
                )
            earlier = conn.execute(
                select(reviews.c.score, reviews.c.comment).where(reviews.c.attempt_key == attempt_key).order_by(reviews.c.id.desc()).limit(1)
            ).first()
            conn.execute(
                reviews.insert().values(
                    attempt_key=attempt_key,
                    score=float(score),
                    comment=comment,
                    reviewer=reviewer,
                    reviewed_at=_now(),
                )
            )
            _audit(
                conn, reviewer, "review", learner=found.learner, subject=attempt_key,
                before=None if earlier is None else {"score": earlier.score, "comment": earlier.comment},
                after={"score": float(score), "comment": comment, "question": found.question},
            )  # fmt: skip

    def reviews(self, attempt_key: str | None = None) -> list[Review]:
        """The reviews, oldest first, of one attempt if given."""
        query = select(reviews).order_by(reviews.c.reviewed_at, reviews.c.id)
        if attempt_key is not None:
            query = query.where(reviews.c.attempt_key == attempt_key)
        with self._connection() as conn:
            rows = conn.execute(query).all()
        return [
            Review(row.attempt_key, row.score, row.comment, row.reviewer, row.reviewed_at)
            for row in rows
        ]

    def allow_retake(self, learner: str, quiz: str, *, trainer: str) -> None:
        """Let a learner take an assessment once more (audited)."""
        if not trainer.strip():
            raise StoreError("A retake needs the trainer's name.")
        with self._connection(write=True) as conn:
            self._insert_learner(conn, learner)
            before = _count_retakes(conn, learner, quiz)
            conn.execute(
                retakes.insert().values(
                    learner=learner, quiz=quiz, allowed_by=trainer, allowed_at=_now()
                )
            )
            _audit(conn, trainer, "retake", learner=learner, subject=quiz, before={"retakes": before}, after={"retakes": before + 1})

    def retakes_allowed(self, learner: str, quiz: str) -> int:
        """How many retakes of the quiz the learner has been granted."""
        with self._connection() as conn:
            return _count_retakes(conn, learner, quiz)

    def waive(self, learner: str, quiz: str, *, by: str, reason: str = "") -> None:
        """Let ``learner`` sit ``quiz`` before finishing the lessons it depends on (audited)."""
        if not by.strip():
            raise StoreError("A waiver needs the trainer's name.")
        with self._connection(write=True) as conn:
            self._insert_learner(conn, learner)
            conn.execute(waivers.insert().values(learner=learner, quiz=quiz, granted_by=by, granted_at=_now(), reason=reason))
            _audit(conn, by, "waiver", learner=learner, subject=quiz, before=None, after={"reason": reason})

    def waivers(self, learner: str, quiz: str | None = None) -> list[Waiver]:
        """The waivers granted to a learner (for one quiz if given), oldest first."""
        query = select(waivers).where(waivers.c.learner == learner).order_by(waivers.c.id)
        if quiz is not None:
            query = query.where(waivers.c.quiz == quiz)
        with self._connection() as conn:
            rows = conn.execute(query).all()
        return [Waiver(r.learner, r.quiz, r.granted_by, r.granted_at, r.reason) for r in rows]


def _count_retakes(conn: Connection, learner: str, quiz: str) -> int:
    query = select(func.count()).select_from(retakes).where(retakes.c.learner == learner, retakes.c.quiz == quiz)
    return int(conn.execute(query).scalar_one())
