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
    role: str | None = None
    """front_desk, nurse or clinician (:data:`course.roles.ROLES`); None until the learner says."""


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


@dataclass(frozen=True)
class Sitting:
    """One sitting of an assessment: the questions drawn for it, opened and (once) submitted.

    Its ``id`` is the ``submission`` of the attempts that answer it.
    """

    id: str
    learner: str
    quiz: str
    number: int
    """0 for the first sitting, 1 for the first retake a trainer allowed, ..."""
    questions: tuple[str, ...]
    """The question ids drawn, in the order shown."""
    opened_at: datetime
    submitted_at: datetime | None


@dataclass(frozen=True)
class Waiver:
    """A trainer let a learner sit an assessment before finishing the lessons it depends on."""

    learner: str
    quiz: str
    granted_by: str
    granted_at: datetime
    reason: str


@dataclass(frozen=True)
class AuditEntry:
    """One trainer action, as the audit trail keeps it (never changed afterwards)."""

    id: int
    at: datetime
    actor: str
    action: str
    """One of :data:`AUDIT_ACTIONS`."""
    learner: str | None
    subject: str | None
    """What the action was about: an answer's key, a quiz id, a certificate's sitting."""
    before: Any
    after: Any


AUDIT_ACTIONS = ("review", "retake", "cohort", "role", "waiver", "certificate", "due_date", "setting", "revocation")


def submissions_of(attempts: Iterable[Attempt]) -> list[str]:
    """The assessment submission ids among ``attempts``, in the order they first appear."""
    return list(dict.fromkeys(a.submission for a in attempts if a.submission))


@dataclass(frozen=True)
class DueDate:
    """By when a cohort must have done a lesson or passed the final assessment (set by a trainer)."""

    cohort: str
    quiz: str
    due_at: datetime
    set_by: str
    set_at: datetime


@dataclass(frozen=True)
class CertificateRecord:
    """A certificate as the records keep it: what ``course verify CODE`` answers from."""

    code: str
    learner: str
    quiz: str
    submission: str
    percent: float
    course_version: str
    passed_at: datetime
    valid_until: datetime | None
    """None: the clinic set no period of validity (a pass does not expire)."""
    issued_at: datetime
    issued_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoked_reason: str | None = None
