"""What the results store holds and returns, as plain data: no database code here.

Kept apart from :mod:`course.store` so that a lesson kernel can use these types without
importing SQLAlchemy until the first answer is stored.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from collections.abc import Iterable
from typing import Any


class StoreError(Exception):
    """The store cannot do what was asked; the message can be shown to a learner as it is."""


class SaveOutcome(enum.Enum):
    """Where :meth:`ResultsStore.record` put the attempt."""

    STORED = "stored"  # committed to the results database
    QUEUED = "queued"  # written to the outbox, to be sent later


@dataclass(frozen=True)
class Attempt:
    """One answer to one question."""

    learner: str
    quiz: str
    question: str
    question_type: str
    bank_version: str
    mode: str
    response: Any
    score: float | None
    max_score: float
    correct: bool | None
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    submission: str | None = None
    answered_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass(frozen=True)
class Learner:
    """A learner known to the store."""

    name: str
    cohort: str | None
    created_at: datetime


@dataclass(frozen=True)
class Review:
    """A trainer's score and comment on a free-text answer."""

    attempt_key: str
    score: float
    comment: str
    reviewer: str
    reviewed_at: datetime


@dataclass(frozen=True)
class SyncResult:
    """What :meth:`ResultsStore.sync` did."""

    sent: int
    remaining: int


def submissions_of(attempts: Iterable[Attempt]) -> list[str]:
    """The assessment submission ids among ``attempts``, in the order they first appear."""
    return list(dict.fromkeys(a.submission for a in attempts if a.submission))
