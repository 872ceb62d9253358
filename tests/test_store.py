"""The results store on real SQLite and PostgreSQL databases: every test that takes ``store`` or
``store_url`` runs on both."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import pgserver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

import course.store as store_module
from course import outbox
from course.store import (
    SCHEMA_VERSION,
    Attempt,
    ResultsStore,
    SaveOutcome,
    StoreError,
    SyncResult,
)

T0 = datetime(2026, 11, 24, 9, 30, 15, 123456, tzinfo=timezone.utc)


def attempt(**fields: object) -> Attempt:
    """A single-choice practice answer; any field can be given."""
    values: dict[str, object] = {
        "learner": "ann",
        "quiz": "history",
        "question": "history-fda-year",
        "question_type": "single_choice",
        "bank_version": "sha256:4f2a",
        "mode": "practice",
        "response": "b",
        "score": 1.0,
        "max_score": 1.0,
        "correct": True,
    }
    values.update(fields)
    return Attempt(**values)  # type: ignore[arg-type]


def blocked_sqlite_url(tmp_path: Path) -> tuple[str, Path]:
    """A SQLite URL whose folder is a file, so the database cannot be created."""
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the data folder should be\n")
    return f"sqlite:///{blocker / 'results.sqlite'}", blocker


def sqlite_file(url: str) -> str:
    return url.removeprefix("sqlite:///")


def raw_engine(url: str) -> Engine:
    """A plain engine on the store's database, for looking behind the store's back."""
    if url.startswith("sqlite:///"):
        Path(sqlite_file(url)).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url)


# -- round trip -----------------------------------------------------------------------------

RESPONSES = [
    "b",
    "",
    "Ketamine blocks NMDA receptors — «not a cure but a tool» ✓",
    True,
    False,
    0.1,
    2 / 3,
    1970,
    ["arrival", "monitoring", "infusion", "recovery"],
    {"nmda": "antagonist", "bdnf": "increases"},
    {"nested": [1, 2.5, None, {"deep": [True]}]},
    None,
]


def test_every_field_round_trips(store: ResultsStore) -> None:
    recorded = [
        attempt(
            question=f"q-{index}",
            response=response,
            score=2 / 3,
            max_score=2.0,
            correct=False,
            submission="submission-1",
            mode="assessment",
            answered_at=T0 + timedelta(seconds=index),
        )
        for index, response in enumerate(RESPONSES)
    ]
    pending = attempt(
        question="talking-free-text",
        question_type="free_text",
        response="I would say it is not a cure but a tool.",
        score=None,
        correct=None,
        max_score=2,
        answered_at=datetime(2026, 11, 24, 12, 0, tzinfo=timezone(timedelta(hours=2))),
    )
    for item in [*recorded, pending]:
        assert store.record(item) is SaveOutcome.STORED

    back = store.attempts()

    assert back == [*recorded, pending]
    for original, stored in zip([*recorded, pending], back):
        assert type(stored.response) is type(original.response)
        assert stored.answered_at.utcoffset() == timedelta(0)
    assert back[-1].score is None and back[-1].correct is None
    assert back[-1].answered_at == datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


_json_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _json_text,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(_json_text, children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(response=_json_values)
def test_any_json_response_round_trips(store: ResultsStore, response: object) -> None:
    item = attempt(response=response)
    store.record(item)
    [back] = [stored for stored in store.attempts() if stored.key == item.key]
    assert back.response == response
    assert json.dumps(back.response) == json.dumps(response)


def test_an_attempt_that_cannot_be_stored_is_refused_before_anything(store: ResultsStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.record(attempt(answered_at=datetime(2026, 11, 24, 9, 30)))
    with pytest.raises(ValueError, match="JSON"):
        store.record(attempt(response={1, 2}))
    with pytest.raises(ValueError, match="mode"):
        store.record(attempt(mode="exam"))
    assert store.attempts() == []
    assert store.pending_outbox() == 0


# -- idempotency, learners ------------------------------------------------------------------


def test_the_same_key_twice_is_stored_once(store: ResultsStore) -> None:
    first = attempt()
    assert store.record(first) is SaveOutcome.STORED
    assert store.record(replace(first, response="c", score=0.0)) is SaveOutcome.STORED
    assert store.attempts() == [first]


def test_learners_are_upserted_and_keep_their_cohort(store: ResultsStore) -> None:
    store.record(attempt(learner="ann"))
    [ann] = store.learners()
    assert (ann.name, ann.cohort) == ("ann", None)
    assert ann.created_at.utcoffset() == timedelta(0)

    store.ensure_learner("bob", "nurses-2026")
    store.ensure_learner("bob")  # no cohort given: kept
    store.record(attempt(learner="bob"))
    store.ensure_learner("ann", "doctors")
    store.record(attempt(learner="ann"))
    assert [(item.name, item.cohort) for item in store.learners()] == [
        ("ann", "doctors"),
        ("bob", "nurses-2026"),
    ]
    assert store.learners()[0].created_at == ann.created_at

    store.set_cohort("bob", None)
    store.set_cohort("ann", "nurses-2026")
    assert [(item.name, item.cohort) for item in store.learners()] == [
        ("ann", "nurses-2026"),
        ("bob", None),
    ]
    with pytest.raises(StoreError, match="no learner named 'carol'"):
        store.set_cohort("carol", "doctors")


def test_attempts_filter_and_order(store: ResultsStore) -> None:
    late = attempt(learner="ann", quiz="history", answered_at=T0 + timedelta(minutes=2))
    early = attempt(learner="ann", quiz="history", answered_at=T0)
    other_quiz = attempt(learner="ann", quiz="mechanism", answered_at=T0 + timedelta(minutes=1))
    other_learner = attempt(learner="bob", quiz="history", answered_at=T0 + timedelta(minutes=3))
    for item in (late, early, other_quiz, other_learner):
        store.record(item)

    assert store.attempts() == [early, other_quiz, late, other_learner]
    assert store.attempts(learner="ann") == [early, other_quiz, late]
    assert store.attempts(quiz="history") == [early, late, other_learner]
    assert store.attempts(learner="ann", quiz="history") == [early, late]
    assert store.attempts(learner="nobody") == []


def test_latest_is_the_last_answer_to_each_question(store: ResultsStore) -> None:
    first = attempt(question="q1", response="a", answered_at=T0)
    last = attempt(question="q1", response="c", answered_at=T0 + timedelta(seconds=20))
    middle = attempt(question="q1", response="b", answered_at=T0 + timedelta(seconds=10))
    same_time_1 = attempt(question="q2", response="x", answered_at=T0)
    same_time_2 = attempt(question="q2", response="y", answered_at=T0)  # recorded later: wins
    for item in (first, last, middle, same_time_1, same_time_2):
        store.record(item)
    store.record(attempt(learner="bob", question="q1", answered_at=T0 + timedelta(hours=1)))
    store.record(attempt(quiz="mechanism", question="q1", answered_at=T0 + timedelta(hours=1)))

    assert store.latest("ann", "history") == {"q1": last, "q2": same_time_2}
    assert store.latest("ann", "protocol") == {}


# -- reviews and retakes --------------------------------------------------------------------


def test_a_trainer_reviews_a_free_text_answer(store: ResultsStore) -> None:
    answer = attempt(question_type="free_text", response="NMDA", score=None, correct=None, max_score=2)
    other = attempt(question_type="free_text", response="BDNF", score=None, correct=None, max_score=2)
    store.record(answer)
    store.record(other)

    store.add_review(answer.key, score=1.5, reviewer="dr-lee", comment="Mention BDNF too.")
    store.add_review(answer.key, score=2, reviewer="dr-lee")
    store.add_review(other.key, score=0, reviewer="nurse-kim")

    first, second = store.reviews(answer.key)
    assert (first.attempt_key, first.score, first.comment, first.reviewer) == (
        answer.key, 1.5, "Mention BDNF too.", "dr-lee",
    )  # fmt: skip
    assert (second.score, second.comment) == (2.0, "")
    assert first.reviewed_at <= second.reviewed_at
    assert first.reviewed_at.utcoffset() == timedelta(0)
    assert [review.attempt_key for review in store.reviews()] == [answer.key, answer.key, other.key]
    assert store.reviews("no-such-key") == []
    assert store.attempts()[0].score is None  # attempts stay as answered


def test_a_review_score_outside_the_range_is_refused(store: ResultsStore) -> None:
    answer = attempt(question_type="free_text", score=None, correct=None, max_score=2)
    store.record(answer)
    for score in (-0.5, 2.01, 3):
        with pytest.raises(StoreError, match="between 0 and 2"):
            store.add_review(answer.key, score=score, reviewer="dr-lee")
    for score in (float("nan"), float("inf")):
        with pytest.raises(StoreError, match="must be a number"):
            store.add_review(answer.key, score=score, reviewer="dr-lee")
    with pytest.raises(StoreError, match="no answer with key 'missing'"):
        store.add_review("missing", score=1, reviewer="dr-lee")
    assert store.reviews() == []


def test_retakes_are_counted_per_learner_and_quiz(store: ResultsStore) -> None:
    store.record(attempt(learner="ann", quiz="final", mode="assessment"))
    assert store.retakes_allowed("ann", "final") == 0
    store.allow_retake("ann", "final", trainer="dr-lee")
    store.allow_retake("ann", "final", trainer="dr-lee")
    store.allow_retake("bob", "final", trainer="dr-lee")  # a learner not seen yet
    assert store.retakes_allowed("ann", "final") == 2
    assert store.retakes_allowed("bob", "final") == 1
    assert store.retakes_allowed("ann", "history") == 0
    assert "bob" in [learner.name for learner in store.learners()]


# -- schema versions ------------------------------------------------------------------------


def test_the_schema_version_is_stored(store: ResultsStore, store_url: str) -> None:
    assert store.schema_version() == SCHEMA_VERSION == 5
    engine = raw_engine(store_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_info")).scalars().all() == [SCHEMA_VERSION]
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert {"schema_info", "learners", "attempts", "reviews", "retakes", "sittings", "waivers", "audit", "settings", "due_dates", "certificates", "revocations", "recertifications"} <= tables


def test_a_database_from_a_newer_course_is_refused(store_url: str, tmp_path: Path) -> None:
    with ResultsStore(store_url, outbox=tmp_path / "old.jsonl") as current:
        current.record(attempt())
    engine = raw_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE schema_info SET version = {SCHEMA_VERSION + 1}"))
    engine.dispose()

    with ResultsStore(store_url, outbox=tmp_path / "outbox.jsonl") as older_code:
        message = rf"newer version of the course \(schema version {SCHEMA_VERSION + 1}; this version knows up to {SCHEMA_VERSION}\)"
        with pytest.raises(StoreError, match=message):
            older_code.attempts()
        with pytest.raises(StoreError, match="kept on this computer"):
            older_code.record(attempt(question="q2"))
        assert older_code.pending_outbox() == 1  # refused, but not lost


def test_a_version_0_database_is_migrated(store_url: str, tmp_path: Path) -> None:
    engine = raw_engine(store_url)
    with engine.begin() as conn:  # version 0: a schema_info saying 0 and someone else's table
        conn.execute(text("CREATE TABLE schema_info (version INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO schema_info (version) VALUES (0)"))
        conn.execute(text("CREATE TABLE notes (body TEXT)"))
        conn.execute(text("INSERT INTO notes (body) VALUES ('keep me')"))

    with ResultsStore(store_url, outbox=tmp_path / "outbox.jsonl") as migrated:
        assert migrated.schema_version() == SCHEMA_VERSION
        assert migrated.record(attempt()) is SaveOutcome.STORED
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_info")).scalars().all() == [SCHEMA_VERSION]
        assert conn.execute(text("SELECT body FROM notes")).scalars().all() == ["keep me"]
    engine.dispose()


def test_an_older_database_is_migrated_in_order_once(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = attempt()
    with ResultsStore(store_url, outbox=tmp_path / "outbox.jsonl") as version_1:
        version_1.record(kept)
    applied: list[int] = []

    def add_duration(conn: object) -> None:
        applied.append(2)
        conn.execute(text("ALTER TABLE attempts ADD COLUMN duration_ms INTEGER"))  # type: ignore[attr-defined]

    # patched where _migrate reads them (course.store.migrations)
    monkeypatch.setattr(store_module.migrations, "MIGRATIONS", [*store_module.MIGRATIONS, add_duration])
    monkeypatch.setattr(store_module.migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    for _ in range(2):
        with ResultsStore(store_url, outbox=tmp_path / "outbox.jsonl") as newer:
            assert newer.schema_version() == SCHEMA_VERSION + 1
            assert newer.attempts() == [kept]
    assert applied == [2]
    engine = raw_engine(store_url)
    with engine.connect() as conn:
        assert "duration_ms" in [column["name"] for column in inspect(conn).get_columns("attempts")]
    engine.dispose()


def test_a_failing_migration_changes_nothing(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ResultsStore(store_url, outbox=tmp_path / "outbox.jsonl") as version_1:
        version_1.record(attempt())

    def half_done(conn: object) -> None:
        conn.execute(text("ALTER TABLE attempts ADD COLUMN half_done INTEGER"))  # type: ignore[attr-defined]
        raise RuntimeError("migration 3 failed half-way")

    with monkeypatch.context() as patch:
        patch.setattr(store_module.migrations, "MIGRATIONS", [*store_module.MIGRATIONS, half_done])
        patch.setattr(store_module.migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
        with ResultsStore(store_url, outbox=tmp_path / "outbox.jsonl") as broken:
            with pytest.raises(RuntimeError, match="half-way"):
                broken.schema_version()

    with ResultsStore(store_url, outbox=tmp_path / "outbox.jsonl") as again:
        assert again.schema_version() == SCHEMA_VERSION
        assert len(again.attempts()) == 1
    engine = raw_engine(store_url)
    with engine.connect() as conn:
        assert "half_done" not in [column["name"] for column in inspect(conn).get_columns("attempts")]
    engine.dispose()


# -- outbox ---------------------------------------------------------------------------------


def test_an_unreachable_database_does_not_raise_on_construction(tmp_path: Path) -> None:
    blocked, _ = blocked_sqlite_url(tmp_path)
    closed_port = f"postgresql+psycopg://postgres@127.0.0.1:{pgserver.free_port()}/course"
    for url in (blocked, closed_port):
        with ResultsStore(url, outbox=tmp_path / "outbox.jsonl", busy_timeout=1) as unreachable:
            assert unreachable.record(attempt()) is SaveOutcome.QUEUED
            with pytest.raises(StoreError, match="cannot be"):
                unreachable.attempts()
    assert len(outbox.read(tmp_path / "outbox.jsonl")) == 2


def test_unreachable_sqlite_queues_then_sync_sends_each_once(tmp_path: Path) -> None:
    url, blocker = blocked_sqlite_url(tmp_path)
    store = ResultsStore(url, outbox=tmp_path / "outbox.jsonl")
    queued = [attempt(question=f"q{index}", answered_at=T0 + timedelta(seconds=index)) for index in range(5)]
    for item in queued:
        assert store.record(item) is SaveOutcome.QUEUED
    assert store.pending_outbox() == 5
    with pytest.raises(StoreError, match="still waiting"):
        store.sync()
    assert store.pending_outbox() == 5

    blocker.unlink()  # the database can be created now
    assert store.sync() == SyncResult(sent=5, remaining=0)
    assert store.sync() == SyncResult(sent=0, remaining=0)
    assert store.attempts() == queued
    assert not (tmp_path / "outbox.jsonl").exists()
    store.close()


def test_the_next_stored_answer_sends_the_outbox(tmp_path: Path) -> None:
    url, blocker = blocked_sqlite_url(tmp_path)
    store = ResultsStore(url, outbox=tmp_path / "outbox.jsonl")
    waiting = [attempt(question=f"q{index}", answered_at=T0 + timedelta(seconds=index)) for index in range(3)]
    for item in waiting:
        store.record(item)
    blocker.unlink()
    latest = attempt(question="q3", answered_at=T0 + timedelta(seconds=10))
    assert store.record(latest) is SaveOutcome.STORED
    assert store.pending_outbox() == 0
    assert store.attempts() == [*waiting, latest]
    store.close()


def test_an_outbox_entry_already_stored_is_not_stored_twice(store: ResultsStore) -> None:
    item = attempt()
    store.record(item)
    outbox.append(store.outbox, store_module._attempt_to_outbox(item))  # a sync cut short
    assert store.sync() == SyncResult(sent=1, remaining=0)
    assert store.attempts() == [item]


@pytest.mark.postgres
def test_postgres_down_queues_then_sync_sends_each_once(tmp_path: Path) -> None:
    server = pgserver.start_or_skip()
    store = ResultsStore(server.url, outbox=tmp_path / "outbox.jsonl", busy_timeout=2)
    try:
        first = attempt(question="q0", answered_at=T0)
        assert store.record(first) is SaveOutcome.STORED  # a pooled connection now exists
        server.stop()
        queued = [attempt(question=f"q{index}", answered_at=T0 + timedelta(seconds=index)) for index in range(1, 4)]
        for item in queued:
            assert store.record(item) is SaveOutcome.QUEUED
        assert store.pending_outbox() == 3
        with pytest.raises(StoreError):
            store.attempts()

        server.start()
        assert store.sync() == SyncResult(sent=3, remaining=0)
        assert store.sync() == SyncResult(sent=0, remaining=0)
        assert store.attempts() == [first, *queued]
    finally:
        store.close()
        server.remove()


def test_a_corrupt_trailing_outbox_line_is_kept_aside(store: ResultsStore, tmp_path: Path) -> None:
    url, _ = blocked_sqlite_url(tmp_path)
    offline = ResultsStore(url, outbox=store.outbox)  # a kernel that could not reach the database
    before = [attempt(question=f"q{index}", answered_at=T0 + timedelta(seconds=index)) for index in range(2)]
    for item in before:
        assert offline.record(item) is SaveOutcome.QUEUED
    with open(store.outbox, "ab") as file:
        file.write(b'{"key": "6f1c", "learner": "ann", "resp')  # a writer killed mid-line
    after = attempt(question="q9", answered_at=T0 + timedelta(seconds=9))
    assert offline.record(after) is SaveOutcome.QUEUED  # appended on a line of its own

    assert store.pending_outbox() == 3
    corrupt = outbox.corrupt_path(store.outbox).read_text()
    assert corrupt == '{"key": "6f1c", "learner": "ann", "resp\n'
    assert store.sync() == SyncResult(sent=3, remaining=0)
    assert store.attempts() == [*before, after]
    assert outbox.corrupt_path(store.outbox).read_text() == corrupt


def test_an_unsendable_outbox_entry_is_set_aside(store: ResultsStore) -> None:
    good = attempt()
    outbox.append(store.outbox, {"key": "k1", "learner": "ann"})  # not an attempt
    outbox.append(store.outbox, store_module._attempt_to_outbox(good))
    assert store.sync() == SyncResult(sent=1, remaining=0)
    assert store.attempts() == [good]
    assert '"k1"' in outbox.corrupt_path(store.outbox).read_text()


def test_outbox_file_operations(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "outbox.jsonl"
    assert outbox.read(path) == []
    assert outbox.remove(path, {"a"}) == 0
    for key in ("a", "b", "c", "b"):
        outbox.append(path, {"key": key, "response": ["é", 1]})
    assert [record["key"] for record in outbox.read(path)] == ["a", "b", "c", "b"]
    assert outbox.remove(path, {"b", "zzz"}) == 2
    assert outbox.read(path) == [{"key": "a", "response": ["é", 1]}, {"key": "c", "response": ["é", 1]}]
    assert outbox.set_aside(path, {"c"}) == 1
    assert outbox.remove(path, {"a"}) == 1
    assert not path.exists()
    with pytest.raises(ValueError, match="key"):
        outbox.append(path, {"learner": "ann"})


# -- SQLite locking -------------------------------------------------------------------------


def test_a_locked_sqlite_database_queues_then_sync_stores_once(sqlite_url: str, tmp_path: Path) -> None:
    store = ResultsStore(sqlite_url, outbox=tmp_path / "outbox.jsonl", busy_timeout=0.2)
    store.record(attempt(question="q0", answered_at=T0))
    holder = sqlite3.connect(sqlite_file(sqlite_url), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked_out = [attempt(question=f"q{index}", answered_at=T0 + timedelta(seconds=index)) for index in (1, 2)]
        for item in locked_out:
            started = time.perf_counter()
            assert store.record(item) is SaveOutcome.QUEUED
            assert 0.15 < time.perf_counter() - started < 3
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.sync() == SyncResult(sent=2, remaining=0)
    assert store.sync() == SyncResult(sent=0, remaining=0)
    assert [item.question for item in store.attempts()] == ["q0", "q1", "q2"]
    store.close()


def test_a_writer_waits_for_a_short_lock_instead_of_failing(sqlite_url: str, tmp_path: Path) -> None:
    store = ResultsStore(sqlite_url, outbox=tmp_path / "outbox.jsonl", busy_timeout=5)
    store.record(attempt(question="q0"))
    holder = sqlite3.connect(sqlite_file(sqlite_url), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    started = time.perf_counter()
    assert store.record(attempt(question="q1")) is SaveOutcome.STORED
    assert time.perf_counter() - started >= 0.25
    release.join()
    holder.close()
    assert store.pending_outbox() == 0
    assert len(store.attempts()) == 2
    store.close()


def test_sqlite_runs_in_wal_mode_with_full_sync(sqlite_url: str, tmp_path: Path) -> None:
    with ResultsStore(sqlite_url, outbox=tmp_path / "outbox.jsonl", busy_timeout=1.5) as store:
        store.record(attempt())
        with store._engine.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 2  # FULL
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 1500


# -- housekeeping ---------------------------------------------------------------------------


def test_integrity_check(store: ResultsStore, tmp_path: Path) -> None:
    store.record(attempt())
    assert store.integrity_check() is True
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database file\n" * 200)
    with ResultsStore(f"sqlite:///{garbage}", outbox=tmp_path / "g.jsonl") as broken:
        assert broken.integrity_check() is False


def test_default_locations_come_from_the_course_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    with ResultsStore() as store:
        assert store.record(attempt()) is SaveOutcome.STORED
        assert store.outbox == tmp_path / "var" / "outbox.jsonl"
    assert (tmp_path / "var" / "results.sqlite").exists()
