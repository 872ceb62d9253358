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

The package's modules, one job each: :mod:`~course.store.tables` (the tables and
:data:`SCHEMA_VERSION`), :mod:`~course.store.migrations` (:data:`MIGRATIONS`),
:mod:`~course.store.connection` (the engine, transactions and housekeeping: the base of
:class:`ResultsStore`), :mod:`~course.store.results` (:class:`ResultsStore`, its parts combined),
and one module per group of its methods: :mod:`~course.store.recording` (recording answers, the
outbox), :mod:`~course.store.answers` (attempts and sittings), :mod:`~course.store.people`
(learners, cohorts, roles), :mod:`~course.store.trainers` (reviews, retakes, waivers),
:mod:`~course.store.certification` (certificates, revocations, recertification, settings, due
dates) and :mod:`~course.store.auditing` (the audit trail).
"""

from __future__ import annotations

from course.records import Attempt, AuditEntry, Learner, Review, SaveOutcome, Sitting, StoreError, SyncResult, Waiver
from course.store.answers import _attempt_row
from course.store.auditing import local_actor
from course.store.connection import _is_file_database
from course.store.migrations import MIGRATIONS, _create_version_1, _create_version_2, _learners_v1
from course.store.recording import _attempt_to_outbox
from course.store.results import ResultsStore
from course.store.tables import (
    SCHEMA_VERSION,
    attempts,
    audit,
    certificates,
    due_dates,
    learners,
    metadata,
    recertifications,
    retakes,
    reviews,
    revocations,
    schema_info,
    settings,
    sittings,
    waivers,
)

__all__ = [
    "Attempt", "AuditEntry", "Learner", "Review", "ResultsStore", "SaveOutcome", "Sitting", "StoreError", "SyncResult", "Waiver", "SCHEMA_VERSION",
    # also used by the course's other modules (the report, the command line) and the tests
    "MIGRATIONS", "local_actor", "_attempt_row", "_attempt_to_outbox", "_create_version_1", "_create_version_2",
    "_is_file_database", "_learners_v1",
    # the tables (course.report reads attempts, learners and reviews directly)
    "metadata", "schema_info", "learners", "attempts", "reviews", "retakes", "sittings", "waivers", "audit",
    "settings", "due_dates", "certificates", "revocations", "recertifications",
]
