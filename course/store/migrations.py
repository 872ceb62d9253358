"""The schema's migrations: each takes a results database one version up, all in one transaction.

``MIGRATIONS[n]`` takes a database from version n to n + 1 (a table a later version changed keeps
its earlier form here, as ``_learners_v1``); :func:`_migrate` runs the ones a database needs, in
order, inside the caller's transaction, one migrating process at a time on PostgreSQL, and refuses
a database made by a newer course.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, delete, func, inspect, select, text
from sqlalchemy.engine import Connection

from course.records import StoreError
from course.store.tables import (
    SCHEMA_VERSION,
    UTCDateTime,
    attempts,
    audit,
    certificates,
    due_dates,
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


_PG_MIGRATION_LOCK = 0x6B657461  # pg_advisory_xact_lock id: one migrating process at a time


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
