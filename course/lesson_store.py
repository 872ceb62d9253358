"""The results store as a lesson kernel uses it: what a page reads, read without SQLAlchemy.

A lesson's page reads before the learner does anything: the earlier answers of its quiz, the
learner's role, their progress. Through :class:`course.store.ResultsStore` each lesson kernel
imported SQLAlchemy for that (0.2-0.3 s of the first question, and more when the kernel ends;
issue 13). :class:`LessonStore` answers those reads from the SQLite file with Python's own
``sqlite3``, read-only, and opens the real store only for anything else: the first answer stored,
a sitting opened, a database not of a schema version these reads were checked against, any error
at all (the real store then says what is wrong, as before). Once the real store is open, every
call goes to it. A database file not there yet holds nothing: it is read as empty, and made by the
real store at the first write, as long as its folder could be made (else the real store is asked,
and says why not).

Each read returns exactly what the same :class:`~course.store.ResultsStore` method returns
(``tests/test_lesson_store.py`` compares them on a store holding every kind of record). Only a
SQLite file URL is read this way; other databases get the real store from :func:`open_store`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

from course.records import Attempt, DueDate, Review, Sitting, Waiver

if TYPE_CHECKING:
    from course.store import ResultsStore

SCHEMA_VERSIONS = frozenset({4, 5})
"""The schema versions (``course.store.SCHEMA_VERSION``) whose tables these reads were checked
against (5 only added the log of changes to answers); a database of any other version is read
through the real store, which migrates it or refuses it. A test fails while the store's current
version is not here: a new version's tables must be checked against these reads first."""
BUSY_TIMEOUT = 5.0
"""Seconds to wait for a writer (the real store's own default)."""

_ATTEMPT_COLUMNS = "learner, quiz, question, question_type, bank_version, mode, response, score, max_score, correct, key, submission, answered_at"


def sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///`` URL, else None (a URL with options, memory, another driver)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    database = url[len(prefix) :]
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def open_store(url: str) -> LessonStore | ResultsStore:
    """The store for a lesson kernel: a :class:`LessonStore` on a SQLite file, else the real one."""
    if sqlite_file(url) is not None:
        return LessonStore(url)
    from course.store import ResultsStore

    return ResultsStore(url)


def _could_be_made(database: Path) -> bool:
    """Whether the real store could make this database file: its nearest existing folder is a
    folder this user may write in (a file in the way, or a folder not ours, is the real store's to
    report)."""
    folder = database.parent
    while not folder.exists():
        if folder.parent == folder:
            return False
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _utc(value: Any) -> datetime | None:
    """A timestamp as SQLAlchemy's SQLite DateTime stores it, timezone-aware in UTC (as the store returns it)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _attempt(row: tuple[Any, ...]) -> Attempt:
    learner, quiz, question, question_type, bank_version, mode, response, score, max_score, correct, key, submission, answered_at = row
    return Attempt(
        learner=learner, quiz=quiz, question=question, question_type=question_type, bank_version=bank_version, mode=mode,
        response=json.loads(response), score=None if score is None else float(score), max_score=float(max_score),
        correct=None if correct is None else bool(correct), key=key, submission=submission, answered_at=_utc(answered_at),
    )  # fmt: skip


class LessonStore:
    """A lesson kernel's results store: reads by ``sqlite3``; everything else by the real store, opened at first need."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._file = sqlite_file(url)
        self._store: ResultsStore | None = None

    @property
    def store(self) -> ResultsStore:
        """The real store (SQLAlchemy loads here), opened once."""
        if self._store is None:
            from course.store import ResultsStore

            self._store = ResultsStore(self.url)
        return self._store

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.store, name)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    # --- the reads ------------------------------------------------------------------------------

    def _read(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]] | None:
        """The rows of a query, or None when the real store must answer instead."""
        if self._store is not None or self._file is None:
            return None
        if not self._file.exists():
            # Nothing stored yet: the real store would make an empty database only to read nothing
            # from it. It makes it at the first write; unless it could not (say so then, as before).
            return [] if _could_be_made(self._file) else None
        try:
            connection = sqlite3.connect(f"file:{quote(str(self._file))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT)
        except sqlite3.Error:
            return None
        try:
            version = connection.execute("SELECT max(version) FROM schema_info").fetchone()
            if version is None or version[0] not in SCHEMA_VERSIONS:
                return None
            return connection.execute(sql, parameters).fetchall()
        except sqlite3.Error:
            return None
        finally:
            connection.close()

    def attempts(self, *, learner: str | None = None, quiz: str | None = None) -> list[Attempt]:
        """The attempts, oldest first, of one learner and/or one quiz if given."""
        where, parameters = [], []
        if learner is not None:
            where.append("learner = ?")
            parameters.append(learner)
        if quiz is not None:
            where.append("quiz = ?")
            parameters.append(quiz)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._read(f"SELECT {_ATTEMPT_COLUMNS} FROM attempts{clause} ORDER BY answered_at, id", tuple(parameters))
        if rows is None:
            return self.store.attempts(learner=learner, quiz=quiz)
        return [_attempt(row) for row in rows]

    def attempt(self, key: str) -> Attempt | None:
        """The attempt stored under ``key``, or None."""
        rows = self._read(f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE key = ?", (key,))
        if rows is None:
            return self.store.attempt(key)
        return _attempt(rows[0]) if rows else None

    def latest(self, learner: str, quiz: str) -> dict[str, Attempt]:
        """The learner's latest attempt at each question of the quiz, by question id."""
        return {attempt.question: attempt for attempt in self.attempts(learner=learner, quiz=quiz)}

    def _learner_field(self, name: str, column: str) -> tuple[bool, str | None]:
        rows = self._read(f"SELECT {column} FROM learners WHERE name = ?", (name,))
        if rows is None:
            return False, None
        return True, (rows[0][0] if rows else None)

    def role(self, name: str) -> str | None:
        """The learner's role, or None if not given yet or no such learner."""
        found, role = self._learner_field(name, "role")
        return role if found else self.store.role(name)

    def cohort(self, name: str) -> str | None:
        """The learner's cohort, or None if in none or no such learner."""
        found, cohort = self._learner_field(name, "cohort")
        return cohort if found else self.store.cohort(name)

    def reviews(self, attempt_key: str | None = None) -> list[Review]:
        """The reviews, oldest first, of one attempt if given."""
        where, parameters = ("", ()) if attempt_key is None else (" WHERE attempt_key = ?", (attempt_key,))
        rows = self._read(f"SELECT attempt_key, score, comment, reviewer, reviewed_at FROM reviews{where} ORDER BY reviewed_at, id", parameters)
        if rows is None:
            return self.store.reviews(attempt_key)
        return [Review(key, float(score), comment, reviewer, _utc(at)) for key, score, comment, reviewer, at in rows]

    def _count(self, table: str, learner: str, quiz: str) -> int | None:
        rows = self._read(f"SELECT count(*) FROM {table} WHERE learner = ? AND quiz = ?", (learner, quiz))
        return None if rows is None else int(rows[0][0]) if rows else 0

    def retakes_allowed(self, learner: str, quiz: str) -> int:
        """How many retakes of the quiz the learner has been granted."""
        found = self._count("retakes", learner, quiz)
        return self.store.retakes_allowed(learner, quiz) if found is None else found

    def recertifications(self, learner: str, quiz: str) -> int:
        """How many recertification sittings of ``quiz`` the learner has had."""
        found = self._count("recertifications", learner, quiz)
        return self.store.recertifications(learner, quiz) if found is None else found

    def sittings(self, learner: str, quiz: str) -> list[Sitting]:
        """The learner's sittings of ``quiz``, oldest first."""
        rows = self._read("SELECT id, learner, quiz, number, questions, opened_at, submitted_at FROM sittings WHERE learner = ? AND quiz = ? ORDER BY number", (learner, quiz))
        if rows is None:
            return self.store.sittings(learner, quiz)
        return [Sitting(i, who, q, number, tuple(json.loads(questions)), _utc(opened), _utc(submitted)) for i, who, q, number, questions, opened, submitted in rows]

    def waivers(self, learner: str, quiz: str | None = None) -> list[Waiver]:
        """The waivers granted to a learner (for one quiz if given), oldest first."""
        where, parameters = (" AND quiz = ?", (learner, quiz)) if quiz is not None else ("", (learner,))
        rows = self._read(f"SELECT learner, quiz, granted_by, granted_at, reason FROM waivers WHERE learner = ?{where} ORDER BY id", parameters)
        if rows is None:
            return self.store.waivers(learner, quiz)
        return [Waiver(who, q, by, _utc(at), reason) for who, q, by, at, reason in rows]

    def settings(self) -> dict[str, Any]:
        """The course settings a trainer stored, by name."""
        rows = self._read("SELECT name, value FROM settings")
        if rows is None:
            return self.store.settings()
        return {name: json.loads(value) for name, value in rows}

    def due_dates(self, cohort: str | None = None) -> list[DueDate]:
        """The cohorts' due dates (of one cohort if given), by cohort and quiz."""
        where, parameters = ("", ()) if cohort is None else (" WHERE cohort = ?", (cohort,))
        rows = self._read(f"SELECT cohort, quiz, due_at, set_by, set_at FROM due_dates{where} ORDER BY cohort, quiz", parameters)
        if rows is None:
            return self.store.due_dates(cohort)
        return [DueDate(c, q, _utc(due), by, _utc(at)) for c, q, due, by, at in rows]
