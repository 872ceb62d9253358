"""The results database's tables, as the current schema version (:data:`SCHEMA_VERSION`) has them.

SQLAlchemy Core tables in one ``metadata``: learners, attempts, reviews, retakes, sittings, waivers,
the audit trail, settings, due dates, certificates, revocations and recertifications, and the one
column type they share (:class:`UTCDateTime`: timezone-aware, stored and returned in UTC). How an
older database reaches this schema is :mod:`course.store.migrations`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


SCHEMA_VERSION = 5


class UTCDateTime(TypeDecorator):
    """A timezone-aware timestamp, stored and returned in UTC (SQLite itself keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware, not {value!r}")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


metadata = MetaData()

schema_info = Table(
    "schema_info",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
)

learners = Table(
    "learners",
    metadata,
    Column("name", String, primary_key=True),
    Column("cohort", String, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("role", String, nullable=True),  # version 3: front_desk, nurse or clinician (course.roles)
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String, nullable=False),
    Column("learner", String, ForeignKey("learners.name"), nullable=False),
    Column("quiz", String, nullable=False),
    Column("question", String, nullable=False),
    Column("question_type", String, nullable=False),
    Column("bank_version", String, nullable=False),
    Column("mode", String, nullable=False),
    Column("response", Text, nullable=False),  # JSON
    Column("score", Float, nullable=True),  # None while a trainer's review is pending
    Column("max_score", Float, nullable=False),
    Column("correct", Boolean, nullable=True),
    Column("submission", String, nullable=True),
    Column("answered_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("key", name="uq_attempts_key"),
    Index("ix_attempts_learner_quiz", "learner", "quiz"),
    Index("ix_attempts_quiz_question", "quiz", "question"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("attempt_key", String, ForeignKey("attempts.key"), nullable=False, index=True),
    Column("score", Float, nullable=False),
    Column("comment", Text, nullable=False),
    Column("reviewer", String, nullable=False),
    Column("reviewed_at", UTCDateTime, nullable=False),
)

retakes = Table(
    "retakes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("learner", String, ForeignKey("learners.name"), nullable=False),
    Column("quiz", String, nullable=False),
    Column("allowed_by", String, nullable=False),
    Column("allowed_at", UTCDateTime, nullable=False),
    Index("ix_retakes_learner_quiz", "learner", "quiz"),
)


sittings = Table(
    "sittings",
    metadata,
    Column("id", String, primary_key=True),  # = attempts.submission of its answers
    Column("learner", String, ForeignKey("learners.name"), nullable=False),
    Column("quiz", String, nullable=False),
    Column("number", Integer, nullable=False),  # 0: first sitting; 1: first retake; ...
    Column("questions", Text, nullable=False),  # JSON list of question ids, in the order shown
    Column("opened_at", UTCDateTime, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=True),
    UniqueConstraint("learner", "quiz", "number", name="uq_sittings_number"),
)

waivers = Table(
    "waivers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("learner", String, ForeignKey("learners.name"), nullable=False),
    Column("quiz", String, nullable=False),
    Column("granted_by", String, nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_waivers_learner_quiz", "learner", "quiz"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String, nullable=False),
    Column("action", String, nullable=False),
    Column("learner", String, nullable=True),
    Column("subject", String, nullable=True),
    Column("before", Text, nullable=True),  # JSON
    Column("after", Text, nullable=True),  # JSON
    Index("ix_audit_learner", "learner"),
)

# Version 4: recertification and verifiable certificates (course.recert, course.verify).
settings = Table(
    "settings",
    metadata,
    Column("name", String, primary_key=True),  # course.recert.SETTINGS
    Column("value", Text, nullable=False),  # JSON
    Column("set_by", String, nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
)

due_dates = Table(
    "due_dates",
    metadata,
    Column("cohort", String, primary_key=True),
    Column("quiz", String, primary_key=True),
    Column("due_at", UTCDateTime, nullable=False),
    Column("set_by", String, nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
)

certificates = Table(
    "certificates",
    metadata,
    Column("code", String, primary_key=True),  # course.verify: 140 random bits, Crockford base32
    Column("learner", String, ForeignKey("learners.name"), nullable=False),
    Column("quiz", String, nullable=False),
    Column("submission", String, nullable=False),  # the passing sitting it certifies
    Column("percent", Float, nullable=False),
    Column("course_version", String, nullable=False),
    Column("passed_at", UTCDateTime, nullable=False),
    Column("valid_until", UTCDateTime, nullable=True),  # None: the pass does not expire
    Column("issued_at", UTCDateTime, nullable=False),
    Column("issued_by", String, nullable=False),
    Index("ix_certificates_learner", "learner"),
)

revocations = Table(
    "revocations",
    metadata,
    Column("code", String, ForeignKey("certificates.code"), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("revoked_by", String, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=False),
)

recertifications = Table(
    "recertifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("learner", String, ForeignKey("learners.name"), nullable=False),
    Column("quiz", String, nullable=False),
    Column("renews", String, nullable=False),  # the passing sitting that fell due: one new sitting per pass
    Column("granted_at", UTCDateTime, nullable=False),
    UniqueConstraint("learner", "quiz", "renews", name="uq_recertifications_renews"),
)
