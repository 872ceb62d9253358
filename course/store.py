"""The results store: every answer a learner gives, kept so that nothing is lost.

SQLAlchemy Core over a SQLite file (the default, see :func:`course.config.database_url`) or a
PostgreSQL server (``COURSE_DB_URL``, for a clinic on a shared JupyterHub).

- Attempts are append-only and idempotent: each has a ``key``, and recording the same key twice
  keeps the first (``INSERT ... ON CONFLICT (key) DO NOTHING``).
- When the database cannot be reached (server down, SQLite file locked past the busy timeout,
  folder missing), :meth:`ResultsStore.record` writes the attempt to the outbox
  (:mod:`course.outbox`) and returns :attr:`SaveOutcome.QUEUED`; the next successful write, or
  :meth:`ResultsStore.sync`, sends the outbox. Keys make sending twice harmless.
- SQLite runs in WAL mode with ``synchronous=FULL`` and a busy timeout; write transactions start
  with ``BEGIN IMMEDIATE`` so concurrent writers wait for each other instead of failing.
- The schema is versioned (:data:`SCHEMA_VERSION`, :data:`MIGRATIONS`); opening a database
  migrates it in one transaction, and a database from a newer course is refused.
- Timestamps are timezone-aware UTC, on both databases.
- Assessments are answered in *sittings* (:meth:`ResultsStore.open_sitting`): the questions drawn
  are stored when the sitting opens, a new sitting opens only while the learner has sittings left
  (one, plus one per retake a trainer allowed), and :meth:`ResultsStore.submit_sitting` accepts
  one submission per sitting, atomically.
- Every trainer action (a review, a retake, a cohort, a waiver, a certificate) is written to the
  ``audit`` table in the same transaction as the change it records: who, when, before and after.
  The database refuses to update or delete an audit row (a trigger).
"""

from __future__ import annotations

import getpass
import json
import logging
import math
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
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
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url

from course import config, outbox
from course.records import AUDIT_ACTIONS, Attempt, AuditEntry, CertificateRecord, DueDate, Learner, Review, SaveOutcome, Sitting, StoreError, SyncResult, Waiver

log = logging.getLogger(__name__)

__all__ = ["Attempt", "AuditEntry", "Learner", "Review", "ResultsStore", "SaveOutcome", "Sitting", "StoreError", "SyncResult", "Waiver", "SCHEMA_VERSION"]

SCHEMA_VERSION = 5
MODES = ("practice", "assessment")
_SYNC_BATCH = 200
_PG_MIGRATION_LOCK = 0x6B657461  # pg_advisory_xact_lock id: one migrating process at a time


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

# The learners table as version 1 created it (version 3 added ``role``).
_version_1 = MetaData()
_learners_v1 = Table(
    "learners",
    _version_1,
    Column("name", String, primary_key=True),
    Column("cohort", String, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)


def _create_version_1(conn: Connection) -> None:
    """Version 0 (an empty database) to 1: the learners, attempts, reviews and retakes."""
    # When a later version changes one of these tables, freeze its version-1 form here first.
    _version_1.create_all(conn, tables=[_learners_v1])
    metadata.create_all(conn, tables=[schema_info, attempts, reviews, retakes])


_APPEND_ONLY_SQLITE = """
CREATE TRIGGER audit_{verb}_refused BEFORE {event} ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: rows are never changed or deleted'); END
"""
_APPEND_ONLY_POSTGRESQL = [
    """CREATE FUNCTION course_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the audit trail is append-only: rows are never changed or deleted'; END $$""",
    """CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION course_audit_append_only()""",
]


def _create_version_2(conn: Connection) -> None:
    """Version 1 to 2: sittings, waivers and the audit trail (append-only, enforced by a trigger).

    Each assessment submission already stored becomes a submitted sitting (its questions in the
    order they were stored, opened and submitted at its first and last answer), so the rule "one
    sitting, plus one per retake" counts the history too.
    """
    metadata.create_all(conn, tables=[sittings, waivers, audit])
    if conn.dialect.name == "postgresql":
        for statement in _APPEND_ONLY_POSTGRESQL:
            conn.exec_driver_sql(statement)
    else:
        for verb, event_name in (("update", "UPDATE"), ("delete", "DELETE")):
            conn.exec_driver_sql(_APPEND_ONLY_SQLITE.format(verb=verb, event=event_name))
    a = attempts
    rows = conn.execute(
        select(a.c.submission, a.c.learner, a.c.quiz, a.c.question, a.c.answered_at)
        .where(a.c.submission.is_not(None))
        .order_by(a.c.answered_at, a.c.id)
    ).all()
    found: dict[str, dict[str, Any]] = {}
    for submission, learner, quiz, question, answered_at in rows:
        entry = found.setdefault(submission, {"learner": learner, "quiz": quiz, "questions": [], "first": answered_at, "last": answered_at})
        if question not in entry["questions"]:
            entry["questions"].append(question)
        entry["last"] = max(entry["last"], answered_at)
    numbers: dict[tuple[str, str], int] = {}
    for submission, entry in found.items():  # in the order of their first answer
        number = numbers.get((entry["learner"], entry["quiz"]), 0)
        numbers[(entry["learner"], entry["quiz"])] = number + 1
        conn.execute(
            sittings.insert().values(
                id=submission, learner=entry["learner"], quiz=entry["quiz"], number=number,
                questions=json.dumps(entry["questions"]), opened_at=entry["first"], submitted_at=entry["last"],
            )
        )  # fmt: skip


# MIGRATIONS[n] takes a database from version n to n + 1; they run in order, in one transaction.
def _create_version_3(conn: Connection) -> None:
    """Version 2 to 3: a learner's role (front desk, nurse, clinician), unknown until asked."""
    conn.exec_driver_sql("ALTER TABLE learners ADD COLUMN role VARCHAR")


def _create_version_4(conn: Connection) -> None:
    """Version 3 to 4: course settings, cohorts' due dates, certificates with verification codes
    and their revocations, and recertification sittings (one per pass that fell due)."""
    metadata.create_all(conn, tables=[settings, due_dates, certificates, revocations, recertifications])


# Version 5: a log of every change to a stored answer other than appending one (the report's
# columnar cache, course.columnar, keeps the answers up to an id and trusts them while this log,
# and the triggers that write it, have not changed). The store itself never writes it.
_CHANGES_SQLITE = [
    "CREATE TABLE attempt_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, attempt_id INTEGER, change VARCHAR NOT NULL)",
    "CREATE TRIGGER attempts_update_logged AFTER UPDATE ON attempts BEGIN INSERT INTO attempt_changes (attempt_id, change) VALUES (OLD.id, 'update'); END",
    "CREATE TRIGGER attempts_delete_logged AFTER DELETE ON attempts BEGIN INSERT INTO attempt_changes (attempt_id, change) VALUES (OLD.id, 'delete'); END",
    # an answer stored under an id below one already there (SQLite writes one transaction at a time: the store's own never are)
    (
        "CREATE TRIGGER attempts_insert_logged AFTER INSERT ON attempts WHEN EXISTS (SELECT 1 FROM attempts WHERE id > NEW.id) "
        "BEGIN INSERT INTO attempt_changes (attempt_id, change) VALUES (NEW.id, 'insert'); END"
    ),
]
_CHANGES_POSTGRESQL = [
    "CREATE TABLE attempt_changes (seq BIGSERIAL PRIMARY KEY, attempt_id BIGINT, change VARCHAR NOT NULL)",
    """CREATE FUNCTION course_attempt_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            INSERT INTO attempt_changes (attempt_id, change) VALUES (NULL, 'truncate');
        ELSE
            INSERT INTO attempt_changes (attempt_id, change) VALUES (OLD.id, lower(TG_OP));
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER attempts_change_logged AFTER UPDATE OR DELETE ON attempts FOR EACH ROW EXECUTE FUNCTION course_attempt_changed()",
    "CREATE TRIGGER attempts_truncate_logged AFTER TRUNCATE ON attempts FOR EACH STATEMENT EXECUTE FUNCTION course_attempt_changed()",
    # fired in replication sessions too (session_replication_role = replica skips ordinary triggers)
    "ALTER TABLE attempts ENABLE ALWAYS TRIGGER attempts_change_logged",
    "ALTER TABLE attempts ENABLE ALWAYS TRIGGER attempts_truncate_logged",
]


def _create_version_5(conn: Connection) -> None:
    """Version 4 to 5: the log of changes to stored answers (attempt_changes, written by triggers)."""
    for statement in _CHANGES_POSTGRESQL if conn.dialect.name == "postgresql" else _CHANGES_SQLITE:
        conn.exec_driver_sql(statement)


MIGRATIONS: list[Callable[[Connection], None]] = [_create_version_1, _create_version_2, _create_version_3, _create_version_4, _create_version_5]
assert len(MIGRATIONS) == SCHEMA_VERSION


class ResultsStore:
    """The learners' attempts, the trainers' reviews and retakes, in one database."""

    def __init__(
        self,
        url: str | None = None,
        *,
        outbox: Path | None = None,
        busy_timeout: float = 5.0,
        pool_size: int = 1,
    ) -> None:
        """``pool_size``: connections kept open (4 more may open when busy); one for a lesson
        kernel, as many as its threads for the course service."""
        self.url = url or config.database_url()
        self.outbox = Path(outbox) if outbox is not None else config.outbox_path()
        self.busy_timeout = busy_timeout
        self._engine = _create_engine(self.url, busy_timeout, pool_size)
        self._writer = self._engine.execution_options(course_write=True)
        self._opened = False

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for fast bulk reads (:mod:`course.report`); write only through
        the methods of this class. Call :meth:`schema_version` first on a database that may be new."""
        return self._engine

    # -- attempts ---------------------------------------------------------------------------

    def record(self, attempt: Attempt) -> SaveOutcome:
        """Store one attempt, or queue it in the outbox if the database cannot be reached.

        Raises ValueError for an attempt that cannot be stored (naive time, response not JSON),
        and StoreError only if the answer could not be kept at all, or was kept in the outbox
        because the database refused it (for example a database from a newer course).
        """
        row = _attempt_row(attempt)
        try:
            self._open()
            with self._writer.begin() as conn:
                self._insert_attempt(conn, row)
        except Exception as error:
            if not (_unavailable(error) or isinstance(error, (StoreError, sa_exc.SQLAlchemyError))):
                raise
            self._queue(attempt, error)
            if _unavailable(error):
                log.info("answer %s queued in %s: %s", attempt.key, self.outbox, _reason(error))
                return SaveOutcome.QUEUED
            raise StoreError(
                f"{_reason(error)} Your answer was kept on this computer and will be sent later."
            ) from error
        self._flush_outbox_quietly()
        return SaveOutcome.STORED

    def sync(self) -> SyncResult:
        """Send the outbox; each entry leaves the file only after its insert committed."""
        entries = outbox.read(self.outbox)
        rows: dict[str, dict[str, Any]] = {}
        unsendable: set[str] = set()
        for entry in entries:
            try:
                rows[entry["key"]] = _attempt_row(_attempt_from_outbox(entry))
            except (KeyError, TypeError, ValueError):
                unsendable.add(entry["key"])
        if unsendable:
            log.warning("%d unsendable outbox entries moved aside", len(unsendable))
            outbox.set_aside(self.outbox, unsendable)
        sent = 0
        keys = list(rows)
        try:
            if keys:
                self._open()
            for start in range(0, len(keys), _SYNC_BATCH):
                batch = keys[start : start + _SYNC_BATCH]
                with self._writer.begin() as conn:
                    for key in batch:
                        self._insert_attempt(conn, rows[key])
                sent += outbox.remove(self.outbox, set(batch))
        except StoreError:
            raise
        except Exception as error:
            if not (_unavailable(error) or isinstance(error, sa_exc.SQLAlchemyError)):
                raise
            waiting = len(keys) - sent
            raise StoreError(
                f"{_reason(error)} {waiting} answer(s) are still waiting on this computer."
            ) from error
        return SyncResult(sent=sent, remaining=self.pending_outbox())

    def pending_outbox(self) -> int:
        """How many answers wait in the outbox."""
        return len(outbox.read(self.outbox))

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

    # -- learners ---------------------------------------------------------------------------

    def learners(self) -> list[Learner]:
        """Every learner, by name."""
        with self._connection() as conn:
            rows = conn.execute(select(learners).order_by(learners.c.name)).all()
        return [Learner(row.name, row.cohort, row.created_at, row.role) for row in rows]

    def ensure_learner(self, name: str, cohort: str | None = None) -> None:
        """Add the learner if new; a cohort, if given, replaces the learner's cohort."""
        statement = self._insert(learners).values(name=name, cohort=cohort, created_at=_now())
        if cohort is None:
            statement = statement.on_conflict_do_nothing(index_elements=["name"])
        else:
            statement = statement.on_conflict_do_update(
                index_elements=["name"], set_={"cohort": cohort}
            )
        with self._connection(write=True) as conn:
            conn.execute(statement)

    def set_cohort(self, name: str, cohort: str | None, *, by: str | None = None) -> None:
        """Put a known learner in a cohort (None: in none); audited as ``by`` (default: this OS user)."""
        with self._connection(write=True) as conn:
            before = conn.execute(select(learners.c.cohort).where(learners.c.name == name)).first()
            if before is None:
                raise StoreError(f"There is no learner named {name!r}.")
            conn.execute(update(learners).where(learners.c.name == name).values(cohort=cohort))
            _audit(conn, by, "cohort", learner=name, subject=None, before={"cohort": before.cohort}, after={"cohort": cohort})

    def cohort(self, name: str) -> str | None:
        """The learner's cohort, or None if in none or no such learner."""
        with self._connection() as conn:
            return conn.execute(select(learners.c.cohort).where(learners.c.name == name)).scalar()

    def role(self, name: str) -> str | None:
        """The learner's role (``course.roles.ROLES``), or None if not given yet or no such learner."""
        with self._connection() as conn:
            return conn.execute(select(learners.c.role).where(learners.c.name == name)).scalar()

    def set_role(self, name: str, role: str | None, *, by: str | None = None) -> None:
        """Give a known learner a role (None: none); audited as ``by`` (default: this OS user).

        The learner gives it once, in the welcome lesson; a trainer may change it later.
        """
        from course.roles import check_role

        role = None if role is None else check_role(role)
        with self._connection(write=True) as conn:
            before = conn.execute(select(learners.c.role).where(learners.c.name == name)).first()
            if before is None:
                raise StoreError(f"There is no learner named {name!r}.")
            if before.role == role:
                return
            conn.execute(update(learners).where(learners.c.name == name).values(role=role))
            _audit(conn, by, "role", learner=name, subject=None, before={"role": before.role}, after={"role": role})

    # -- trainers ---------------------------------------------------------------------------

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

    # -- waivers, certificates, the audit trail ---------------------------------------------

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

    def record_certificate(self, learner: str, *, by: str, details: dict[str, Any]) -> None:
        """Write "certificate issued" to the audit trail (``details``: the sitting it certifies)."""
        with self._connection(write=True) as conn:
            _audit(conn, by, "certificate", learner=learner, subject=details.get("submission"), before=None, after=details)

    def add_certificate(self, record: CertificateRecord) -> None:
        """Keep an issued certificate (its verification code) and write "certificate" to the audit trail."""
        with self._connection(write=True) as conn:
            conn.execute(
                certificates.insert().values(
                    code=record.code, learner=record.learner, quiz=record.quiz, submission=record.submission,
                    percent=float(record.percent), course_version=record.course_version, passed_at=record.passed_at,
                    valid_until=record.valid_until, issued_at=record.issued_at, issued_by=record.issued_by,
                )
            )  # fmt: skip
            after = {
                "code": record.code, "submission": record.submission, "percent": round(record.percent, 2),
                "passed_on": record.passed_at.isoformat(), "valid_until": None if record.valid_until is None else record.valid_until.isoformat(),
                "course_version": record.course_version,
            }  # fmt: skip
            _audit(conn, record.issued_by, "certificate", learner=record.learner, subject=record.submission, before=None, after=after)

    def certificate(self, code: str) -> CertificateRecord | None:
        """The certificate with this verification code (revoked or not), or None."""
        return next(iter(self._certificates(certificates.c.code == code)), None)

    def certificates(self, learner: str | None = None) -> list[CertificateRecord]:
        """Every certificate issued (to one learner if given), oldest first."""
        return self._certificates(None if learner is None else certificates.c.learner == learner)

    def _certificates(self, where: Any) -> list[CertificateRecord]:
        c, r = certificates, revocations
        query = (
            select(c, r.c.revoked_at, r.c.revoked_by, r.c.reason)
            .select_from(c.outerjoin(r, r.c.code == c.c.code))
            .order_by(c.c.issued_at, c.c.code)
        )
        if where is not None:
            query = query.where(where)
        with self._connection() as conn:
            return [_certificate_from_row(row) for row in conn.execute(query).all()]

    def revoke_certificate(self, code: str, *, reason: str, by: str) -> CertificateRecord:
        """Revoke a certificate, keeping the reason (audited); StoreError if there is no such code or it is revoked already."""
        if not reason.strip():
            raise StoreError("A revocation needs a reason (it is kept with the certificate).")
        if not by.strip():
            raise StoreError("A revocation needs the trainer's name.")
        with self._connection(write=True) as conn:
            found = conn.execute(select(certificates.c.learner).where(certificates.c.code == code)).first()
            if found is None:
                raise StoreError(f"There is no certificate with code {code!r}.")
            earlier = conn.execute(select(revocations.c.reason).where(revocations.c.code == code)).first()
            if earlier is not None:
                raise StoreError(f"Certificate {code} was revoked already ({earlier.reason}).")
            conn.execute(revocations.insert().values(code=code, reason=reason.strip(), revoked_by=by, revoked_at=_now()))
            _audit(conn, by, "revocation", learner=found.learner, subject=code, before={"revoked": False}, after={"revoked": True, "reason": reason.strip()})
        record = self.certificate(code)
        assert record is not None
        return record

    def recertifications(self, learner: str, quiz: str) -> int:
        """How many recertification sittings of ``quiz`` the learner has had (one per pass that fell due)."""
        with self._connection() as conn:
            return _count_recertifications(conn, learner, quiz)

    # -- course settings and due dates (course.recert) ----------------------------------------

    def settings(self) -> dict[str, Any]:
        """The course settings a trainer stored, by name (see :data:`course.recert.SETTINGS`)."""
        with self._connection() as conn:
            return {row.name: json.loads(row.value) for row in conn.execute(select(settings.c.name, settings.c.value)).all()}

    def set_setting(self, name: str, value: Any, *, by: str) -> None:
        """Store a course setting (audited as ``by``)."""
        if not by.strip():
            raise StoreError("A course setting needs the trainer's name.")
        with self._connection(write=True) as conn:
            earlier = conn.execute(select(settings.c.value).where(settings.c.name == name)).first()
            before = None if earlier is None else json.loads(earlier.value)
            if earlier is not None and before == value:
                return
            statement = self._insert(settings).values(name=name, value=json.dumps(value), set_by=by, set_at=_now())
            conn.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"value": json.dumps(value), "set_by": by, "set_at": _now()}))
            _audit(conn, by, "setting", learner=None, subject=name, before={name: before}, after={name: value})

    def kept_secret(self, name: str) -> str:
        """A random secret kept under ``name`` in the settings, made at the first call (not audited:
        no trainer acts; e.g. the key that makes xAPI actors opaque, course.xapi.actors_for)."""
        import secrets

        with self._connection(write=True) as conn:
            conn.execute(
                self._insert(settings)
                .values(name=name, value=json.dumps(secrets.token_hex(32)), set_by="course", set_at=_now())
                .on_conflict_do_nothing(index_elements=["name"])
            )
            return str(json.loads(conn.execute(select(settings.c.value).where(settings.c.name == name)).scalar_one()))

    def due_dates(self, cohort: str | None = None) -> list[DueDate]:
        """The cohorts' due dates (of one cohort if given), by cohort and quiz."""
        query = select(due_dates).order_by(due_dates.c.cohort, due_dates.c.quiz)
        if cohort is not None:
            query = query.where(due_dates.c.cohort == cohort)
        with self._connection() as conn:
            return [DueDate(r.cohort, r.quiz, r.due_at, r.set_by, r.set_at) for r in conn.execute(query).all()]

    def set_due_date(self, cohort: str, quiz: str, due_at: datetime | None, *, by: str) -> None:
        """Set (None: clear) by when ``cohort`` must have done ``quiz`` (audited as ``by``)."""
        if not by.strip():
            raise StoreError("A due date needs the trainer's name.")
        if not cohort.strip():
            raise StoreError("A due date is for a cohort: give its name.")
        with self._connection(write=True) as conn:
            where = (due_dates.c.cohort == cohort) & (due_dates.c.quiz == quiz)
            earlier = conn.execute(select(due_dates.c.due_at).where(where)).first()
            before = None if earlier is None else earlier.due_at.isoformat()
            after = None if due_at is None else due_at.astimezone(timezone.utc).isoformat()
            if before == after:
                return
            conn.execute(delete(due_dates).where(where))
            if due_at is not None:
                conn.execute(due_dates.insert().values(cohort=cohort, quiz=quiz, due_at=due_at, set_by=by, set_at=_now()))
            _audit(conn, by, "due_date", learner=None, subject=f"{cohort}/{quiz}", before={"due": before}, after={"cohort": cohort, "quiz": quiz, "due": after})

    def audit(self, *, learner: str | None = None, action: str | None = None) -> list[AuditEntry]:
        """The audit trail, oldest first (of one learner and/or one kind of action if given)."""
        query = select(audit).order_by(audit.c.id)
        if learner is not None:
            query = query.where(audit.c.learner == learner)
        if action is not None:
            query = query.where(audit.c.action == action)
        with self._connection() as conn:
            rows = conn.execute(query).all()
        return [
            AuditEntry(r.id, r.at, r.actor, r.action, r.learner, r.subject, _json_or_none(r.before), _json_or_none(r.after))
            for r in rows
        ]

    # -- housekeeping -----------------------------------------------------------------------

    def integrity_check(self) -> bool:
        """SQLite: ``PRAGMA integrity_check`` says ok. PostgreSQL: a trivial query works."""
        try:
            with self._engine.connect() as conn:
                if conn.dialect.name == "sqlite":
                    return conn.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
                return conn.execute(text("SELECT 1")).scalar() == 1
        except Exception as error:
            if _unavailable(error):
                raise StoreError(_reason(error)) from error
            if isinstance(error, sa_exc.DatabaseError):  # e.g. "file is not a database"
                return False
            raise

    def schema_version(self) -> int:
        """The schema version of the database (after migrating it if it was older)."""
        with self._connection() as conn:
            return _stored_version(conn)

    def close(self) -> None:
        """Close the database connections (the store opens them again if used)."""
        self._engine.dispose()

    # -- inside -----------------------------------------------------------------------------

    def _open(self) -> None:
        """Create the SQLite file's folder and migrate the schema, once."""
        if self._opened:
            return
        database = self._engine.url.database
        if self._engine.dialect.name == "sqlite" and _is_file_database(database):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._writer.begin() as conn:
                _migrate(conn)
        except sa_exc.DatabaseError as error:
            if _unavailable(error):
                raise
            # not a results database at all (SQLite: "file is not a database"): say so, do not retry
            detail = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else "no detail"
            where = self._engine.url.render_as_string(hide_password=True)
            raise StoreError(f"The results database cannot be opened: {where} is not one ({detail}).") from error
        self._opened = True

    @contextmanager
    def _connection(self, write: bool = False) -> Iterator[Connection]:
        """One transaction; 'database unreachable' becomes a StoreError."""
        try:
            self._open()
            with (self._writer if write else self._engine).begin() as conn:
                yield conn
        except Exception as error:
            if _unavailable(error):
                raise StoreError(_reason(error)) from error
            raise

    def _insert(self, table: Table) -> Any:
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def _insert_learner(self, conn: Connection, name: str) -> None:
        conn.execute(
            self._insert(learners)
            .values(name=name, cohort=None, created_at=_now())
            .on_conflict_do_nothing(index_elements=["name"])
        )

    def _insert_attempt(self, conn: Connection, row: dict[str, Any]) -> bool:
        """Insert unless the key is already stored; True if a row was added."""
        self._insert_learner(conn, row["learner"])
        statement = (
            self._insert(attempts)
            .values(**row, recorded_at=_now())
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(attempts.c.id)  # (rowcount is -1 here on PostgreSQL)
        )
        added = conn.execute(statement).first() is not None
        if added and row["submission"] is not None:
            # an answer of a sitting that waited in the outbox: the sitting is submitted now
            conn.execute(
                update(sittings).where(sittings.c.id == row["submission"], sittings.c.submitted_at.is_(None)).values(submitted_at=_now())
            )
        return added

    def _queue(self, attempt: Attempt, cause: BaseException) -> None:
        try:
            outbox.append(self.outbox, _attempt_to_outbox(attempt))
        except OSError as error:
            raise StoreError(
                f"Your answer could not be saved: {_reason(cause)} "
                f"and the outbox {self.outbox} cannot be written ({error})."
            ) from error

    def _flush_outbox_quietly(self) -> None:
        try:
            if self.outbox.exists() and self.outbox.stat().st_size > 0:
                self.sync()
        except Exception:
            log.info("the outbox %s could not be sent yet", self.outbox, exc_info=True)


def _create_engine(url: str, busy_timeout: float, pool_size: int = 1) -> Engine:
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError:
        raise StoreError(f"The results database URL is not a database URL: {url!r} (e.g. sqlite:///var/results.sqlite or postgresql+psycopg://user@host/db).") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        pool = {"pool_size": pool_size, "max_overflow": 4} if _is_file_database(parsed.database) else {}
        engine = create_engine(parsed, connect_args={"timeout": busy_timeout}, **pool)
        _configure_sqlite(engine, busy_timeout)
        return engine
    if backend == "postgresql":
        return create_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=4,
            pool_timeout=busy_timeout,
            connect_args={"connect_timeout": max(2, math.ceil(busy_timeout))},
        )
    raise StoreError(f"The results database must be SQLite or PostgreSQL, not {backend}.")


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    """WAL, busy timeout, foreign keys, full sync; BEGIN IMMEDIATE for write transactions."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite must not BEGIN itself: _on_begin does
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            _wal(cursor, busy_timeout)
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = FULL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("course_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _wal(cursor: Any, busy_timeout: float) -> None:
    """Put the database in WAL mode (kept in the file: a database already in it is left as it is).

    Switching needs the file to itself, and SQLite answers "database is locked" at once, without
    its busy handler, when another connection is switching or making the same new file (two
    kernels opening a new store together): wait and try again for up to ``busy_timeout``.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _is_file_database(database: str | None) -> bool:
    return bool(database) and database != ":memory:" and not database.startswith("file:")


def _migrate(conn: Connection) -> None:
    """Bring the schema to SCHEMA_VERSION inside the caller's transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_MIGRATION_LOCK})
    found = _stored_version(conn)
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"The results database was made by a newer version of the course (schema version "
            f"{found}; this version knows up to {SCHEMA_VERSION}). Update the course software."
        )
    if found == SCHEMA_VERSION:
        return
    for version in range(found, SCHEMA_VERSION):
        MIGRATIONS[version](conn)
    conn.execute(delete(schema_info))
    conn.execute(schema_info.insert().values(version=SCHEMA_VERSION))


def _stored_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_info"):
        return 0
    return conn.execute(select(func.max(schema_info.c.version))).scalar() or 0


def _unavailable(error: BaseException) -> bool:
    """Whether the error means 'the database cannot be reached or is busy', not 'wrong data'."""
    if isinstance(
        error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, OSError)
    ):
        return True
    return isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated


def _reason(error: BaseException) -> str:
    if isinstance(error, StoreError):
        return str(error)
    if isinstance(error, sa_exc.DBAPIError):
        detail = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else "no detail"
        return f"The results database cannot be reached or refused the answer ({detail})."
    if isinstance(error, OSError):
        return f"The results database cannot be opened ({error})."
    return f"The results database failed ({error})."


def _now() -> datetime:
    return datetime.now(timezone.utc)


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


def _attempt_to_outbox(attempt: Attempt) -> dict[str, Any]:
    record = asdict(attempt)
    record["answered_at"] = attempt.answered_at.isoformat()
    return record


def _attempt_from_outbox(record: dict[str, Any]) -> Attempt:
    return Attempt(**{**record, "answered_at": datetime.fromisoformat(record["answered_at"])})


def local_actor() -> str:
    """Who acts when a trainer's command runs without a name: this computer's user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _audit(conn: Connection, actor: str | None, action: str, *, learner: str | None, subject: str | None, before: Any, after: Any) -> None:
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    conn.execute(
        audit.insert().values(
            at=_now(), actor=(actor or "").strip() or local_actor(), action=action, learner=learner, subject=subject,
            before=None if before is None else json.dumps(before, ensure_ascii=False),
            after=None if after is None else json.dumps(after, ensure_ascii=False),
        )
    )  # fmt: skip


def _json_or_none(text_value: str | None) -> Any:
    return None if text_value is None else json.loads(text_value)


def _count_recertifications(conn: Connection, learner: str, quiz: str) -> int:
    query = select(func.count()).select_from(recertifications).where(recertifications.c.learner == learner, recertifications.c.quiz == quiz)
    return int(conn.execute(query).scalar_one())


def _certificate_from_row(row: Any) -> CertificateRecord:
    return CertificateRecord(
        row.code, row.learner, row.quiz, row.submission, row.percent, row.course_version, row.passed_at, row.valid_until,
        row.issued_at, row.issued_by, row.revoked_at, row.revoked_by, row.reason,
    )  # fmt: skip


def _count_retakes(conn: Connection, learner: str, quiz: str) -> int:
    query = select(func.count()).select_from(retakes).where(retakes.c.learner == learner, retakes.c.quiz == quiz)
    return int(conn.execute(query).scalar_one())


def _sittings(conn: Connection, learner: str, quiz: str) -> list[Sitting]:
    rows = conn.execute(
        select(sittings).where(sittings.c.learner == learner, sittings.c.quiz == quiz).order_by(sittings.c.number)
    ).all()
    return [_sitting_from_row(row) for row in rows]


def _sitting_from_row(row: Any) -> Sitting:
    return Sitting(row.id, row.learner, row.quiz, row.number, tuple(json.loads(row.questions)), row.opened_at, row.submitted_at)
