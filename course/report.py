"""The trainer's report: what the learners did, from the results store and the question banks.

Two layers, so that the figures can be checked on a known data set and timed part by part:

1. :func:`load` is the only function that reads the database. It returns a :class:`Data`: one
   row per stored attempt (ids as pandas categoricals, times as UTC timestamps, each free-text
   answer with its latest review) and every learner the filters admit, including learners who
   have not answered anything yet.
2. Every other function is a pure computation on a :class:`Data` and a
   :class:`~course.bank.Course`, returning a :class:`pandas.DataFrame`. Each takes as its first
   argument either a :class:`~course.store.ResultsStore` (it then loads what it needs) or a
   :class:`Data` (it then reads nothing; ``filters``, if given, are applied in memory by
   :func:`restrict`). Load once and compute many tables, as :func:`build` and a dashboard do.

The tables (columns are listed in each function's docstring):

- :func:`answers`: one row per attempt.
- :func:`learner_quizzes`: one row per learner and course quiz (status, first and best percent).
- :func:`learner_summary`: one row per learner; :func:`progress_matrix`: learners x lessons;
  :func:`cohort_summary`: one row per cohort.
- :func:`item_analysis` and :func:`distractors`: how each question and option performed on
  first attempts (Moodle's facility index and discrimination).
- :func:`regrade`: stored responses whose score the current bank no longer gives.
- :func:`review_queue` and :func:`record_review`: free-text answers waiting for a trainer.

Definitions shared by the tables:

- Order: attempts are ordered by ``answered_at``, ties by the order they were stored in.
- A *sitting* is the attempts sharing a ``submission`` id (an assessment submitted at once).
- *First attempt*: a learner's earliest attempt at a question of a quiz; for a quiz answered in
  sittings (an assessment), the answers of the learner's first sitting.
- *Effective score*: a free-text answer's latest review score once reviewed (NaN while it waits),
  the stored score for every other answer. A pending free-text answer is never counted as 0.
- Lessons follow :mod:`course.progress`, so that the trainer sees what the learner sees: a
  practice lesson is *started* once one of its bank's questions is answered and *done* once
  every question of the bank has been answered at least once; its percent is the first-try
  score over the bank's gradable questions (unanswered ones count 0). An assessment's result is
  its last sitting, scored as :func:`course.progress.final_result` scores it: the percent leaves
  pending free text out (as :func:`course.grading.score_quiz` does); the sitting is passed when
  the percent reaches the pass mark, no critical question was missed (answered less than fully
  right, or still pending) and no answer waits for a review; otherwise it is "failed" (the
  progress view's "not passed"). One difference: a reviewed free-text answer counts here with
  its review score, while the progress view, which reads no reviews, still counts it pending.
- Filters: ``since <= answered_at < until``; a cohort or learner filter also restricts the
  learners listed; a quiz filter restricts the quizzes (lessons) listed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Union

import numpy as np
import pandas as pd
from sqlalchemy import Integer, String, case, type_coerce
from sqlalchemy import select as sql_select
from sqlalchemy import exc as sa_exc

from course.bank import QUESTION_TYPES, Bank, Course, MultipleChoice, Question, SingleChoice, TrueFalse
from course.grading import UngradableResponse, grade
from course.store import ResultsStore, StoreError
from course.store import attempts as attempts_table
from course.store import learners as learners_table
from course.store import reviews as reviews_table

# --- thresholds (item analysis, as in Moodle's quiz statistics report) ---------------------------

TOO_EASY = 0.9
"""Facility index above which a question is flagged "too easy"."""
TOO_HARD = 0.2
"""Facility index below which a question is flagged "too hard"."""
NEGATIVE_DISCRIMINATION = 0.0
"""Discrimination below which a question is flagged "negative discrimination"."""
MIN_ANSWERS = 5
"""Fewer learners than this (but some) on a question: it is flagged only "few answers" (figures too noisy).
A question nobody has answered (n = 0) has no figures and no flag."""
MIN_FOR_DISCRIMINATION = 3
"""Fewer learners than this on a question: its discrimination is NaN."""
TOLERANCE = 1e-9
"""Two scores closer than this are equal (re-grading; reaching a pass mark; full marks)."""
FINAL_ASSESSMENT = "final_assessment"
"""The quiz id of the final assessment; without it, the last assessment bank in lesson order."""

PRACTICE_STATUSES = ("not started", "in progress", "done")
ASSESSMENT_STATUSES = ("not taken", "passed", "awaiting review", "failed")
"""An assessment's last sitting: "awaiting review" while a written answer waits for a trainer's
score and full marks on it would pass (no critical question missed), as course.progress says."""
STATUSES = PRACTICE_STATUSES + ASSESSMENT_STATUSES
"""The categories of a lesson's ``status`` (progress matrix cells)."""
CHOICE_TYPES = ("single_choice", "multiple_choice", "true_false")

CORE_COLUMNS = (
    "learner", "cohort", "quiz", "question", "question_type", "score", "max_score", "correct",
    "answered_at", "submission", "review_score", "reviewer", "review_comment", "effective_score",
)
"""The columns of ``Data.attempts`` (:func:`load`), in order; then :data:`DETAIL_COLUMNS` if read."""
DETAIL_COLUMNS = ("key", "mode", "response", "bank_version")
"""Columns :func:`load` reads only with ``detail=True`` (answers, distractors, regrade, review queue)."""
ANSWER_COLUMNS = (
    "learner", "cohort", "quiz", "lesson", "question", "question_type", "mode", "response", "score",
    "max_score", "correct", "answered_at", "submission", "key", "bank_version", "review_score",
    "reviewer", "review_comment", "effective_score",
)
_CHUNK = 65_536
_NAT = np.iinfo(np.int64).min  # NaT as int64 ns
_SEP = ", "


# --- what to read ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which answers and learners a report covers; every field is optional (None: all).

    ``since`` and ``until`` are timezone-aware datetimes on ``answered_at``:
    ``since <= answered_at < until``. ``cohort`` and ``learner`` restrict the learners listed
    (and their answers); ``quiz`` restricts the answers and the quizzes listed.
    """

    cohort: str | None = None
    learner: str | None = None
    quiz: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
                raise ValueError(f"Filters.{name} must be a timezone-aware datetime, not {value!r}")


@dataclass(frozen=True)
class Data:
    """What :func:`load` read: the input of every computation.

    ``attempts``: one row per attempt, in answer order, with the columns of :func:`answers`
    except ``lesson`` (and without :data:`DETAIL_COLUMNS` unless ``detail``).
    ``learners``: columns ``learner``, ``cohort``; one row per learner the filters admit, by
    name, answers or not; its names are also the categories of ``attempts.learner``.
    """

    attempts: pd.DataFrame
    learners: pd.DataFrame
    filters: Filters = field(default_factory=Filters)
    detail: bool = True


Source = Union[ResultsStore, Data]


def load(store: ResultsStore, filters: Filters | None = None, *, detail: bool = True) -> Data:
    """Read the attempts, learners and reviews the filters admit, in one read transaction.

    ``detail=False`` leaves out :data:`DETAIL_COLUMNS` (key, mode, response, bank_version), which
    the progress, summary and item-analysis tables do not need: on a million answers it reads in
    about 60% of the time (see benchmarks/report_scale.py).
    Raises :class:`~course.store.StoreError` when the database cannot be read.
    """
    return _load(store, filters or Filters(), detail=detail)


class NothingMatches(ValueError):
    """The filters select nothing: a learner, cohort or quiz that is not there, or no answer in
    the dates asked. A table would show everyone as "not taken", so that a typo looks like data."""


def check_matches(data: Data, course: Course) -> None:
    """Raise :class:`NothingMatches` when ``data``'s filters match nothing (see there).

    Filters that match, but whose learners have no answers yet, are real data ("not taken")
    and pass. ``data`` is what :func:`load` read with those filters.
    """
    f = data.filters
    if (f.learner is not None or f.cohort is not None) and data.learners.empty:
        if f.learner is not None and f.cohort is not None:
            raise NothingMatches(f"no learner named {f.learner!r} in cohort {f.cohort!r}")
        if f.learner is not None:
            raise NothingMatches(f"there is no learner named {f.learner!r}")
        raise NothingMatches(f"there is no learner in cohort {f.cohort!r}")
    if f.quiz is not None and f.quiz not in course.banks and data.attempts.empty:
        raise NothingMatches(f"there is no quiz {f.quiz!r}; the quizzes are: {', '.join(sorted(course.banks))}")
    if (f.since is not None or f.until is not None) and data.attempts.empty:
        raise NothingMatches(f"no answers were given {window(f.since, f.until)}")


def window(since: datetime | None, until: datetime | None) -> str:
    """Dates in words: 'since 2026-11-01', 'before …', 'from … until …' (with the time when it is not midnight)."""

    def day(when: datetime) -> str:
        return when.strftime("%Y-%m-%d %H:%M %Z") if (when.hour, when.minute) != (0, 0) else when.strftime("%Y-%m-%d")

    if since is not None and until is not None:
        return f"from {day(since)} until {day(until)}"
    return f"since {day(since)}" if since is not None else f"before {day(until)}" if until is not None else "at any time"


def restrict(data: Data, filters: Filters | None) -> Data:
    """The part of already loaded data that ``filters`` admit (no database access)."""
    if filters is None or filters == Filters():
        return data
    a, people = data.attempts, data.learners
    keep = np.ones(len(a), dtype=bool)
    if filters.cohort is not None:
        keep &= (a["cohort"] == filters.cohort).to_numpy()
        people = people[people["cohort"] == filters.cohort]
    if filters.learner is not None:
        keep &= (a["learner"] == filters.learner).to_numpy()
        people = people[people["learner"] == filters.learner]
    if filters.quiz is not None:
        keep &= (a["quiz"] == filters.quiz).to_numpy()
    if filters.since is not None:
        keep &= (a["answered_at"] >= pd.Timestamp(filters.since)).to_numpy()
    if filters.until is not None:
        keep &= (a["answered_at"] < pd.Timestamp(filters.until)).to_numpy()
    a = a[keep].reset_index(drop=True)
    names = list(people["learner"])
    a["learner"] = a["learner"].cat.set_categories(names)
    merged = Filters(
        **{
            name: getattr(filters, name) if getattr(filters, name) is not None else getattr(data.filters, name)
            for name in ("cohort", "learner", "quiz", "since", "until")
        }
    )
    return Data(a, people.reset_index(drop=True), merged, data.detail)


# --- reading the store ----------------------------------------------------------------------------


def _load(store: ResultsStore, filters: Filters, *, detail: bool, key: str | None = None) -> Data:
    if hasattr(store, "load_data"):  # the course service's records (course.remote_store): it reads the database
        return store.load_data(filters, detail=detail, key=key)
    from course import columnar  # Arrow columns by ADBC: see there for why

    try:
        store.schema_version()  # opens (and migrates) the database; StoreError if unreachable
        url = store.engine.url
        frame, people, latest = columnar.read(url, filters, detail=detail, key=key, cache=columnar.cache_path(url))  # one read transaction
    except StoreError:
        raise
    except (columnar.ReadError, sa_exc.SQLAlchemyError, OSError) as error:
        reason = getattr(error, "orig", None) or error
        raise StoreError(f"The results database cannot be read ({str(reason).strip().splitlines()[0]}).") from error
    return _assemble(frame, people, latest, filters, detail)


def _read_learners(conn: Any, filters: Filters) -> pd.DataFrame:
    t = learners_table
    query = sql_select(t.c.name, t.c.cohort, t.c.role).order_by(t.c.name)
    if filters.cohort is not None:
        query = query.where(t.c.cohort == filters.cohort)
    if filters.learner is not None:
        query = query.where(t.c.name == filters.learner)
    rows = conn.execute(query).all()
    return pd.DataFrame({"learner": [r[0] for r in rows], "cohort": [r[1] for r in rows], "role": [r[2] for r in rows]}, dtype=object)


def _read_attempts(conn: Any, filters: Filters, *, detail: bool, key: str | None) -> dict[str, Any]:
    """The attempts as columns (numpy arrays and categoricals), read in chunks by one SELECT.

    The rows are converted chunk by chunk (ids factorised into categorical codes at once), so a
    million attempts never sit in memory as Python tuples. ``answered_at`` and ``correct`` are
    read as the driver returns them (SQLite: text and 0/1) and converted in bulk.
    """
    a = attempts_table
    sqlite = conn.dialect.name == "sqlite"
    answered_at = type_coerce(a.c.answered_at, String) if sqlite else a.c.answered_at
    correct = type_coerce(a.c.correct, Integer) if sqlite else a.c.correct
    review_key = a.c.key if detail else case((a.c.question_type == "free_text", a.c.key), else_=None)
    # the question types the course knows come back as small ints (no string to build per row)
    question_type = (
        case(*((a.c.question_type == t, i) for i, t in enumerate(QUESTION_TYPES)), else_=a.c.question_type)
        if sqlite  # (SQLite lets a CASE mix ints and text)
        else a.c.question_type
    )
    columns = [a.c.learner, a.c.quiz, a.c.question, question_type, a.c.score, a.c.max_score, correct, a.c.submission, answered_at, review_key]
    if detail:
        columns += [a.c.mode, a.c.response, a.c.bank_version]
    query = sql_select(*columns).order_by(a.c.id)
    if filters.cohort is not None:
        query = query.where(a.c.learner.in_(sql_select(learners_table.c.name).where(learners_table.c.cohort == filters.cohort)))
    if filters.learner is not None:
        query = query.where(a.c.learner == filters.learner)
    if filters.quiz is not None:
        query = query.where(a.c.quiz == filters.quiz)
    if filters.since is not None:
        query = query.where(a.c.answered_at >= filters.since)
    if filters.until is not None:
        query = query.where(a.c.answered_at < filters.until)
    if key is not None:
        query = query.where(a.c.key == key)

    names = ["learner", "quiz", "question", "question_type", "submission", "mode", "response", "bank_version"]
    cats = {name: _Categories() for name in names}
    numbers: dict[str, list[np.ndarray]] = {"score": [], "max_score": [], "correct": [], "answered_at": []}
    keys: list[np.ndarray] = []
    cursor = conn.execute(query).cursor  # the DB-API cursor: plain tuples, no per-row processing
    while True:
        rows = cursor.fetchmany(_CHUNK)
        if not rows:
            break
        block = np.array(rows, dtype=object)  # (rows, columns), faster than transposing tuples
        del rows
        for name, index in (("learner", 0), ("quiz", 1), ("question", 2), ("submission", 7)):
            cats[name].add(block[:, index])
        cats["question_type"].add(block[:, 3], decode=_question_type)
        if detail:
            for name, index in (("mode", 10), ("response", 11), ("bank_version", 12)):
                cats[name].add(block[:, index])
        numbers["score"].append(block[:, 4].astype(float))
        numbers["max_score"].append(block[:, 5].astype(float))
        numbers["correct"].append(block[:, 6].astype(float))
        numbers["answered_at"].append(_timestamps(block[:, 8]))
        keys.append(block[:, 9].copy())
    frame: dict[str, Any] = {name: c.categorical() for name, c in cats.items() if detail or name in names[:5]}
    for name, parts in numbers.items():
        frame[name] = np.concatenate(parts) if parts else np.array([], dtype="int64" if name == "answered_at" else float)
    frame["key"] = np.concatenate(keys) if keys else np.array([], dtype=object)
    return frame


class _Categories:
    """Builds one categorical column from chunks of values (None: missing)."""

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}
        self.codes: list[np.ndarray] = []

    def add(self, values: np.ndarray, decode: Any = None) -> None:
        codes, uniques = pd.factorize(values)
        if decode is not None:
            uniques = [decode(u) for u in uniques]
        mapping = np.fromiter((self.index.setdefault(u, len(self.index)) for u in uniques), dtype=np.int64, count=len(uniques))
        self.codes.append(np.append(mapping, -1)[codes])

    def categorical(self) -> pd.Categorical:
        values = list(self.index)
        order = sorted(range(len(values)), key=values.__getitem__)
        remap = np.empty(len(values) + 1, dtype=np.int64)
        remap[order] = np.arange(len(values))
        remap[-1] = -1
        codes = remap[np.concatenate(self.codes)] if self.codes else np.array([], dtype=np.int64)
        return pd.Categorical.from_codes(codes, categories=pd.Index([values[i] for i in order], dtype=object))


def _question_type(value: Any) -> str:
    return QUESTION_TYPES[value] if isinstance(value, int) else value


def _timestamps(values: np.ndarray) -> np.ndarray:
    """Stored times (SQLite: UTC text; PostgreSQL: aware datetimes) as int64 ns since the epoch, UTC."""
    if len(values) and isinstance(values[0], str):
        parsed = pd.to_datetime(values, format="ISO8601", utc=True)
    else:
        parsed = pd.to_datetime(values, utc=True)
    return parsed.as_unit("ns").asi8


def _read_reviews(conn: Any) -> pd.DataFrame:
    """The latest review of each reviewed attempt (by reviewed_at, then id)."""
    r = reviews_table
    query = sql_select(r.c.attempt_key, r.c.score, r.c.reviewer, r.c.comment).order_by(r.c.reviewed_at, r.c.id)
    rows = conn.execute(query).cursor.fetchall()  # plain tuples
    frame = pd.DataFrame(rows, columns=["key", "score", "reviewer", "comment"], dtype=object)
    frame["score"] = frame["score"].astype(float)
    return frame.drop_duplicates("key", keep="last").set_index("key")


def _assemble(frame: dict[str, Any], people: pd.DataFrame, latest: pd.DataFrame, filters: Filters, detail: bool) -> Data:
    learner = frame["learner"]
    names = sorted(set(people["learner"]) | set(learner.categories))
    if len(names) != len(people):  # a learner with answers but not in the learners table
        known = dict(zip(people["learner"], people["cohort"]))
        roles = dict(zip(people["learner"], people["role"])) if "role" in people else {}
        people = pd.DataFrame({"learner": names, "cohort": [known.get(n) for n in names], "role": [roles.get(n) for n in names]}, dtype=object)
    learner = learner.set_categories(pd.Index(names, dtype=object))
    codes = learner.codes.astype(np.int64)
    cohort_codes, cohorts = pd.factorize(people["cohort"].to_numpy(dtype=object), sort=True)
    cohort = pd.Categorical.from_codes(np.append(cohort_codes, -1)[codes], categories=pd.Index(cohorts, dtype=object))
    n = len(codes)
    review_score = np.full(n, np.nan)
    reviewer_codes = np.full(n, -1, dtype=np.int64)
    comment = np.empty(n, dtype=object)  # (None throughout)
    free = np.asarray(frame["question_type"] == "free_text", dtype=bool) if n else np.zeros(0, dtype=bool)
    reviewer_names = pd.Index(sorted(set(latest["reviewer"])), dtype=object)
    if free.any() and len(latest):
        rows = np.flatnonzero(free)
        found = _find_keys(frame["key"], rows, latest.index)
        hit = found >= 0
        rows, found = rows[hit], found[hit]
        review_score[rows] = latest["score"].to_numpy(dtype=float)[found]
        reviewer_codes[rows] = reviewer_names.get_indexer(latest["reviewer"].to_numpy(dtype=object)[found])
        comment[rows] = latest["comment"].to_numpy(dtype=object)[found]
    score = _own(frame["score"])
    columns: dict[str, Any] = {
        "learner": learner,
        "cohort": cohort,
        "quiz": frame["quiz"],
        "question": frame["question"],
        "question_type": frame["question_type"],
        "score": score,
        "max_score": _own(frame["max_score"]),
        "correct": pd.arrays.BooleanArray(frame["correct"] == 1, np.isnan(frame["correct"])),
        "answered_at": pd.to_datetime(_own(frame["answered_at"]).view("datetime64[ns]"), utc=True),
        "submission": frame["submission"],
        "review_score": review_score,
        "reviewer": pd.Categorical.from_codes(reviewer_codes, categories=reviewer_names),
        "review_comment": pd.Series(comment, dtype=object),
        "effective_score": np.where(free, review_score, score),
    }
    if detail:
        columns.update(
            key=pd.Series(frame["key"], dtype=object), mode=frame["mode"], response=frame["response"], bank_version=frame["bank_version"]
        )
    attempts = pd.DataFrame(columns, copy=False)  # every column is an array of its own (see _own): not copied again
    stamps = frame["answered_at"]
    if n > 1 and (stamps[1:] < stamps[:-1]).any():  # read in id order; the report's order is answered_at, then id
        attempts = attempts.iloc[np.argsort(stamps, kind="stable")].reset_index(drop=True)
    return Data(attempts, people.reset_index(drop=True), filters, detail)


def _own(values: np.ndarray) -> np.ndarray:
    """``values``, or a copy when they are read-only (Arrow's buffers, the memory-mapped cache):
    a frame's columns must take writes."""
    return values if values.flags.writeable else values.copy()


def _find_keys(keys: Any, rows: np.ndarray, index: pd.Index) -> np.ndarray:
    """Where each of ``keys[rows]`` is in ``index`` (-1: not there), matched by Arrow in C++.

    ``keys``: Python strings (numpy) or an Arrow string array (the columnar reader's progress
    columns: only free text's keys are read, and never made Python strings).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted = keys.take(pa.array(rows)) if isinstance(keys, (pa.Array, pa.ChunkedArray)) else pa.array(keys[rows], type=pa.string())
    known = pa.array(index.to_numpy(dtype=object), type=pa.string())
    return pc.index_in(wanted, value_set=known).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


# --- helpers --------------------------------------------------------------------------------------


def _data(source: Source, filters: Filters | None, *, detail: bool, what: str) -> Data:
    if isinstance(source, Data):
        if detail and not source.detail:
            raise ValueError(f"{what} needs the answers' {', '.join(DETAIL_COLUMNS)}: load(store, detail=True)")
        return restrict(source, filters)
    if isinstance(source, ResultsStore) or hasattr(source, "load_data"):
        return _load(source, filters or Filters(), detail=detail)
    raise TypeError(f"{what} takes a ResultsStore or the Data from load(), not {type(source).__name__}")


def _banks(course: Course, filters: Filters) -> list[Bank]:
    """The course's banks in lesson order (as course.progress lists them), or the filtered quiz."""
    banks = sorted(course.banks.values(), key=lambda b: b.lesson)
    if filters.quiz is not None:
        banks = [b for b in banks if b.quiz == filters.quiz]
    return banks


def _final_bank(course: Course) -> Bank | None:
    bank = course.banks.get(FINAL_ASSESSMENT)
    if bank is not None and bank.mode == "assessment":
        return bank
    assessments = [b for b in sorted(course.banks.values(), key=lambda b: b.lesson) if b.mode == "assessment"]
    return assessments[-1] if assessments else None


def _owners(course: Course) -> dict[str, tuple[Bank, Question, int]]:
    """Each question id: its bank, the question, and its position in the bank."""
    return {q.id: (bank, q, n) for bank in course.banks.values() for n, q in enumerate(bank.questions)}


def _codes(values: pd.Series | pd.Categorical) -> np.ndarray:
    cat = values.cat if isinstance(values, pd.Series) else values
    return np.asarray(cat.codes, dtype=np.int64)


def _categories(values: pd.Series) -> list[Any]:
    return list(values.cat.categories)


def _lookup(categories: Sequence[Any], table: dict[Any, Any], default: Any, dtype: Any = object) -> np.ndarray:
    """``table[c]`` for each category, as an array indexed by category code (last entry: missing)."""
    out = np.array([table.get(c, default) for c in categories] + [default], dtype=dtype)
    return out


def _plain(values: pd.Series) -> pd.Series:
    """A column as plain Python objects (strings; None for missing), for the small output tables."""
    out = values.astype(object)
    return out.where(out.notna(), None)


_DENSE_LIMIT = 1 << 24
"""Largest key range :func:`_dense_ids` and :func:`_present` index with a flat table (16 Mi slots: 64 MiB of int32)."""


def _dense_ids(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, uniques) of integer keys in [0, size), as ``pd.factorize(keys)`` gives them: uniques in
    the order they first appear, ``uniques[ids] == keys``.

    By a flat table of the key range instead of a hash table: learner x question pairs of a million
    answers in milliseconds. Falls back to pandas above :data:`_DENSE_LIMIT` keys.
    """
    if not _dense(keys, size):
        ids, uniques = pd.factorize(keys)
        return ids.astype(np.int64, copy=False), np.asarray(uniques, dtype=np.int64)
    seen, table = _first_seen(keys, size)
    uniques = keys[seen]
    table[uniques] = np.arange(len(uniques), dtype=np.int32)  # reused: only the uniques' slots are read back
    return table[keys].astype(np.int64), uniques


def _dense(keys: np.ndarray, size: int) -> bool:
    """Whether ``keys`` fit a flat table of ``size`` slots (no missing code among them, not too many)."""
    return size <= _DENSE_LIMIT and len(keys) < np.iinfo(np.int32).max and (not len(keys) or int(keys.min()) >= 0)


def _first_seen(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(whether each key is the first of its value, a scratch int32 table of ``size``): what
    ``~pd.Series(keys).duplicated()`` gives, by a flat table of first positions (``size`` <= :data:`_DENSE_LIMIT`)."""
    n = len(keys)
    first = np.full(size, n, dtype=np.int32)
    positions = np.arange(n, dtype=np.int32)
    np.minimum.at(first, keys, positions)
    return first[keys] == positions, first


def _present(keys: np.ndarray, size: int) -> np.ndarray:
    """The distinct integer keys in [0, size), ascending (``np.unique``, by a flat table of flags)."""
    if not _dense(keys, size):
        return np.sort(pd.unique(keys))
    flags = np.zeros(size, dtype=bool)
    flags[keys] = True
    return np.flatnonzero(flags)


def _percent(total: np.ndarray, maximum: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(maximum > 0, 100.0 * total / np.where(maximum > 0, maximum, 1.0), 0.0)


def _first_rows(a: pd.DataFrame) -> np.ndarray:
    """Positions of the first attempts (see the module docstring) in ``a`` (in answer order)."""
    n = len(a)
    if n == 0:
        return np.array([], dtype=np.int64)
    lc, qz, qs = _codes(a["learner"]), _codes(a["quiz"]), _codes(a["question"])
    nq, nqs = len(a["quiz"].cat.categories) + 1, len(a["question"].cat.categories) + 1
    pair = lc * nq + qz
    sub = _codes(a["submission"])
    sitting = sub >= 0
    keep = ~sitting
    if sitting.any():
        rows = np.flatnonzero(sitting)
        groups, first = np.unique(pair[rows], return_index=True)
        first_sub = sub[rows][first]
        keep[rows] = sub[rows] == first_sub[np.searchsorted(groups, pair[rows])]
    rows = np.flatnonzero(keep)
    # one id per (quiz, question) asked, then (learner, that id): a key range a flat table holds
    items, uniques = _dense_ids(qz[rows] * nqs + qs[rows], nq * nqs)
    size = (len(a["learner"].cat.categories) + 1) * max(len(uniques), 1)
    triple = lc[rows] * max(len(uniques), 1) + items
    first = _first_seen(triple, size)[0] if _dense(triple, size) else ~pd.Series(triple).duplicated().to_numpy()
    return rows[first]


def first_attempts(source: Source, filters: Filters | None = None) -> pd.DataFrame:
    """The first attempts that item analysis and distractors count: a subset of the attempts' rows.

    For each learner, quiz and question the earliest attempt; for a quiz answered in sittings
    (an assessment), only the answers of the learner's first sitting.
    """
    data = _data(source, filters, detail=False, what="first_attempts")
    return data.attempts.iloc[_first_rows(data.attempts)].reset_index(drop=True)


# --- 1. answers -----------------------------------------------------------------------------------


def answers(source: Source, course: Course, filters: Filters | None = None) -> pd.DataFrame:
    """One row per attempt, in answer order.

    Columns: learner, cohort, quiz, lesson, question, question_type, mode, response (the JSON
    text stored), score, max_score, correct (nullable boolean; NA for free text), answered_at
    (UTC), submission (the sitting's id; NaN for practice), key, bank_version, review_score,
    reviewer, review_comment (the latest review of a free-text answer; NaN otherwise),
    effective_score (the review score for reviewed free text, NaN while pending, else score).
    Ids and texts that repeat are categoricals. ``lesson`` is the quiz's lesson notebook in the
    course (NaN for a quiz no longer in the course).
    """
    data = _data(source, filters, detail=True, what="answers")
    a = data.attempts
    lessons = {quiz: bank.lesson for quiz, bank in course.banks.items()}
    quiz_categories = _categories(a["quiz"])
    lesson_values = [lessons.get(q) for q in quiz_categories]
    lesson_categories = sorted({v for v in lesson_values if v is not None})
    position = {v: n for n, v in enumerate(lesson_categories)}
    remap = np.array([position.get(v, -1) if v is not None else -1 for v in lesson_values] + [-1], dtype=np.int64)
    out = a.copy()
    out["lesson"] = pd.Categorical.from_codes(remap[_codes(a["quiz"])], categories=lesson_categories)
    return out[list(ANSWER_COLUMNS)]


# --- 2 and 3. progress ----------------------------------------------------------------------------

LEARNER_QUIZ_COLUMNS = (
    "learner", "cohort", "quiz", "lesson", "mode", "status", "questions", "answered", "done",
    "first_pct", "best_pct", "pct", "attempts", "sittings", "last_activity", "passed",
    "date", "critical_missed", "pending",
)


def learner_quizzes(source: Source, course: Course, filters: Filters | None = None) -> pd.DataFrame:
    """One row per learner and course quiz (lesson order), learners by name, answers or not.

    Columns: learner, cohort, quiz, lesson, mode ("practice"/"assessment"), status (see
    :data:`STATUSES`), questions (in the bank; for an assessment, in one sitting), answered
    (practice: distinct bank questions answered; assessment: answers in the last sitting), done
    (practice: every question answered at least once; assessment: taken), first_pct and best_pct
    (practice: first-try and best score per question, summed over the bank's gradable questions,
    percent of their points; assessment: first and best sitting), pct (the lesson's figure:
    practice first_pct, assessment last sitting; NaN when not started), attempts (stored answers),
    sittings, last_activity, passed (assessment: the last sitting's result; else NA), date (the
    last sitting's time), critical_missed (ids of critical questions missed in the last sitting,
    comma separated), pending (free-text answers waiting for a review; assessment: in the last
    sitting).
    """
    data = _data(source, filters, detail=False, what="learner_quizzes")
    return _learner_quizzes(data, course)


def _learner_quizzes(data: Data, course: Course) -> pd.DataFrame:
    a = data.attempts
    banks = _banks(course, data.filters)
    people = data.learners
    n_people, n_banks = len(people), len(banks)
    size = n_people * n_banks
    owners = _owners(course)

    quiz_cats = _categories(a["quiz"])
    bank_index = {b.quiz: i for i, b in enumerate(banks)}
    bank_of_quiz = _lookup(quiz_cats, bank_index, -1, np.int64)[_codes(a["quiz"])]
    on_course = bank_of_quiz >= 0
    cell = np.where(on_course, _codes(a["learner"]) * n_banks + bank_of_quiz, -1)

    question_cats = _categories(a["question"])
    owner_bank = _lookup(question_cats, {q: bank_index.get(b.quiz, -2) for q, (b, _, _) in owners.items()}, -3, np.int64)
    gradable_q = _lookup(question_cats, {q: question.gradable for q, (_, question, _) in owners.items()}, False, bool)
    critical_q = _lookup(question_cats, {q: question.critical for q, (_, question, _) in owners.items()}, False, bool)
    qc = _codes(a["question"])
    in_bank = on_course & (owner_bank[qc] == bank_of_quiz)

    stamps = _ns(a["answered_at"])
    score = a["score"].to_numpy(dtype=float)
    effective = a["effective_score"].to_numpy(dtype=float)
    max_score = a["max_score"].to_numpy(dtype=float)
    free = (a["question_type"] == "free_text").to_numpy()
    pending_row = free & np.isnan(effective)

    attempts = np.bincount(cell[on_course], minlength=size)
    last = np.full(size, _NAT)
    np.maximum.at(last, cell[on_course], stamps[on_course])

    is_practice = np.array([b.mode != "assessment" for b in banks] + [False])
    practice_row = on_course & is_practice[np.where(on_course, bank_of_quiz, n_banks)]

    # practice: per learner, quiz and question: answered, first scored attempt, best score
    answered = np.zeros(size, dtype=np.int64)
    first_total = np.zeros(size)
    best_total = np.zeros(size)
    pending = np.bincount(cell[practice_row & pending_row], minlength=size)
    rows = np.flatnonzero(practice_row & in_bank)
    if len(rows):
        # one id per (learner, question): in its own bank, a question names its quiz, so its cell
        nqc = len(question_cats)
        ids, pairs = _dense_ids(_codes(a["learner"])[rows] * nqc + qc[rows], (len(a["learner"].cat.categories) + 1) * nqc)
        cells = (pairs // nqc) * n_banks + owner_bank[pairs % nqc]
        graded = gradable_q[pairs % nqc]
        answered = np.bincount(cells, minlength=size)
        scores = score[rows]
        has = ~np.isnan(scores)
        first_at = np.full(len(pairs), len(rows))
        np.minimum.at(first_at, ids[has], np.flatnonzero(has))  # the first scored attempt (as course.progress)
        first = np.append(scores, 0.0)[first_at]
        best = np.zeros(len(pairs))
        np.maximum.at(best, ids[has], scores[has])
        first_total = np.bincount(cells[graded], weights=first[graded], minlength=size)
        best_total = np.bincount(cells[graded], weights=best[graded], minlength=size)

    questions = np.array([len(b.questions) + (b.draw.count if b.draw and b.mode == "assessment" else 0) for b in banks], dtype=np.int64)
    gradable_points = np.array([sum(q.points for q in b.questions if q.gradable) for b in banks])
    bank_col = np.tile(np.arange(n_banks), n_people)
    first_pct = _percent(first_total, gradable_points[bank_col] if size else first_total)
    best_pct = _percent(best_total, gradable_points[bank_col] if size else best_total)

    # assessments: sittings
    sittings = np.zeros(size, dtype=np.int64)
    passed = np.full(size, -1, dtype=np.int64)  # -1: NA
    last_pct = np.full(size, np.nan)
    date = np.full(size, _NAT)
    critical_missed = np.full(size, "", dtype=object)
    sit_rows = np.flatnonzero(on_course & ~is_practice[np.where(on_course, bank_of_quiz, n_banks)] & (_codes(a["submission"]) >= 0))
    answered_last = np.zeros(size, dtype=np.int64)
    pending_last = np.zeros(size, dtype=np.int64)
    awaiting = np.zeros(size, dtype=bool)
    if len(sit_rows):
        correct = a["correct"].to_numpy(dtype=float, na_value=np.nan)
        eff_correct = np.where(free, np.where(np.isnan(effective), np.nan, (effective >= max_score - TOLERANCE).astype(float)), correct)
        s = pd.DataFrame({
            "cell": cell[sit_rows],
            "sub": _codes(a["submission"])[sit_rows],
            "pos": sit_rows,
            "stamp": stamps[sit_rows],
            "score": np.nan_to_num(effective[sit_rows]),
            "max": np.where(np.isnan(effective[sit_rows]), 0.0, max_score[sit_rows]),
            "pending_max": np.where(pending_row[sit_rows], max_score[sit_rows], 0.0),
            "pending": pending_row[sit_rows],
            "missed": critical_q[qc[sit_rows]] & (eff_correct[sit_rows] != 1),  # not fully right (pending included)
            "one": 1,
        })
        g = s.groupby(["cell", "sub"], sort=False)
        sit = g.agg(start=("pos", "min"), stamp=("stamp", "max"), total=("score", "sum"), maximum=("max", "sum"), pending=("pending", "sum"), pending_max=("pending_max", "sum"), answers=("one", "sum")).reset_index()
        sit["pct"] = _percent(sit["total"].to_numpy(), sit["maximum"].to_numpy())
        missed_ids: dict[tuple[int, int], str] = {}
        flagged = s["missed"].to_numpy()
        if flagged.any():
            names = np.array(question_cats, dtype=object)[qc[sit_rows[flagged]]]
            for c, sb, name in zip(s["cell"].to_numpy()[flagged], s["sub"].to_numpy()[flagged], names):
                ids = missed_ids.get((c, sb))
                missed_ids[(c, sb)] = name if ids is None else ids if name in ids.split(_SEP) else ids + _SEP + name
        sit = sit.sort_values("start", kind="stable")
        cells = sit["cell"].to_numpy()
        sittings = np.bincount(cells, minlength=size)
        first_sit = sit.drop_duplicates("cell", keep="first")
        last_sit = sit.drop_duplicates("cell", keep="last")
        best = sit.groupby("cell")["pct"].max()
        fc, lc_ = first_sit["cell"].to_numpy(), last_sit["cell"].to_numpy()
        first_pct[fc] = first_sit["pct"].to_numpy()
        best_pct[best.index.to_numpy()] = best.to_numpy()
        last_pct[lc_] = last_sit["pct"].to_numpy()
        date[lc_] = last_sit["stamp"].to_numpy()
        answered_last[lc_] = last_sit["answers"].to_numpy()
        pending_last[lc_] = last_sit["pending"].to_numpy()
        marks = np.array([(b.pass_mark or 0.0) for b in banks])
        reach = _percent(last_sit["total"].to_numpy() + last_sit["pending_max"].to_numpy(), last_sit["maximum"].to_numpy() + last_sit["pending_max"].to_numpy())
        for c, sb, pct, waiting, best_case in zip(lc_, last_sit["sub"].to_numpy(), last_sit["pct"].to_numpy(), last_sit["pending"].to_numpy(), reach):
            ids = missed_ids.get((c, sb), "")
            critical_missed[c] = ids
            passed[c] = int(pct + TOLERANCE >= marks[c % n_banks] and not ids and not waiting)
            awaiting[c] = bool(waiting) and not ids and best_case + TOLERANCE >= marks[c % n_banks]

    practice_cell = is_practice[bank_col] if size else np.zeros(0, dtype=bool)
    answered = np.where(practice_cell, answered, answered_last)
    pending = np.where(practice_cell, pending, pending_last)
    done = np.where(practice_cell, (answered >= questions[bank_col]) & (answered > 0), sittings > 0)
    status = np.where(
        practice_cell,
        np.where(answered == 0, "not started", np.where(done, "done", "in progress")),
        np.where(sittings == 0, "not taken", np.where(passed == 1, "passed", np.where(awaiting, "awaiting review", "failed"))),
    )
    started = np.where(practice_cell, answered > 0, sittings > 0)
    pct = np.where(practice_cell, first_pct, last_pct)
    out = pd.DataFrame({
        "learner": pd.Categorical.from_codes(np.repeat(np.arange(n_people), n_banks), categories=pd.Index(people["learner"], dtype=object)),
        "cohort": np.repeat(people["cohort"].to_numpy(dtype=object), n_banks),
        "quiz": pd.Categorical.from_codes(bank_col, categories=[b.quiz for b in banks]) if n_banks else pd.Categorical([]),
        "lesson": np.array([b.lesson for b in banks], dtype=object)[bank_col] if n_banks else np.array([], dtype=object),
        "mode": np.array([b.mode for b in banks], dtype=object)[bank_col] if n_banks else np.array([], dtype=object),
        "status": pd.Categorical(status, categories=list(STATUSES)),
        "questions": questions[bank_col] if n_banks else np.array([], dtype=np.int64),
        "answered": answered,
        "done": done.astype(bool),
        "first_pct": np.where(started, first_pct, np.nan),
        "best_pct": np.where(started, best_pct, np.nan),
        "pct": np.where(started, pct, np.nan),
        "attempts": attempts,
        "sittings": sittings,
        "last_activity": _times(last),
        "passed": pd.array(np.where(passed < 0, None, passed == 1), dtype="boolean"),
        "date": _times(date),
        "critical_missed": critical_missed,
        "pending": pending,
    })
    return out[list(LEARNER_QUIZ_COLUMNS)]


def _times(stamps: np.ndarray) -> pd.Series:
    """int64 ns since the epoch (:data:`_NAT`: missing) as UTC timestamps."""
    return pd.Series(pd.to_datetime(np.ascontiguousarray(stamps, dtype=np.int64).view("datetime64[ns]"), utc=True))


def _ns(times: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 ns since the epoch (NaT: :data:`_NAT`)."""
    return times.to_numpy(dtype="datetime64[ns]").view("int64")


def progress_matrix(source: Source, course: Course, filters: Filters | None = None, *, value: Literal["status", "pct"] = "status") -> pd.DataFrame:
    """Learners (rows, by name; index ``learner``) x course quizzes (columns, lesson order).

    ``value="status"``: each cell one of :data:`STATUSES` (a categorical, for colouring);
    ``value="pct"``: the lesson's percent (practice: first tries; assessment: last sitting),
    NaN where not started.
    """
    data = _data(source, filters, detail=False, what="progress_matrix")
    return _matrix(_learner_quizzes(data, course), value)


def _matrix(lq: pd.DataFrame, value: str) -> pd.DataFrame:
    if value not in ("status", "pct"):
        raise ValueError(f"value must be 'status' or 'pct', not {value!r}")
    quizzes = list(lq["quiz"].cat.categories)
    learners = list(lq["learner"].cat.categories)
    shape = (len(learners), len(quizzes))
    cells = lq[value].to_numpy().reshape(shape) if len(quizzes) else np.empty(shape)
    out = pd.DataFrame(cells, index=pd.Index(learners, name="learner"), columns=pd.Index(quizzes, name="quiz"))
    if value == "status":
        out = out.astype(pd.CategoricalDtype(list(STATUSES)))
    return out.astype(float) if value == "pct" else out


SUMMARY_COLUMNS = (
    "learner", "cohort", "role", "lessons_total", "lessons_started", "lessons_completed", "track_lessons_done",
    "track_pct", "attempts", "last_activity", "score_pct",
)
NO_ROLE = "role not given"
"""The role column of a learner who has not given one (their track is every section)."""


def _role_progress(data: Data, course: Course) -> dict[str, np.ndarray]:
    """Each learner's progress on their role's sections (issue 11): ``role`` (its name, or
    :data:`NO_ROLE`), ``track_lessons_done`` (practice lessons whose questions for the role have all
    been answered, a lesson with none counting as done) and ``track_pct`` (the share of the role's
    practice questions answered at least once, NaN when the role has none)."""
    from course.roles import ROLES

    people = data.learners
    n = len(people)
    roles = list(ROLES)
    role_of = people["role"].to_numpy(dtype=object) if "role" in people else np.full(n, None, dtype=object)
    role_code = np.array([roles.index(r) if r in ROLES else len(roles) for r in role_of], dtype=np.int64)  # len(roles): every section
    practice = [b for b in _banks(course, data.filters) if b.mode == "practice"]
    n_banks = len(practice)
    a = data.attempts
    question_cats = _categories(a["question"])
    bank_of = {q.id: i for i, b in enumerate(practice) for q in b.questions}
    bank_q = _lookup(question_cats, bank_of, -1, np.int64)
    tracks = [*roles, None]
    member = np.zeros((len(tracks), len(question_cats) + 1), dtype=bool)  # (last: a missing question)
    totals = np.zeros((len(tracks), max(1, n_banks)), dtype=np.int64)
    for r, role in enumerate(tracks):
        for i, b in enumerate(practice):
            mine = {q.id for q in b.for_role(role)}
            totals[r, i] = len(mine)
            member[r] |= _lookup(question_cats, {q: True for q in mine}, False, bool)
    counts = np.zeros((n, max(1, n_banks)), dtype=np.int64)
    if len(a) and n_banks:
        lc, qc = _codes(a["learner"]), _codes(a["question"])
        keep = (lc >= 0) & (qc >= 0)
        pairs = _present(lc[keep].astype(np.int64) * len(question_cats) + qc[keep], (len(a["learner"].cat.categories) + 1) * len(question_cats))
        pl, pq = pairs // len(question_cats), pairs % len(question_cats)
        ok = (bank_q[pq] >= 0) & member[role_code[pl], pq]
        np.add.at(counts, (pl[ok], bank_q[pq[ok]]), 1)
    need = totals[role_code][:, :n_banks] if n_banks else np.zeros((n, 0), dtype=np.int64)
    done = (counts[:, :n_banks] >= need).sum(axis=1) if n_banks else np.zeros(n, dtype=np.int64)
    total = need.sum(axis=1)
    return {
        "role": np.array([ROLES.get(r, NO_ROLE) if r else NO_ROLE for r in role_of], dtype=object),
        "track_lessons_done": done,
        "track_pct": np.where(total > 0, 100 * counts[:, :n_banks].sum(axis=1) / np.maximum(total, 1), np.nan),
    }
ASSESSMENT_COLUMNS = (
    "assessment_status", "assessment_pct", "assessment_date", "assessment_sittings",
    "assessment_critical_missed", "assessment_pending",
)


def learner_summary(source: Source, course: Course, filters: Filters | None = None) -> pd.DataFrame:
    """One row per learner (by name), answers or not.

    Columns: learner, cohort, lessons_total (practice lessons listed), lessons_started,
    lessons_completed, attempts (all stored answers), last_activity, score_pct (first-try
    percent over the practice questions the learner answered: reviewed free text in, pending
    out; NaN before any), then for each course quiz in lesson order ``<quiz>.first_pct`` and
    ``<quiz>.best_pct`` (as in :func:`learner_quizzes`), then the final assessment
    (:data:`FINAL_ASSESSMENT`): assessment_status ("not taken", "passed", "failed"),
    assessment_pct, assessment_date (last sitting), assessment_sittings,
    assessment_critical_missed (ids, comma separated), assessment_pending.
    """
    data = _data(source, filters, detail=False, what="learner_summary")
    return _learner_summary(data, course, _learner_quizzes(data, course))


def _learner_summary(data: Data, course: Course, lq: pd.DataFrame) -> pd.DataFrame:
    a = data.attempts
    people = data.learners
    n = len(people)
    quizzes = list(lq["quiz"].cat.categories)
    shape = (n, len(quizzes))

    def grid(column: str) -> np.ndarray:
        return lq[column].to_numpy().reshape(shape)

    practice = np.array([course.banks[q].mode != "assessment" for q in quizzes], dtype=bool)
    status = grid("status").astype(object) if quizzes else np.empty(shape, dtype=object)
    lc = _codes(a["learner"])
    stamps = _ns(a["answered_at"])
    last = np.full(n, _NAT)
    np.maximum.at(last, lc, stamps)
    first = _first_rows(a)
    practice_quiz = _lookup(_categories(a["quiz"]), {q: b.mode != "assessment" for q, b in course.banks.items()}, False, bool)
    f_rows = first[practice_quiz[_codes(a["quiz"])[first]]]
    eff = a["effective_score"].to_numpy(dtype=float)[f_rows]
    mx = a["max_score"].to_numpy(dtype=float)[f_rows]
    scored = ~np.isnan(eff)
    f_lc = lc[f_rows][scored]
    total = np.bincount(f_lc, weights=eff[scored], minlength=n)
    maximum = np.bincount(f_lc, weights=mx[scored], minlength=n)
    out = pd.DataFrame({
        "learner": people["learner"].to_numpy(dtype=object),
        "cohort": people["cohort"].to_numpy(dtype=object),
        "lessons_total": np.full(n, int(practice.sum())),
        "lessons_started": ((status != "not started") & practice).sum(axis=1) if quizzes else np.zeros(n, dtype=int),
        "lessons_completed": ((status == "done") & practice).sum(axis=1) if quizzes else np.zeros(n, dtype=int),
        **_role_progress(data, course),
        "attempts": np.bincount(lc, minlength=n),
        "last_activity": _times(last),
        "score_pct": np.where(maximum > 0, _percent(total, maximum), np.nan),
    })
    extra = {}
    for j, quiz in enumerate(quizzes):
        extra[f"{quiz}.first_pct"] = grid("first_pct")[:, j]
        extra[f"{quiz}.best_pct"] = grid("best_pct")[:, j]
    final = _final_bank(course)
    if final is not None and final.quiz in quizzes:
        j = quizzes.index(final.quiz)
        extra.update({
            "assessment_status": pd.Categorical(status[:, j], categories=list(ASSESSMENT_STATUSES)),
            "assessment_pct": grid("pct")[:, j],
            "assessment_date": _times(_ns(lq["date"]).reshape(shape)[:, j]),
            "assessment_sittings": grid("sittings")[:, j],
            "assessment_critical_missed": grid("critical_missed")[:, j],
            "assessment_pending": grid("pending")[:, j],
        })
    else:
        extra.update({
            "assessment_status": pd.Categorical(["not taken"] * n, categories=list(ASSESSMENT_STATUSES)),
            "assessment_pct": np.full(n, np.nan),
            "assessment_date": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]"),
            "assessment_sittings": np.zeros(n, dtype=np.int64),
            "assessment_critical_missed": np.full(n, "", dtype=object),
            "assessment_pending": np.zeros(n, dtype=np.int64),
        })
    out = pd.concat([out, pd.DataFrame(extra, index=out.index)], axis=1)
    per_quiz = [f"{quiz}.{figure}" for quiz in quizzes for figure in ("first_pct", "best_pct")]
    return out[list(SUMMARY_COLUMNS) + per_quiz + list(ASSESSMENT_COLUMNS)]


COHORT_COLUMNS = ("cohort", "learners", "started", "completed", "passed", "mean_score", "mean_assessment_pct")


def cohort_summary(source: Source, course: Course, filters: Filters | None = None) -> pd.DataFrame:
    """One row per cohort (by name; learners in no cohort last, cohort NaN).

    Columns: cohort, learners, started (answered at least one question of the course),
    completed (every practice lesson done), passed (the final assessment's last sitting passed),
    mean_score (mean of the learners' score_pct, over those who have one),
    mean_assessment_pct (mean last-sitting percent of those who took the final assessment).
    """
    data = _data(source, filters, detail=False, what="cohort_summary")
    return _cohort_summary(_learner_summary(data, course, _learner_quizzes(data, course)))


def _cohort_summary(summary: pd.DataFrame) -> pd.DataFrame:
    s = summary
    frame = pd.DataFrame({
        "cohort": s["cohort"],
        "learners": 1,
        "started": (s["lessons_started"] > 0) | (s["assessment_status"] != "not taken"),
        "completed": (s["lessons_completed"] == s["lessons_total"]) & (s["lessons_total"] > 0),
        "passed": s["assessment_status"] == "passed",
        "mean_score": s["score_pct"],
        "mean_assessment_pct": s["assessment_pct"],
    })
    out = frame.groupby("cohort", dropna=False, sort=True).agg(
        learners=("learners", "sum"),
        started=("started", "sum"),
        completed=("completed", "sum"),
        passed=("passed", "sum"),
        mean_score=("mean_score", "mean"),
        mean_assessment_pct=("mean_assessment_pct", "mean"),
    ).reset_index()
    for column in ("learners", "started", "completed", "passed"):
        out[column] = out[column].astype(np.int64)
    return out[list(COHORT_COLUMNS)]


# --- 4. item analysis -----------------------------------------------------------------------------

ITEM_COLUMNS = ("quiz", "question", "type", "section", "points", "critical", "n", "pending", "facility", "discrimination", "flags")


def item_analysis(source: Source, course: Course, filters: Filters | None = None) -> pd.DataFrame:
    """How each question did on first attempts (Moodle's quiz statistics), one row per quiz question.

    Rows: every question of every course bank (lesson order, bank order, answered or not), then
    the questions answered in a quiz that are not its own (drawn into an assessment; removed from
    the bank). Columns: quiz, question, type, section, points, critical (from the current bank;
    NaN for a question no longer in the course), n (learners with a scored first attempt),
    pending (first attempts at free text still waiting for a review: not in n), facility (mean of
    score / max_score), discrimination (Pearson r between the question's score and the rest of
    the quiz: the sum of the learner's first-attempt scores on the quiz's other questions; NaN
    below :data:`MIN_FOR_DISCRIMINATION` learners or without variance), flags (comma separated:
    "too easy", "too hard", "negative discrimination"; only "few answers" when n is 1 to
    :data:`MIN_ANSWERS` - 1; none when n is 0: a question nobody answered has no figures to flag).
    """
    data = _data(source, filters, detail=False, what="item_analysis")
    return _item_analysis(data, course, _first_rows(data.attempts))


def _item_rows(data: Data, course: Course, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (quiz, question) rows of the item tables, in order (see item_analysis)."""
    banks = _banks(course, data.filters)
    owners = _owners(course)
    lesson_rank = {b.quiz: n for n, b in enumerate(sorted(course.banks.values(), key=lambda b: b.lesson))}
    rows = [(b.quiz, q.id) for b in banks for q in b.questions]
    seen = set(rows)
    extra = [p for p in dict.fromkeys(pairs) if p not in seen]
    quiz_rank = {b.quiz: n for n, b in enumerate(banks)}

    def order(pair: tuple[str, str]) -> tuple[Any, ...]:
        quiz, question = pair
        owner = owners.get(question)
        where = (lesson_rank.get(owner[0].quiz, 1 << 30), owner[2]) if owner else (1 << 30, 0)
        return (quiz not in quiz_rank, quiz_rank.get(quiz, 0), str(quiz), owner is None, *where, str(question))

    return rows + sorted(extra, key=order)


def _item_analysis(data: Data, course: Course, first: np.ndarray) -> pd.DataFrame:
    a = data.attempts
    qz, qs, lc = _codes(a["quiz"])[first], _codes(a["question"])[first], _codes(a["learner"])[first]
    quiz_cats, question_cats = _categories(a["quiz"]), _categories(a["question"])
    nqs = len(question_cats) + 1
    x = a["effective_score"].to_numpy(dtype=float)[first]
    mx = a["max_score"].to_numpy(dtype=float)[first]
    free = (a["question_type"] == "free_text").to_numpy()[first]
    scored = ~np.isnan(x)

    # rest of quiz: the learner's first-attempt total on the quiz, minus this question's score
    lq_inv = _dense_ids(lc * (len(quiz_cats) + 1) + qz, (len(a["learner"].cat.categories) + 1) * (len(quiz_cats) + 1))[0]
    totals = np.bincount(lq_inv, weights=np.where(scored, x, 0.0))
    y = totals[lq_inv] - np.where(scored, x, 0.0) if len(lq_inv) else np.zeros(0)

    item_inv, item_ids = _dense_ids(qz * nqs + qs, (len(quiz_cats) + 1) * nqs)
    k = len(item_ids)
    pending = np.bincount(item_inv[free & ~scored], minlength=k)
    g = item_inv[scored]
    xs, ys, fs = x[scored], y[scored], x[scored] / np.where(mx[scored] > 0, mx[scored], np.nan)
    n = np.bincount(g, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        facility = np.bincount(g, weights=fs, minlength=k) / n
        mean_x = np.bincount(g, weights=xs, minlength=k) / n
        mean_y = np.bincount(g, weights=ys, minlength=k) / n
        dx, dy = xs - mean_x[g], ys - mean_y[g]
        sxy = np.bincount(g, weights=dx * dy, minlength=k)
        sxx = np.bincount(g, weights=dx * dx, minlength=k)
        syy = np.bincount(g, weights=dy * dy, minlength=k)
        scale_x = np.bincount(g, weights=xs * xs, minlength=k)
        scale_y = np.bincount(g, weights=ys * ys, minlength=k)
        flat = (sxx <= 1e-12 * np.maximum(scale_x, 1.0)) | (syy <= 1e-12 * np.maximum(scale_y, 1.0))
        r = np.where((n >= MIN_FOR_DISCRIMINATION) & ~flat, sxy / np.sqrt(sxx * syy), np.nan)
    r = np.clip(r, -1.0, 1.0)

    pair_of = {(quiz_cats[i // nqs], question_cats[i % nqs]): j for j, i in enumerate(item_ids)}
    rows = _item_rows(data, course, pair_of)
    owners = _owners(course)
    first_of_item = np.full(k, len(first))
    np.minimum.at(first_of_item, item_inv, np.arange(len(first)))
    stored_type = dict(enumerate(a["question_type"].iloc[first[first_of_item]].astype(object)))
    out = []
    for quiz, question in rows:
        j = pair_of.get((quiz, question))
        owner = owners.get(question)
        q = owner[1] if owner else None
        count = int(n[j]) if j is not None else 0
        fac = float(facility[j]) if j is not None and count else math.nan
        disc = float(r[j]) if j is not None else math.nan
        out.append((
            quiz, question,
            q.type if q else stored_type.get(j),
            q.section if q else None,
            q.points if q else math.nan,
            q.critical if q else None,
            count,
            int(pending[j]) if j is not None else 0,
            fac, disc, _flags(count, fac, disc),
        ))
    return pd.DataFrame(out, columns=list(ITEM_COLUMNS))


def _flags(n: int, facility: float, discrimination: float) -> str:
    if n == 0:  # not answered (or only pending free text): nothing to judge, nothing to flag
        return ""
    if n < MIN_ANSWERS:
        return "few answers"
    flags = []
    if facility > TOO_EASY:
        flags.append("too easy")
    if facility < TOO_HARD:
        flags.append("too hard")
    if discrimination < NEGATIVE_DISCRIMINATION:
        flags.append("negative discrimination")
    return _SEP.join(flags)


DISTRACTOR_COLUMNS = ("quiz", "question", "type", "option", "text", "correct", "chosen", "n", "share")


def distractors(source: Source, course: Course, filters: Filters | None = None) -> pd.DataFrame:
    """How often first attempts chose each option of each choice question.

    One row per option of every single_choice, multiple_choice and true_false question in the
    order of :func:`item_analysis` (true_false: options "true" and "false"), then any option id
    found in the answers but not in the bank (text NaN). Columns: quiz, question, type, option,
    text, correct (the option is right), chosen (first attempts that chose or ticked it), n
    (first attempts at the question), share (chosen / n; NaN when n is 0; for multiple choice
    the shares add up to more than 1).
    """
    data = _data(source, filters, detail=True, what="distractors")
    return _distractors(data, course, _first_rows(data.attempts))


def _options(q: Question) -> list[tuple[str, str, bool]]:
    if isinstance(q, (SingleChoice, MultipleChoice)):
        return [(o.id, o.text, o.correct) for o in q.options]
    if isinstance(q, TrueFalse):
        return [("true", "True", q.answer is True), ("false", "False", q.answer is False)]
    return []


def _chosen(q: Question, response: Any) -> list[str]:
    """The option ids a response chose (as grading reads it); [] when it cannot be read."""
    if isinstance(q, SingleChoice):
        return [response.strip()] if isinstance(response, str) and response.strip() else []
    if isinstance(q, MultipleChoice):
        if isinstance(response, (list, tuple)):
            return list(dict.fromkeys(str(r).strip() for r in response))
        return []
    if isinstance(response, str) and response.strip().lower() in ("true", "false"):
        return [response.strip().lower()]
    if isinstance(response, bool):
        return ["true" if response else "false"]
    return []


def _distractors(data: Data, course: Course, first: np.ndarray) -> pd.DataFrame:
    a = data.attempts
    owners = _owners(course)
    quiz_cats, question_cats, response_cats = _categories(a["quiz"]), _categories(a["question"]), _categories(a["response"])
    choice = _lookup(question_cats, {q: o[1].type in CHOICE_TYPES for q, o in owners.items()}, False, bool)
    qs = _codes(a["question"])[first]
    rows = first[choice[qs]]
    counts: dict[tuple[str, str], dict[str, int]] = {}
    totals: dict[tuple[str, str], int] = {}
    if len(rows):
        frame = pd.DataFrame({"quiz": _codes(a["quiz"])[rows], "q": _codes(a["question"])[rows], "r": _codes(a["response"])[rows]})
        for (quiz, q, r), count in frame.value_counts(sort=False).items():
            pair = (quiz_cats[quiz], question_cats[q])
            totals[pair] = totals.get(pair, 0) + int(count)
            question = owners[question_cats[q]][1]
            try:
                response = json.loads(response_cats[r]) if r >= 0 else None
            except ValueError:
                continue
            tally = counts.setdefault(pair, {})
            for option in _chosen(question, response):
                tally[option] = tally.get(option, 0) + int(count)
    out = []
    for quiz, question in _item_rows(data, course, totals):
        owner = owners.get(question)
        if owner is None or owner[1].type not in CHOICE_TYPES:
            continue
        q = owner[1]
        n = totals.get((quiz, question), 0)
        tally = counts.get((quiz, question), {})
        listed = _options(q)
        known = {o[0] for o in listed}
        listed += [(option, None, False) for option in sorted(tally) if option not in known]
        for option, text, right in listed:
            chosen = tally.get(option, 0)
            out.append((quiz, question, q.type, option, text, right, chosen, n, chosen / n if n else math.nan))
    return pd.DataFrame(out, columns=list(DISTRACTOR_COLUMNS))


# --- 5. re-grading --------------------------------------------------------------------------------

REGRADE_COLUMNS = (
    "key", "learner", "cohort", "quiz", "question", "question_type", "answered_at", "response",
    "bank_version", "current_version", "stored_score", "regraded_score", "max_score", "reason",
)
NOT_IN_COURSE = "question no longer in any bank"
CHANGED = "question changed since bank version {version}"
DIFFERS = "stored score differs from the bank's key"
UNGRADABLE = "response can no longer be graded: {message}"


def regrade(source: Source, course: Course, filters: Filters | None = None) -> pd.DataFrame:
    """Every stored response graded again with the current banks; the rows that disagree.

    Free-text answers are skipped (a trainer scores them). Each distinct (question, response) is
    graded once. Returned, in answer order: the answers whose stored score differs from the
    re-graded one by more than :data:`TOLERANCE` (reason: "question changed since bank version
    X" when the answer's bank_version is not the current version of the question's bank, else
    "stored score differs from the bank's key"), the responses the bank can no longer grade
    ("response can no longer be graded: <why>") and the answers to questions no longer in any
    bank ("question no longer in any bank"). Columns: key, learner, cohort, quiz, question,
    question_type, answered_at, response, bank_version, current_version, stored_score,
    regraded_score (NaN when it cannot be graded), max_score, reason.
    """
    data = _data(source, filters, detail=True, what="regrade")
    return _regrade(data, course)


def _regrade(data: Data, course: Course) -> pd.DataFrame:
    a = data.attempts
    owners = _owners(course)
    question_cats, response_cats = _categories(a["question"]), _categories(a["response"])
    qc, rc = _codes(a["question"]), _codes(a["response"])
    free = (a["question_type"] == "free_text").to_numpy()
    now_free = _lookup(question_cats, {q: not o[1].gradable for q, o in owners.items()}, False, bool)
    rows = np.flatnonzero(~free & ~now_free[qc])
    pair = qc[rows] * (len(response_cats) + 1) + rc[rows]
    inverse, uniq = pd.factorize(pair)
    regraded = np.full(len(uniq), np.nan)
    problem = np.full(len(uniq), None, dtype=object)
    for i, p in enumerate(uniq):
        question_id = question_cats[p // (len(response_cats) + 1)]
        owner = owners.get(question_id)
        if owner is None:
            problem[i] = NOT_IN_COURSE
            continue
        r = p % (len(response_cats) + 1)
        try:
            response = json.loads(response_cats[r]) if r < len(response_cats) else None
            regraded[i] = grade(owner[1], response).score
        except UngradableResponse as error:
            problem[i] = UNGRADABLE.format(message=error)
        except ValueError as error:  # the stored text is not JSON
            problem[i] = UNGRADABLE.format(message=f"the stored response is not JSON ({error})")
    new = regraded[inverse]
    stored = a["score"].to_numpy(dtype=float)[rows]
    trouble = problem[inverse]
    differs = np.isnan(stored) | (np.abs(stored - new) > TOLERANCE)
    keep = (trouble != None) | differs  # noqa: E711 (element-wise)
    rows, new, stored, trouble = rows[keep], new[keep], stored[keep], trouble[keep]
    current = _lookup(question_cats, {q: o[0].version for q, o in owners.items()}, None)[qc[rows]]
    versions = a["bank_version"].to_numpy(dtype=object)[rows]
    reasons = np.where(
        trouble != None,  # noqa: E711
        trouble,
        np.where(versions != current, [CHANGED.format(version=v) for v in versions], DIFFERS),
    ) if len(rows) else np.array([], dtype=object)
    picked = a.iloc[rows].reset_index(drop=True)
    out = pd.DataFrame({
        **{name: _plain(picked[name]) for name in ("key", "learner", "cohort", "quiz", "question", "question_type")},
        "answered_at": picked["answered_at"],
        "response": _plain(picked["response"]),
        "bank_version": versions,
        "current_version": current,
        "stored_score": stored,
        "regraded_score": new,
        "max_score": picked["max_score"].to_numpy(dtype=float),
        "reason": reasons.astype(object),
    })
    return out[list(REGRADE_COLUMNS)]


# --- 6. free-text review --------------------------------------------------------------------------

QUEUE_COLUMNS = ("key", "learner", "cohort", "quiz", "question", "prompt", "model_answer", "answer", "answered_at", "max_score")


def review_queue(source: Source, course: Course, filters: Filters | None = None) -> pd.DataFrame:
    """Free-text answers that no trainer has reviewed yet, oldest first.

    Columns: key (pass it to :func:`record_review`), learner, cohort, quiz, question, prompt
    (the question's Markdown; NaN if it is no longer in the course), model_answer (its
    explanation), answer (the learner's text), answered_at, max_score.
    """
    data = _data(source, filters, detail=True, what="review_queue")
    return _review_queue(data, course)


def _review_queue(data: Data, course: Course) -> pd.DataFrame:
    a = data.attempts
    waiting = a[(a["question_type"] == "free_text").to_numpy() & a["review_score"].isna().to_numpy()]
    owners = _owners(course)
    questions = waiting["question"].to_numpy(dtype=object)

    def text(response: str) -> Any:
        try:
            value = json.loads(response)
        except (TypeError, ValueError):
            return response
        return value if isinstance(value, str) else response

    waiting = waiting.reset_index(drop=True)
    out = pd.DataFrame({
        **{name: _plain(waiting[name]) for name in ("key", "learner", "cohort", "quiz", "question")},
        "prompt": [owners[q][1].prompt if q in owners else None for q in questions],
        "model_answer": [owners[q][1].explanation if q in owners else None for q in questions],
        "answer": [text(r) for r in waiting["response"].to_numpy(dtype=object)],
        "answered_at": waiting["answered_at"],
        "max_score": waiting["max_score"].to_numpy(dtype=float),
    })
    return out.sort_values("answered_at", kind="stable").reset_index(drop=True)[list(QUEUE_COLUMNS)]


def record_review(store: ResultsStore, key: str, score: float, reviewer: str, comment: str = "", *, course: Course | None = None) -> pd.Series:
    """Store a trainer's score and comment on an answer (:meth:`ResultsStore.add_review`).

    Returns the answer's row as :func:`answers` gives it, with the review in it (``lesson`` is
    NaN unless ``course`` is given). The store's refusals (no such answer, a score outside 0 to
    the answer's max_score, no reviewer name) raise :class:`~course.store.StoreError`.
    """
    store.add_review(key, score=score, reviewer=reviewer, comment=comment)
    data = _load(store, Filters(), detail=True, key=key)
    return answers(data, course or Course({})).iloc[0]


def to_csv(frame: pd.DataFrame) -> bytes:
    """A table as CSV a spreadsheet opens as it is: UTF-8 with a BOM, ISO 8601 times, no index,
    and no cell a spreadsheet would run as a formula (:func:`csv_text`). Every CSV file the
    course writes is written by this function."""
    return csv_text(frame).encode("utf-8-sig")


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV of :func:`to_csv` as text (no BOM), for a terminal or a pipe.

    Every text cell (and column name) that starts like a formula (``=``, ``+``, ``-``, ``@``, tab,
    carriage return: a learner's name, a written answer, a comment) gets a single quote in front,
    :func:`course.safe_text.for_spreadsheet`; numbers and times are written as they are.
    """
    return _spreadsheet_safe(frame).to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S%z")


def _spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    from course.safe_text import FORMULA_STARTS, for_spreadsheet

    def risky(values: Iterable[Any]) -> bool:
        return any(isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in values)

    out = frame
    for position, column in enumerate(frame.columns):
        values = frame.iloc[:, position]
        if isinstance(values.dtype, pd.CategoricalDtype):
            if not risky(values.cat.categories):
                continue
            values = values.astype(object)
        elif values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
            continue
        elif not risky(values):
            continue
        if out is frame:
            out = frame.copy()
        out.isetitem(position, values.map(for_spreadsheet))
    if risky(str(c) for c in out.columns):
        out = out.set_axis([for_spreadsheet(str(c)) for c in out.columns], axis=1)
    return out


# --- everything at once ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """Every table of the report, computed from one load (see :func:`build`)."""

    data: Data
    answers: pd.DataFrame
    learner_quizzes: pd.DataFrame
    learner_summary: pd.DataFrame
    progress_matrix: pd.DataFrame
    progress_pct: pd.DataFrame
    cohort_summary: pd.DataFrame
    item_analysis: pd.DataFrame
    distractors: pd.DataFrame
    review_queue: pd.DataFrame


def build(source: Source, course: Course, filters: Filters | None = None) -> Report:
    """Load once (unless given a Data) and compute every table but :func:`regrade`."""
    data = _data(source, filters, detail=True, what="build")
    lq = _learner_quizzes(data, course)
    summary = _learner_summary(data, course, lq)
    first = _first_rows(data.attempts)
    return Report(
        data=data,
        answers=answers(data, course),
        learner_quizzes=lq,
        learner_summary=summary,
        progress_matrix=_matrix(lq, "status"),
        progress_pct=_matrix(lq, "pct"),
        cohort_summary=_cohort_summary(summary),
        item_analysis=_item_analysis(data, course, first),
        distractors=_distractors(data, course, first),
        review_queue=_review_queue(data, course),
    )


__all__ = [
    "ANSWER_COLUMNS", "ASSESSMENT_COLUMNS", "ASSESSMENT_STATUSES", "CHOICE_TYPES", "COHORT_COLUMNS", "CORE_COLUMNS",
    "DETAIL_COLUMNS", "DISTRACTOR_COLUMNS", "FINAL_ASSESSMENT", "ITEM_COLUMNS", "LEARNER_QUIZ_COLUMNS",
    "MIN_ANSWERS", "MIN_FOR_DISCRIMINATION", "NEGATIVE_DISCRIMINATION", "PRACTICE_STATUSES",
    "QUEUE_COLUMNS", "REGRADE_COLUMNS", "STATUSES", "SUMMARY_COLUMNS", "TOLERANCE", "TOO_EASY",
    "TOO_HARD", "Data", "Filters", "Report", "answers", "build", "cohort_summary", "distractors",
    "first_attempts", "item_analysis", "learner_quizzes", "learner_summary", "load",
    "progress_matrix", "record_review", "regrade", "restrict", "review_queue",
]
