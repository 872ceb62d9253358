"""The report's read path: the attempts as Arrow columns, fetched by ADBC (SQLite and PostgreSQL).

:func:`read` returns what :func:`course.report.load` assembles into its frame: the attempts as
columns (ids dictionary-encoded by Arrow in C++, never one Python string per row; numbers and
times as numpy arrays), the learners and the latest review of each reviewed answer, all read in
one read transaction (a consistent snapshot).

Why ADBC (991,731 answers, the report's progress columns, fresh processes, imports untimed;
2 shared cores, medians of 2-3 runs):

- SQLite: adbc-driver-sqlite 1.06 s; connectorx 1.31-1.35 s (and it cannot type a computed
  column whose first value is NULL); polars.read_database_uri (connectorx underneath) 1.43 s and
  +380 MiB; Python's sqlite3 rows 2.15 s and +640 MiB (the old path, then factorised: 4.4-5.0 s
  in all); DuckDB's sqlite scanner is an extension DuckDB downloads at run time (refused here:
  no network). SQLite's own scan of those columns is ~0.45 s of ADBC's 1.06 s.
- PostgreSQL: adbc-driver-postgresql reads by COPY ... (FORMAT BINARY) straight into Arrow,
  timestamptz as timestamp[us, UTC] (benchmarks/report_scale.py --postgres).

One reader for both databases, kept by the Arrow project, on pyarrow alone. The low-level
``adbc_driver_manager`` API is used, not its DB-API module (which imports pyarrow.dataset: 0.3 s).
SQLite is read in a child process (see :func:`_read_in_child` for why), or row by row in this
process by Python's own sqlite3 while the store is small (:data:`_MAX_HERE`).

Times: SQLite keeps UTC text ('YYYY-MM-DD HH:MM:SS.ffffff'), which Arrow parses in C++;
PostgreSQL returns timestamptz. Both end as int64 ns since the epoch, as the report wants.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:  # pandas and numpy load in the parent only: the SQLite child needs neither
    import numpy as np
    import pandas as pd

IDS = ("learner", "quiz", "question", "question_type", "submission")
"""Columns read as categoricals (dictionary-encoded)."""
DETAIL_IDS = ("mode", "response", "bank_version")
_BATCH_ROWS = "65536"


class ReadError(Exception):
    """The database could not be read (the driver's message)."""


def _open(url: Any) -> tuple[Any, Any, str]:
    """(ADBC database, connection, dialect) for the store's database (a SQLAlchemy URL).

    The low-level ADBC API: its DB-API module imports pyarrow.dataset and more (0.3 s a process).
    """
    import adbc_driver_manager

    backend = url.get_backend_name()
    if backend == "sqlite":
        import adbc_driver_sqlite

        database = adbc_driver_sqlite.connect(url.database)
        dialect = "sqlite"
    elif backend == "postgresql":
        import adbc_driver_postgresql

        database = adbc_driver_postgresql.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
        dialect = "postgresql"
    else:
        raise ReadError(f"no columnar reader for {backend} databases")
    try:
        return database, adbc_driver_manager.AdbcConnection(database), dialect
    except BaseException:
        database.close()
        raise


def read(url: Any, filters: Any, *, detail: bool, key: str | None = None, ids: tuple[int, int] | None = None, cache: Path | None = None) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """(attempt columns, learners, latest reviews) as :func:`course.report._assemble` takes them.

    ``ids``: only the attempts whose stored id is in [first, last] (a streamed export's chunk).
    ``cache``: the columnar cache's file (see "The cache" below), used for an unfiltered read of
    the progress columns (``detail=False``), and written after it.
    """
    unfiltered = all(getattr(filters, name) is None for name in ("cohort", "learner", "quiz", "since", "until"))
    if cache is not None and not detail and key is None and ids is None and unfiltered:
        if url.get_backend_name() == "sqlite" and (not url.database or url.database == ":memory:"):
            raise ReadError("an in-memory SQLite database cannot be read by another connection")
        frame, people, reviews = _read_cached(url, cache)
        out = frame, _learner_frame(people), _review_frame(reviews)
        del people, reviews
        pa.default_memory_pool().release_unused()
        return out

    request = {
        "cohort": filters.cohort, "learner": filters.learner, "quiz": filters.quiz,
        "since": filters.since.isoformat() if filters.since is not None else None,
        "until": filters.until.isoformat() if filters.until is not None else None,
        "detail": detail, "key": key, "ids": list(ids) if ids is not None else None,
    }
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ReadError("an in-memory SQLite database cannot be read by another connection")
        attempts, people, reviews = _read_sqlite(url, request)
    else:
        attempts, people, reviews = read_tables(url, request)
    out = _frame(attempts, detail), _learner_frame(people), _review_frame(reviews)
    del attempts, people, reviews
    pa.default_memory_pool().release_unused()  # give the Arrow buffers back (the frame holds numpy copies)
    return out


# --- The cache --------------------------------------------------------------------------------
#
# The store only appends attempts. The cache keeps the progress columns of every attempt up to an
# id (scores included), the ids as sorted categories and int32 codes, in an Arrow IPC file read by
# memory map: its columns are the report's arrays as they are. A cached read fetches afresh only the
# rows after the cache's last id, the learners, the reviews (every time: a review is how a score
# changes) and the database's state, all in one read transaction; then it appends the new rows (and
# rewrites the cache if there were any).
#
# Every other change to a stored answer is logged by the database itself: store schema version 5
# has triggers that write each UPDATE and DELETE of an attempt (and, on SQLite, an attempt stored
# under an id below one already there) to ``attempt_changes``. The cache is used only while
#
# - the triggers are there (SQLite: all three; PostgreSQL: both, ENABLE ALWAYS) and the schema has
#   not changed since the cache was written (SQLite: PRAGMA schema_version, which every CREATE and
#   DROP moves; PostgreSQL: each trigger's catalog row, oid and xmin, which DROP, CREATE, DISABLE
#   and ENABLE change): a trigger dropped and made again, or disabled for a while, ends the cache;
# - the change log has not moved (its row count and its last sequence number);
# - the first row's id and key and the key at the cache's last id are the same (another database
#   at the same place, or a restored copy, is not this one);
# - PostgreSQL only: no row at an id that was free below the cache's last id when it was written
#   (there, transactions commit in any order: an answer whose id was taken before the cache was
#   written may arrive after it, and can only take such an id). The free ids are kept in the cache;
#   past _MAX_GAPS of them, the rows up to its last id are counted instead;
# - SQLite only: at most _MAX_NEW rows are new (they are read row by row, in this process).
#
# Otherwise every row is read again (by ADBC; on SQLite in a child process, or in this process when
# the store holds at most _MAX_HERE answers) and the cache rewritten.
# So an answer edited with SQL is in the next report. What the cache does not survive is someone
# who edits the catalog itself (or a PostgreSQL superuser who turns triggers off through it): the
# re-grade, the answers and the export read every column afresh (detail=True), never the cache,
# so a tampered score is still found by the re-grade.

_FORMAT = b"course.columnar cache 2"
_NUMBERS = ("score", "max_score", "correct", "answered_at")
_TRIGGERS = {"sqlite": 3, "postgresql": 2}
_MAX_NEW = 200_000
_MAX_HERE = 50_000
"""SQLite, no cache (a first report, and every detailed read: the whole report, the answers, the
re-grade, an export): a store of at most this many answers is read in this process, row by row
(~4 µs a row here), not by ADBC in a child (~0.2 s to start it, then ~1 µs a row): a small
clinic's reports, and the trainer dashboard on a new store, without the child."""


def cache_path(url: Any) -> Path | None:
    """Where the cache of this database lives: beside a SQLite file (it holds what the file holds),
    in the course's data folder for PostgreSQL; None for anything else."""
    import hashlib

    from course import config

    backend = url.get_backend_name()
    if backend == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        return database.parent / f".{database.name}.report-cache.arrow"
    if backend == "postgresql":
        where = url.set(drivername="postgresql", password=None).render_as_string(hide_password=True)
        return config.data_dir() / "report-cache" / f"{hashlib.sha256(where.encode()).hexdigest()[:24]}.arrow"
    return None


def _load_cache(path: Path) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(the cached columns as :func:`_frame` gives them, the cache's facts); None if there is none."""
    import json

    import pandas as pd

    try:
        table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
        metadata = table.schema.metadata or {}
        if metadata.get(b"format") != _FORMAT:
            return None
        facts = json.loads(metadata[b"facts"])
        if table.column_names != [*IDS, *_NUMBERS, "key"] or table.num_rows != facts["rows"] or not table.num_rows:
            return None
    except (OSError, ValueError, KeyError, pa.ArrowException):
        return None

    def array(name: str) -> np.ndarray:
        column = table.column(name)
        return column.chunk(0).to_numpy() if column.num_chunks == 1 else column.to_numpy()

    frame: dict[str, Any] = {}
    for name in IDS:
        categories = pd.Index(facts["categories"][name], dtype=object)
        codes = array(name)  # int32, read-only (mapped): pandas narrows it to a new array below 32,768 categories
        frame[name] = pd.Categorical.from_codes(codes if len(categories) < 2**15 else codes.copy(), categories=categories, validate=False)
    for name in _NUMBERS:
        frame[name] = array(name)
    frame["key"] = _arrow_keys(table.column("key"))
    return frame, facts


def _write_cache(path: Path, frame: dict[str, Any], facts: dict[str, Any]) -> None:
    """Write the cache atomically, readable by this user only; a failure only costs the next read time."""
    import json
    import os
    import tempfile

    import numpy as np

    if not facts["rows"]:
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        os.fchmod(handle, 0o600)
        columns = [pa.array(np.asarray(frame[name].codes, dtype=np.int32)) for name in IDS]
        columns += [pa.array(frame[name]) for name in _NUMBERS]
        columns.append(frame["key"])
        facts = {**facts, "categories": {name: list(frame[name].categories) for name in IDS}}
        schema = pa.schema([pa.field(name, column.type) for name, column in zip([*IDS, *_NUMBERS, "key"], columns)])
        schema = schema.with_metadata({b"format": _FORMAT, b"facts": json.dumps(facts).encode()})
        with os.fdopen(handle, "wb") as stream, pa.ipc.new_file(stream, schema) as writer:
            writer.write_batch(pa.record_batch(columns, schema=schema))
        os.replace(temporary, path)
    except (OSError, ValueError, pa.ArrowException):
        Path(temporary).unlink(missing_ok=True)


def _read_cached(url: Any, path: Path) -> tuple[dict[str, Any], pa.Table, pa.Table]:
    """The unfiltered progress columns, the rows up to the cache's last id from ``path`` (see "The cache")."""
    dialect = url.get_backend_name()
    loaded = _load_cache(path)
    if loaded is not None:
        old, facts = loaded
        request = {**_EVERYTHING, "ids": [facts["last_id"] + 1, 2**62], "state": facts["last_id"], "gaps": facts.get("gaps"),
                   "max_new": _MAX_NEW if dialect == "sqlite" else None}
        tables = _read_here(url, request) if dialect == "sqlite" else read_tables(url, request)
        state = tables[-1].to_pylist()[0]
        if len(tables) == 4 and _still_good(facts, state, dialect):
            new, people, reviews = tables[:3]
            if not new.num_rows:
                return old, people, reviews
            frame = _append(old, _frame(new.drop_columns(["id"]), False))
            gaps = _gaps(new.column("id"), facts["last_id"] + 1, state["last_id"], facts.get("gaps"), dialect)
            _write_cache(path, frame, _facts(state, facts["rows"] + new.num_rows, gaps))
            return frame, people, reviews
    # no cache, or it does not match the database: read every row, and cache them (SQLite: in this
    # process while there are few, else by ADBC in a child)
    request = {**_EVERYTHING, "state": 0}
    if dialect == "sqlite":
        attempts, people, reviews, state_table = _read_here(url, {**request, "max_rows": _MAX_HERE}) or _read_in_child(url.database, request)
    else:
        attempts, people, reviews, state_table = read_tables(url, request)
    state = state_table.to_pylist()[0]
    frame = _frame(attempts.drop_columns(["id"]), False)
    if state["triggers"] == _TRIGGERS[dialect] and attempts.num_rows:
        gaps = _gaps(attempts.column("id"), state["first_id"], state["last_id"], [], dialect)
        _write_cache(path, frame, _facts(state, attempts.num_rows, gaps))
    return frame, people, reviews


_MAX_GAPS = 10_000


def _gaps(ids: pa.ChunkedArray, first: int, last: int, known: list[int] | None, dialect: str) -> list[int] | None:
    """PostgreSQL: ``known`` and the ids in [first, last] that ``ids`` (ascending) lack; None when
    more than _MAX_GAPS (the reader then counts the rows up to the cache's last id instead).

    A row that commits after the cache was written with an id below its last one takes an id
    that was free when it was written: one of these. (SQLite: [], its insert trigger logs those.)
    """
    import numpy as np

    if dialect != "postgresql":
        return []
    if known is None:
        return None
    present = ids.cast(pa.int64()).to_numpy() if len(ids) else np.zeros(0, dtype=np.int64)
    if (last - first + 1) - len(present) + len(known) > _MAX_GAPS:
        return None
    bounds = np.concatenate([[first - 1], present, [last + 1]])
    ends = np.flatnonzero(np.diff(bounds) > 1)
    return known + [n for i in ends for n in range(int(bounds[i]) + 1, int(bounds[i + 1]))]


_EVERYTHING = {"cohort": None, "learner": None, "quiz": None, "since": None, "until": None, "detail": False, "key": None, "ids": None}


def _facts(state: dict[str, Any], rows: int, gaps: list[int] | None) -> dict[str, Any]:
    """What the cache records of the database it was read from (see "The cache")."""
    return {"rows": rows, **{name: state[name] for name in ("schema", "changes", "last_change", "first_id", "first_key")},
            "last_id": state["last_id"], "last_key": state["last_key"], "gaps": gaps}


def _still_good(facts: dict[str, Any], state: dict[str, Any], dialect: str) -> bool:
    """Whether the cache still holds the database's rows up to its last id (see "The cache")."""
    return (
        state["triggers"] == _TRIGGERS[dialect]
        and all(state[name] == facts[name] for name in ("schema", "changes", "last_change", "first_id", "first_key"))
        and state["at_key"] == facts["last_key"]
        and (dialect != "postgresql" or (state["upto"] == facts["rows"] if facts.get("gaps") is None else state["late"] == 0))
    )


def _append(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The cached columns with the new rows after them (categories merged, still sorted)."""
    import numpy as np
    import pandas as pd

    frame: dict[str, Any] = {}
    for name in IDS:
        a, b = old[name], new[name]
        categories = pd.Index(sorted(set(a.categories) | set(b.categories)), dtype=object)
        codes = []
        for part in (a, b):
            remap = np.append(categories.get_indexer(part.categories), -1)  # code -1 (missing) stays -1
            codes.append(remap[np.asarray(part.codes, dtype=np.int64)])
        frame[name] = pd.Categorical.from_codes(np.concatenate(codes), categories=categories, validate=False)
    for name in _NUMBERS:
        frame[name] = np.concatenate([old[name], new[name]])
    frame["key"] = pa.concat_arrays([old["key"], new["key"]])
    return frame


def _read_sqlite(url: Any, request: dict[str, Any]) -> tuple[pa.Table, pa.Table, pa.Table]:
    """:func:`read_tables` on SQLite (no cache involved): in this process while the store holds at
    most :data:`_MAX_HERE` answers, else by ADBC in a child. Whether it is small is asked in the same
    read transaction as the rows, by a count that stops past the limit (a few ms, whatever the size)."""
    tables = _read_here(url, {**request, "max_rows": _MAX_HERE})
    if not tables:  # too many answers to read row by row
        return _read_in_child(url.database, request)
    return tables  # type: ignore[return-value]


def _read_here(url: Any, request: dict[str, Any]) -> tuple[pa.Table, ...]:
    """:func:`read_tables` on SQLite through Python's own sqlite3 module, in this process.

    The same library as the store's connections (so no lock is broken: see the child's comment
    below), row by row: for the few rows a cached read needs. One read transaction.
    """
    import sqlite3

    try:  # mode=rw: a missing file is an error, not a new empty database
        where = Path(url.database).resolve().as_uri() + "?mode=rw"
        conn = sqlite3.connect(where, uri=True, timeout=30.0, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise ReadError(_message(error)) from error
    try:
        return _tables(_RowConnection(conn), "sqlite", request)
    except sqlite3.Error as error:
        raise ReadError(_message(error)) from error
    finally:
        conn.close()


class _RowConnection:
    """A DB-API connection that :func:`_execute` and :func:`_fetch` use as they use ADBC's."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn


def _rows_table(cursor: Any) -> pa.Table:
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if not rows:
        return pa.table({name: pa.array([], type=pa.null()) for name in names})
    return pa.table({name: pa.array(list(values)) for name, values in zip(names, zip(*rows))})


def order(url: Any, filters: Any) -> tuple[np.ndarray, np.ndarray]:
    """(stored ids, answered_at as int64 ns) of the attempts the filters admit, in id order."""
    import numpy as np

    request = {
        "cohort": filters.cohort, "learner": filters.learner, "quiz": filters.quiz,
        "since": filters.since.isoformat() if filters.since is not None else None,
        "until": filters.until.isoformat() if filters.until is not None else None,
        "detail": False, "key": None, "order_only": True,
    }
    if url.get_backend_name() == "sqlite":
        attempts = _read_sqlite(url, request)[0]
    else:
        attempts = read_tables(url, request)[0]
    if attempts.num_rows == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    ids = attempts.column("id").cast(pa.int64()).to_numpy(zero_copy_only=False)
    stamps = attempts.column("answered_at").cast(pa.timestamp("ns")).cast(pa.int64()).to_numpy(zero_copy_only=False).copy()
    ids = ids.copy()
    del attempts
    pa.default_memory_pool().release_unused()
    return ids, stamps


def read_tables(url: Any, request: dict[str, Any]) -> tuple[pa.Table, ...]:
    """The three tables as Arrow (and the database's state, if asked), in one read transaction (a consistent snapshot)."""
    try:
        database, conn, dialect = _open(url)
    except ReadError:
        raise
    except Exception as error:  # the driver's errors (adbc_driver_manager.Error and its kinds)
        raise ReadError(_message(error)) from error
    try:
        return _tables(conn, dialect, request)
    except ReadError:
        raise
    except Exception as error:
        raise ReadError(_message(error)) from error
    finally:
        conn.close()
        database.close()


def _tables(conn: Any, dialect: str, request: dict[str, Any]) -> tuple[pa.Table, ...]:
    _execute(conn, "BEGIN" if dialect == "sqlite" else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    if request.get("max_rows") is not None and _more_than(conn, request["max_rows"]):
        _execute(conn, "COMMIT")
        return ()  # too many rows to read here: the caller reads them by ADBC
    state = _state(conn, dialect, request["state"], request.get("gaps")) if request.get("state") is not None else None
    if state is not None and request.get("max_new") is not None and state.column("newer")[0].as_py() > request["max_new"]:
        _execute(conn, "COMMIT")
        return (state,)  # too many new rows to read here: the caller reads them all by ADBC
    people = _learners(conn, dialect, request)
    attempts = _attempts(conn, dialect, request)
    if isinstance(conn, _RowConnection):  # Python's sqlite3 types by value (no sentinel); sorted here, not by a temporary B-tree
        reviews = _fetch(conn, "SELECT attempt_key, score, reviewer, comment, reviewed_at, id FROM reviews", [])
        if reviews.num_rows:
            reviews = reviews.take(pc.sort_indices(reviews, sort_keys=[("reviewed_at", "ascending"), ("id", "ascending")]))
    elif dialect == "sqlite":
        reviews = _typed(_fetch(conn, "SELECT '' AS attempt_key, 0.5 AS score, '' AS reviewer, '' AS comment, '' AS reviewed_at, 0 AS id, 0 AS _k "
                                      "UNION ALL SELECT attempt_key, score, reviewer, comment, reviewed_at, id, 1 FROM reviews ORDER BY _k, reviewed_at, id", []))
    else:
        reviews = _fetch(conn, "SELECT attempt_key, score, reviewer, comment FROM reviews ORDER BY reviewed_at, id", [])
    _execute(conn, "COMMIT")
    return (attempts, people, reviews) if state is None else (attempts, people, reviews, state)


def _more_than(conn: Any, limit: int) -> bool:
    """Whether the store holds more than ``limit`` answers (SQLite; counts no further than that)."""
    table = _fetch(conn, "SELECT count(*) AS n FROM (SELECT 1 FROM attempts LIMIT ?)", [int(limit) + 1])
    return table.column(0)[0].as_py() > limit


_STATE_SQLITE = """
SELECT '' AS schema, 0 AS triggers, 0 AS changes, 0 AS last_change, 0 AS first_id, '' AS first_key, 0 AS last_id,
       '' AS last_key, '' AS at_key, 0 AS upto, 0 AS late, 0 AS newer, 0 AS _k
UNION ALL SELECT
    CAST((SELECT schema_version FROM pragma_schema_version) AS TEXT),
    (SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'attempts'
        AND name IN ('attempts_update_logged', 'attempts_delete_logged', 'attempts_insert_logged')),
    (SELECT count(*) FROM attempt_changes), (SELECT coalesce(max(seq), 0) FROM attempt_changes),
    (SELECT min(id) FROM attempts), (SELECT key FROM attempts ORDER BY id LIMIT 1),
    (SELECT max(id) FROM attempts), (SELECT key FROM attempts ORDER BY id DESC LIMIT 1),
    (SELECT key FROM attempts WHERE id = ?), -1, 0, (SELECT count(*) FROM attempts WHERE id > ?), 1
ORDER BY _k
"""
_STATE_POSTGRESQL = """
SELECT
    (SELECT string_agg(tgname || ':' || oid::text || ':' || xmin::text || ':' || tgenabled::text, ',' ORDER BY tgname)
        FROM pg_trigger WHERE tgrelid = 'attempts'::regclass) AS schema,
    (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'attempts'::regclass AND tgenabled = 'A'
        AND tgname IN ('attempts_change_logged', 'attempts_truncate_logged')) AS triggers,
    (SELECT count(*) FROM attempt_changes) AS changes, (SELECT coalesce(max(seq), 0) FROM attempt_changes) AS last_change,
    (SELECT min(id) FROM attempts)::bigint AS first_id, (SELECT key FROM attempts ORDER BY id LIMIT 1) AS first_key,
    (SELECT max(id) FROM attempts)::bigint AS last_id, (SELECT key FROM attempts ORDER BY id DESC LIMIT 1) AS last_key,
    (SELECT key FROM attempts WHERE id = $1::bigint) AS at_key,
    {check}, (SELECT count(*) FROM attempts WHERE id > $1::bigint) AS newer
"""
_UPTO = "(SELECT count(*) FROM attempts WHERE id <= $1::bigint) AS upto, 0::bigint AS late"
_LATE = "-1::bigint AS upto, (SELECT count(*) FROM attempts WHERE id = ANY($2::text::bigint[])) AS late"


def _state(conn: Any, dialect: str, last: int, gaps: list[int] | None = None) -> pa.Table:
    """One row: what the cache checks (see "The cache"); ``last``: the cache's last id (0: none);
    ``gaps`` (PostgreSQL): the ids free below it when it was written (None: count the rows instead)."""
    if dialect == "sqlite":
        return _typed(_fetch(conn, _STATE_SQLITE, [int(last), int(last)]))
    if gaps is None:
        return _fetch(conn, _STATE_POSTGRESQL.format(check=_UPTO), [int(last)])
    return _fetch(conn, _STATE_POSTGRESQL.format(check=_LATE), [int(last), "{" + ",".join(str(int(n)) for n in gaps) + "}"])


# SQLite in a child process. adbc-driver-sqlite links its own copy of SQLite; two copies of SQLite
# in one process break each other's POSIX locks (closing one's file descriptor drops the other's
# locks, https://sqlite.org/howtocorrupt.html section 2.2.1): seen here as "disk I/O error" from the
# store's own connection after a read. The store's process never loads that copy: a child reads and
# sends the columns back as an Arrow IPC stream (dictionary-encoded ids: a few MiB per million rows).


def _read_in_child(path: str, request: dict[str, Any]) -> tuple[pa.Table, pa.Table, pa.Table]:
    import json
    import subprocess
    import sys

    command = [sys.executable, "-m", "course.columnar"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        assert child.stdin is not None and child.stdout is not None and child.stderr is not None
        child.stdin.write(json.dumps({"path": path, **request}).encode())
        child.stdin.close()
        try:  # read as it comes: never the whole stream in one buffer beside the tables
            source = pa.PythonFile(child.stdout, mode="r")
            tables = tuple(pa.ipc.open_stream(source).read_all() for _ in range(4 if request.get("state") is not None else 3))
        except (pa.ArrowInvalid, OSError):
            tables = None
        errors = child.stderr.read()
        status = child.wait()
    if status != 0 or tables is None:
        lines = errors.decode(errors="replace").strip().splitlines()
        raise ReadError(lines[-1].removeprefix("course.columnar.ReadError: ") if lines else f"the reader stopped ({status})")
    return tables  # type: ignore[return-value]


class _SQLiteURL:
    """What :func:`_open` asks of a URL, in the child (which does not import SQLAlchemy)."""

    def __init__(self, database: str) -> None:
        self.database = database

    def get_backend_name(self) -> str:
        return "sqlite"


def _child() -> None:
    """The child's side of :func:`_read_in_child`: request on stdin, three IPC streams on stdout."""
    import json
    import os
    import sys

    request = json.loads(sys.stdin.buffer.read())
    url = _SQLiteURL(request.pop("path"))
    out = pa.PythonFile(sys.stdout.buffer, mode="w")
    for table in read_tables(url, request):
        with pa.ipc.new_stream(out, table.schema) as writer:
            writer.write_table(table)
    sys.stdout.buffer.flush()
    stats = os.environ.get("COURSE_READER_STATS")  # benchmarks/report_scale.py: this reader's peak memory
    if stats:
        with open(stats, "a") as out:
            out.write(next(line for line in open("/proc/self/status") if line.startswith("VmHWM:")))


def _message(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _placeholder(dialect: str, n: int) -> str:
    return "?" if dialect == "sqlite" else f"${n}"


def _statement(conn: Any, sql: str, parameters: list[Any]) -> Any:
    import adbc_driver_manager

    statement = adbc_driver_manager.AdbcStatement(conn)
    try:
        statement.set_options(**{"adbc.sqlite.query.batch_rows": _BATCH_ROWS})
    except adbc_driver_manager.Error:
        pass  # not SQLite
    statement.set_sql_query(sql)
    if parameters:
        batch = pa.RecordBatch.from_arrays([_one(v) for v in parameters], names=[f"p{i}" for i in range(len(parameters))])
        array, schema = adbc_driver_manager.ArrowArrayHandle(), adbc_driver_manager.ArrowSchemaHandle()
        batch._export_to_c(array.address, schema.address)
        statement.bind(array, schema)
    return statement


def _one(value: int | str) -> pa.Array:
    """A one-value array, built from its buffers: pa.array() and pa.scalar() import pandas (0.2 s
    in the SQLite reader, which needs no pandas)."""
    import struct

    if isinstance(value, int):
        return pa.Array.from_buffers(pa.int64(), 1, [None, pa.py_buffer(struct.pack("<q", value))])
    data = str(value).encode("utf-8")
    return pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(struct.pack("<ii", 0, len(data))), pa.py_buffer(data)])


def _execute(conn: Any, sql: str) -> None:
    if isinstance(conn, _RowConnection):
        conn.conn.execute(sql)
        return
    statement = _statement(conn, sql, [])
    try:
        statement.execute_update()
    finally:
        statement.close()


def _fetch(conn: Any, sql: str, parameters: list[Any]) -> pa.Table:
    if isinstance(conn, _RowConnection):
        return _rows_table(conn.conn.execute(sql, parameters))
    statement = _statement(conn, sql, parameters)
    try:
        stream, _ = statement.execute_query()
        return pa.RecordBatchReader._import_from_c(stream.address).read_all()
    finally:
        statement.close()


def _stamp(dialect: str, iso: str) -> str:
    """A bound time as the store keeps it (SQLite: naive UTC text), or ISO 8601 for PostgreSQL."""
    utc = datetime.fromisoformat(iso).astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else utc.isoformat()


def _learners(cursor: Any, dialect: str, request: dict[str, Any]) -> pa.Table:
    where, parameters = [], []
    for field, column in (("cohort", "cohort"), ("learner", "name")):
        if request[field] is not None:
            parameters.append(request[field])
            where.append(f"{column} = {_placeholder(dialect, len(parameters))}")
    where_sql = " WHERE " + " AND ".join(where) if where else ""
    if dialect == "sqlite" and not isinstance(cursor, _RowConnection):
        sql = f"SELECT '' AS name, '' AS cohort, '' AS role, 0 AS _k UNION ALL SELECT name, cohort, role, 1 FROM learners{where_sql} ORDER BY _k, name"
        return _typed(_fetch(cursor, sql, parameters))
    return _fetch(cursor, f"SELECT name, cohort, role FROM learners{where_sql} ORDER BY name", parameters)


def _typed(table: pa.Table) -> pa.Table:
    """A SQLite result without its first row: the typed sentinel and the helper column that put it first.

    adbc-driver-sqlite infers a column's type from its first values, as int64 when they are all
    NULL (apache/arrow-adbc#581), and then refuses text further down ("Type mismatch in column"):
    a store whose first 65,536 answers are all practice (no submission) could not be read. A
    first row of the right types ('' for text, 0.5 for reals, 0 for integers) fixes each type.
    """
    table = table.slice(1)
    return table.drop_columns([name for name in ("_k",) if name in table.column_names])


def _attempts(cursor: Any, dialect: str, request: dict[str, Any]) -> pa.Table:
    """The attempts, ids dictionary-encoded (in C++), in id order."""
    detail = request["detail"]
    key_column = "key" if detail else "CASE WHEN question_type = 'free_text' THEN key END"
    correct = "correct" if dialect == "sqlite" else "correct::int"  # SQLite keeps 0/1
    columns = ["learner", "quiz", "question", "question_type", "score", "max_score", f"{correct} AS correct", "submission", "answered_at", f"{key_column} AS key"]
    if detail:
        columns += ["mode", "response", "bank_version"]
    if request.get("order_only"):  # the stored order and the times only (where a streamed export may cut)
        columns = ["id", "answered_at"]
    elif request.get("state") is not None:  # a cached read: with the ids
        columns = ["id", *columns]
    where, parameters = [], []

    def bind(condition: str, value: Any) -> None:
        parameters.append(value)
        where.append(condition.format(p=_placeholder(dialect, len(parameters))))

    if request["cohort"] is not None:
        bind("learner IN (SELECT name FROM learners WHERE cohort = {p})", request["cohort"])
    if request["learner"] is not None:
        bind("learner = {p}", request["learner"])
    if request["quiz"] is not None:
        bind("quiz = {p}", request["quiz"])
    cast = "" if dialect == "sqlite" else "::timestamptz"
    if request["since"] is not None:
        bind("answered_at >= {p}" + cast, _stamp(dialect, request["since"]))
    if request["until"] is not None:
        bind("answered_at < {p}" + cast, _stamp(dialect, request["until"]))
    if request["key"] is not None:
        bind("key = {p}", request["key"])
    if request.get("ids") is not None:  # [first, last] of the stored order (a streamed export's chunk)
        number = "" if dialect == "sqlite" else "::bigint"
        bind("id >= {p}" + number, int(request["ids"][0]))  # an integer: SQLite then searches the rowid range
        bind("id <= {p}" + number, int(request["ids"][1]))
    where_sql = " WHERE " + " AND ".join(where) if where else ""
    if dialect == "sqlite":  # a typed first row (see _typed), id -1 so that it comes first
        names = [c.split(" AS ")[-1] for c in columns]
        sentinel = ", ".join(f"{_SENTINELS[n]} AS {n}" for n in names)
        sql = f"SELECT -1 AS _id, {sentinel} UNION ALL SELECT id, {', '.join(columns)} FROM attempts{where_sql} ORDER BY _id"
        table = _typed(_fetch(cursor, sql, parameters)).drop_columns(["_id"])
    else:
        table = _fetch(cursor, f"SELECT {', '.join(columns)} FROM attempts{where_sql} ORDER BY id", parameters)
    encoded = []
    for name in table.column_names:
        column = table.column(name)
        if name in IDS + DETAIL_IDS and (pa.types.is_string(column.type) or pa.types.is_large_string(column.type) or len(column) == 0):
            column = pc.dictionary_encode(column)
        elif name == "answered_at":
            column = _utc_timestamps(column)
        encoded.append(column)
    return pa.table(encoded, names=table.column_names)


_SENTINELS = {
    "learner": "''", "quiz": "''", "question": "''", "question_type": "''", "score": "0.5", "max_score": "0.5",
    "correct": "0", "submission": "''", "answered_at": "'1970-01-01 00:00:00.000000'", "key": "''", "mode": "''",
    "response": "''", "bank_version": "''", "id": "0",
}


def _utc_timestamps(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """SQLite's UTC text ('YYYY-MM-DD HH:MM:SS.ffffff', parsed by Arrow in C++) or PostgreSQL's timestamptz, as timestamp[us] (UTC)."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column.cast(pa.timestamp("us"))
    if pa.types.is_timestamp(column.type):
        return column.cast(pa.timestamp(column.type.unit)).cast(pa.timestamp("us"))  # the instant, as UTC
    if len(column) == 0:  # SQLite types an empty result's columns as int64
        return pa.chunked_array([], type=pa.timestamp("us"))
    raise ReadError(f"answered_at read as {column.type}")


def _frame(table: pa.Table, detail: bool) -> dict[str, Any]:
    import numpy as np

    frame: dict[str, Any] = {}
    for name in IDS + (DETAIL_IDS if detail else ()):
        frame[name] = categorical(table.column(name))
    frame["score"] = _floats(table.column("score"))
    frame["max_score"] = _floats(table.column("max_score"))
    frame["correct"] = _floats(table.column("correct"))
    stamps = table.column("answered_at")
    frame["answered_at"] = stamps.cast(pa.timestamp("ns")).cast(pa.int64()).to_numpy(zero_copy_only=False) if len(stamps) else np.array([], dtype=np.int64)
    frame["key"] = _keys(table.column("key")) if detail else _arrow_keys(table.column("key"))
    return frame


def _arrow_keys(column: pa.ChunkedArray) -> pa.Array:
    """The keys as one Arrow string array (null where not read: every answer but free text's)."""
    if pa.types.is_null(column.type) or len(column) == 0:
        return pa.nulls(len(column), type=pa.string())
    return column.combine_chunks() if column.type == pa.string() else column.cast(pa.string()).combine_chunks()


def _keys(column: pa.ChunkedArray) -> np.ndarray:
    """The answers' keys as Python strings, None where not read (only free text's without detail)."""
    import numpy as np

    out = np.full(len(column), None, dtype=object)
    if len(column) == 0 or pa.types.is_null(column.type):
        return out
    valid = pc.is_valid(column).to_numpy(zero_copy_only=False)
    out[valid] = column.filter(valid).to_numpy(zero_copy_only=False)
    return out


def categorical(column: pa.ChunkedArray) -> pd.Categorical:
    """A dictionary-encoded (or string) column as a pandas Categorical with sorted categories (None: missing).

    Only the distinct values become Python strings.
    """
    import numpy as np
    import pandas as pd

    if pa.types.is_null(column.type):  # every value NULL (SQLite types a column by its values)
        return pd.Categorical.from_codes(np.full(len(column), -1, dtype=np.int8), categories=pd.Index([], dtype=object))
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    column = column.unify_dictionaries() if column.num_chunks > 1 else column
    if column.num_chunks == 0:
        return pd.Categorical.from_codes(np.array([], dtype=np.int8), categories=pd.Index([], dtype=object))
    dictionary = column.chunk(0).dictionary
    values = np.array(dictionary.to_pylist(), dtype=object)
    indices = pa.chunked_array([c.indices for c in column.chunks], type=column.type.index_type)
    if indices.null_count:
        indices = indices.fill_null(-1)
    indices = indices.to_numpy(zero_copy_only=False).astype(np.int64)
    order = np.argsort(values, kind="stable")
    remap = np.empty(len(values) + 1, dtype=np.int64)
    remap[order] = np.arange(len(values))
    remap[-1] = -1
    return pd.Categorical.from_codes(remap[indices], categories=pd.Index(values[order], dtype=object), validate=False)


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """A numeric column as float64 (NaN for null)."""

    return column.cast(pa.float64()).to_numpy(zero_copy_only=False)


def _objects(column: pa.ChunkedArray) -> np.ndarray:
    """A small column as a numpy object array (None for null)."""
    import numpy as np

    return np.array(column.to_pylist(), dtype=object)


def _learner_frame(table: pa.Table) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({"learner": _objects(table.column(0)), "cohort": _objects(table.column(1)), "role": _objects(table.column(2))}, dtype=object)


def _review_frame(table: pa.Table) -> pd.DataFrame:
    """The latest review of each reviewed attempt (read by reviewed_at, then id)."""
    import pandas as pd

    frame = pd.DataFrame({name: _objects(table.column(i)) for i, name in enumerate(("key", "score", "reviewer", "comment"))}, dtype=object)
    frame["score"] = frame["score"].astype(float)
    return frame.drop_duplicates("key", keep="last").set_index("key")


if __name__ == "__main__":
    _child()
