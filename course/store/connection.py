"""The store's connection to its database: the engine, transactions, and what every part of the store shares.

:class:`StoreConnection` is the base of :class:`~course.store.ResultsStore`: it makes the engine
(SQLite in WAL mode with a busy timeout and ``BEGIN IMMEDIATE`` for writers, or PostgreSQL),
migrates the schema once on first use, gives one transaction at a time (``_connection``, turning
"database unreachable" into a :class:`~course.records.StoreError`), inserts learners and attempts
for the other parts, and does the housekeeping (integrity check, schema version, close).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, create_engine, event, text, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url

from course import config
from course.records import StoreError
from course.store.migrations import _migrate, _stored_version
from course.store.tables import attempts, learners, sittings

if TYPE_CHECKING:
    from course.store.results import ResultsStore


class StoreConnection:
    """The engine and transactions of :class:`~course.store.ResultsStore` (its other methods are in its mixins)."""

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
