"""The report's columnar read path (course.columnar, ADBC) against the row-by-row SQLAlchemy reader
it replaced (kept in course.report as _read_learners/_read_attempts/_read_reviews): the same frame,
column for column, on SQLite and PostgreSQL, with and without detail, with every filter; and the
same tables (tampered scores found by the re-grade included)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from course import columnar, report
from course.store import ResultsStore
from conftest import new_pg_database
from test_report import World, at


def old_load(store, filters: report.Filters, detail: bool) -> report.Data:
    store.schema_version()
    with store.engine.connect() as conn:
        people = report._read_learners(conn, filters)
        frame = report._read_attempts(conn, filters, detail=detail, key=None)
        latest = report._read_reviews(conn)
    return report._assemble(frame, people, latest, filters, detail)


FILTERS = [
    report.Filters(),
    report.Filters(cohort="north"),
    report.Filters(learner="eve"),
    report.Filters(quiz="final_assessment"),
    report.Filters(since=at(3, 11), until=at(6, 12)),
    report.Filters(since=datetime(2026, 3, 3, 12, 0, tzinfo=timezone.utc)),
    report.Filters(learner="nobody"),
]


def same(world: World) -> None:
    for filters in FILTERS:
        for detail in (False, True):
            new, old = report.load(world.store, filters, detail=detail), old_load(world.store, filters, detail)
            pd.testing.assert_frame_equal(new.attempts, old.attempts, check_exact=True)
            pd.testing.assert_frame_equal(new.learners, old.learners, check_exact=True)
    for table in (report.learner_quizzes, report.learner_summary, report.item_analysis, report.distractors, report.regrade, report.review_queue):
        pd.testing.assert_frame_equal(table(world.store, world.course), table(old_load(world.store, report.Filters(), True), world.course))


def tamper(world: World) -> None:
    """A score edited behind the store's back: the re-grade must find it."""
    with world.store.engine.begin() as conn:
        conn.execute(text("UPDATE attempts SET score = max_score WHERE key = :key"), {"key": world.keys["ann b-single"]})
    found = report.regrade(world.store, world.course)
    assert world.keys["ann b-single"] in set(found["key"])


def record_children(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """The reader child's runs on SQLite, recorded as they are made (each still runs)."""
    children: list[tuple] = []
    real_child = columnar._read_in_child
    monkeypatch.setattr(columnar, "_read_in_child", lambda *args: children.append(args) or real_child(*args))
    return children


@pytest.mark.parametrize("through_child", [False, True], ids=["read here", "read by the child"])
def test_the_same_frame_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, through_child: bool) -> None:
    """Every read (each filter, with and without detail, an export's order) gives the old path's
    frame, whether the store is small enough to be read in this process or read by the child."""
    world = World(tmp_path)
    children = record_children(monkeypatch)
    if through_child:
        monkeypatch.setattr(columnar, "_MAX_HERE", 0)
    try:
        same(world)
        tamper(world)
        same(world)
        ids, stamps = columnar.order(world.store.engine.url, report.Filters())
        with world.store.engine.connect() as conn:
            stored = conn.execute(text("SELECT id FROM attempts ORDER BY id")).scalars().all()
        assert ids.tolist() == stored and len(stamps) == len(stored) > 0
        assert bool(children) == through_child
    finally:
        world.store.close()


@pytest.mark.postgres
def test_the_same_frame_on_postgresql(pg_url: str, _pg_admin, tmp_path: Path) -> None:
    world = World(tmp_path, url=new_pg_database(_pg_admin, pg_url))
    try:
        same(world)
        tamper(world)
        same(world)
    finally:
        world.store.close()


def test_an_empty_store_reads_as_empty_columns(tmp_path: Path) -> None:
    from course.store import ResultsStore

    with ResultsStore(f"sqlite:///{tmp_path / 'empty.sqlite'}", outbox=tmp_path / "outbox.jsonl") as store:
        data = report.load(store)
        old = old_load(store, report.Filters(), True)
        pd.testing.assert_frame_equal(data.attempts, old.attempts)
        assert data.attempts.empty


def test_ids_are_dictionary_encoded_not_python_strings() -> None:
    import pyarrow as pa

    column = pa.chunked_array([pa.array(["b", None, "a", "b"]), pa.array(["c", "a"])])
    values = columnar.categorical(column)
    assert list(values.categories) == ["a", "b", "c"]
    assert values.codes.tolist() == [1, -1, 0, 1, 2, 0]
    assert np.asarray(values.codes).dtype.kind == "i"


def test_a_cached_read_of_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    missing = tmp_path / "gone.sqlite"
    with pytest.raises(columnar.ReadError):
        columnar._read_here(make_url(f"sqlite:///{missing}"), {**columnar._EVERYTHING, "state": 0})
    assert not missing.exists()


def test_an_unreadable_database_is_a_store_error(tmp_path: Path) -> None:
    from course.store import ResultsStore, StoreError

    path = tmp_path / "results.sqlite"
    with ResultsStore(f"sqlite:///{path}", outbox=tmp_path / "outbox.jsonl") as store:
        store.schema_version()
        with pytest.raises(columnar.ReadError):
            columnar.read(store.engine.url.set(database=str(tmp_path / "missing" / "x.sqlite")), report.Filters(), detail=False)
        assert isinstance(StoreError("x"), Exception)


def test_a_column_null_in_the_first_batch_then_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """adbc-driver-sqlite types a column by its first batch (int64 when all NULL) and then refused
    text: the practice answers (no submission) come first in every store. In this process, with
    batches of 4 rows, on a file no other SQLite connection of this process has open."""
    from sqlalchemy.engine import make_url

    world = World(tmp_path)
    expected = report.load(world.store)
    world.store.close()
    monkeypatch.setattr(columnar, "_BATCH_ROWS", "4")
    request = {"cohort": None, "learner": None, "quiz": None, "since": None, "until": None, "detail": True, "key": None}
    attempts, people, reviews = columnar.read_tables(make_url(world.url), request)
    assert attempts.num_rows == len(expected.attempts)
    assert attempts.column("submission").null_count < attempts.num_rows  # the sittings' ids, read as text
    frame = columnar._frame(attempts, True)
    data = report._assemble(frame, columnar._learner_frame(people), columnar._review_frame(reviews), report.Filters(), True)
    pd.testing.assert_frame_equal(data.attempts, expected.attempts)


def cache_file(world: World) -> Path | None:
    return columnar.cache_path(world.store.engine.url)


def cached_loads_match(world: World) -> None:
    for _ in range(2):  # the first writes or refreshes the cache, the second reads it
        new, old = report.load(world.store, detail=False), old_load(world.store, report.Filters(), False)
        pd.testing.assert_frame_equal(new.attempts, old.attempts, check_exact=True)
        pd.testing.assert_frame_equal(new.learners, old.learners, check_exact=True)


def exercise_the_cache(world: World) -> None:
    path = cache_file(world)
    assert path is not None
    path.unlink(missing_ok=True)
    cached_loads_match(world)
    assert path.exists() and (path.stat().st_mode & 0o077) == 0
    # the frame's columns take writes (the cache is memory-mapped, read-only)
    frame = report.load(world.store, detail=False).attempts
    for column in ("score", "max_score", "correct", "answered_at", "learner", "quiz"):
        frame.loc[0, column] = frame.loc[1, column]
    # new answers: read after the cached rows
    world.answer("fay", "basics", "b-single", "a", at(10, 9), label="fay new")
    world.answer("fay", "basics", "b-free", "Fay's words.", at(10, 10), label="fay free")
    cached_loads_match(world)
    # a review, and a score edited behind the store's back: read afresh every time
    world.store.add_review(world.keys["fay free"], score=1.0, reviewer="tina")
    with world.store.engine.begin() as conn:
        conn.execute(text("UPDATE attempts SET score = max_score WHERE key = :key"), {"key": world.keys["dan s-crit"]})
    cached_loads_match(world)
    assert world.keys["dan s-crit"] in set(report.regrade(world.store, world.course)["key"])
    # more new rows than a cached read takes in this process: every row is read again
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(columnar, "_MAX_NEW", 0)
    try:
        world.answer("fay", "basics", "b-tf", True, at(10, 11), label="fay tf")
        cached_loads_match(world)
    finally:
        monkeypatch.undo()
    cached_loads_match(world)
    # a row deleted behind the store's back: the cache no longer matches, every row is read again
    with world.store.engine.begin() as conn:
        conn.execute(text("DELETE FROM attempts WHERE key = :key"), {"key": world.keys["ann e-once"]})
    cached_loads_match(world)
    # a cache that is not one: ignored
    path.write_bytes(b"not arrow")
    cached_loads_match(world)


def test_a_first_read_in_this_process_and_in_the_child_give_the_same_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite, no cache yet: a small store is read row by row here, a large one by ADBC in a child
    (_MAX_HERE): the same frame and tables either way, an empty store included."""
    world = World(tmp_path)
    empty = ResultsStore(f"sqlite:///{tmp_path / 'empty.sqlite'}", outbox=tmp_path / "empty-outbox.jsonl")
    children = record_children(monkeypatch)
    try:
        for limit, through_child in ((columnar._MAX_HERE, False), (0, True)):
            monkeypatch.setattr(columnar, "_MAX_HERE", limit)
            for store in (world.store, empty):
                columnar.cache_path(store.engine.url).unlink(missing_ok=True)
                children.clear()
                new, old = report.load(store, detail=False), old_load(store, report.Filters(), False)
                assert bool(children) == (through_child and store is world.store), (limit, store.url)
                pd.testing.assert_frame_equal(new.attempts, old.attempts, check_exact=True)
                pd.testing.assert_frame_equal(new.learners, old.learners, check_exact=True)
                for table in (report.learner_summary, report.item_analysis):
                    pd.testing.assert_frame_equal(table(store, world.course), table(old_load(store, report.Filters(), True), world.course))
            assert len(report.load(world.store, detail=False).attempts) > 0
    finally:
        empty.close()
        world.store.close()


def test_the_cache_on_sqlite(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        exercise_the_cache(world)
    finally:
        world.store.close()


@pytest.mark.postgres
def test_the_cache_on_postgresql(pg_url: str, _pg_admin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    world = World(tmp_path, url=new_pg_database(_pg_admin, pg_url))
    try:
        assert str(cache_file(world)).startswith(str(tmp_path / "data"))
        exercise_the_cache(world)
    finally:
        world.store.close()


def copy_answer(world: World, source: str, new_id: int, label: str) -> None:
    """Store a copy of an answer under an id chosen here (as a restored or hand-made row would be)."""
    columns = "learner, quiz, question, question_type, bank_version, mode, response, score, max_score, correct, submission, answered_at, recorded_at"
    with world.store.engine.begin() as conn:
        conn.execute(
            text(f"INSERT INTO attempts (id, key, {columns}) SELECT :id, :key, {columns} FROM attempts WHERE key = :source"),
            {"id": new_id, "key": f"copy-{label}", "source": world.keys[source]},
        )


def exercise_the_change_log(world: World, *, drop_trigger: str, restore_trigger: str) -> None:
    path = cache_file(world)
    assert path is not None
    cached_loads_match(world)
    # a cached read is made in this process: no child process, no ADBC SQLite
    real = columnar._read_in_child

    def refused(*args, **kwargs):
        raise AssertionError("a cached read with nothing changed started the reader process")

    columnar._read_in_child = refused
    try:
        new, old = report.load(world.store, detail=False), old_load(world.store, report.Filters(), False)
        pd.testing.assert_frame_equal(new.attempts, old.attempts, check_exact=True)
    finally:
        columnar._read_in_child = real
    # every edit of a stored answer is logged by the database
    with world.store.engine.begin() as conn:
        before = conn.execute(text("SELECT count(*) FROM attempt_changes")).scalar()
        conn.execute(text("UPDATE attempts SET score = 0 WHERE key = :key"), {"key": world.keys["cat b-single"]})
        assert conn.execute(text("SELECT count(*) FROM attempt_changes")).scalar() == before + 1
    cached_loads_match(world)
    # an answer stored under an id below the cache's last one (on PostgreSQL, a transaction that
    # took its id before the cache was written and committed after): read on the next report
    with world.store.engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM attempts")).scalar()
    copy_answer(world, "eve b-single", top + 10, "above")
    cached_loads_match(world)
    copy_answer(world, "eve b-tf", top + 5, "below")
    cached_loads_match(world)
    # the logging trigger removed (or turned off), a score edited meanwhile, the trigger back: the cache is not trusted
    with world.store.engine.begin() as conn:
        conn.execute(text(drop_trigger))
        conn.execute(text("UPDATE attempts SET score = 0 WHERE key = :key"), {"key": world.keys["eve b-tf"]})
        conn.execute(text(restore_trigger))
    cached_loads_match(world)


def test_the_change_log_on_sqlite(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        with world.store.engine.connect() as conn:
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'attempts_update_logged'")).scalar()
        exercise_the_change_log(world, drop_trigger="DROP TRIGGER attempts_update_logged", restore_trigger=sql)
    finally:
        world.store.close()


@pytest.mark.postgres
@pytest.mark.parametrize("max_gaps", [10_000, 0], ids=["free-ids", "count"])
def test_the_change_log_on_postgresql(pg_url: str, _pg_admin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_gaps: int) -> None:
    """Late rows found by the free ids the cache keeps, or (past _MAX_GAPS of them) by counting."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(columnar, "_MAX_GAPS", max_gaps)
    world = World(tmp_path, url=new_pg_database(_pg_admin, pg_url))
    try:
        exercise_the_change_log(
            world,
            drop_trigger="ALTER TABLE attempts DISABLE TRIGGER attempts_change_logged",
            restore_trigger="ALTER TABLE attempts ENABLE ALWAYS TRIGGER attempts_change_logged",
        )
    finally:
        world.store.close()
