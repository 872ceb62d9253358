"""What the report reads: the filters, the loaded :class:`Data` and the one read of the store (:func:`load`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Union

import numpy as np
import pandas as pd
from sqlalchemy import Integer, String, case, type_coerce
from sqlalchemy import exc as sa_exc
from sqlalchemy import select as sql_select

from course.bank import QUESTION_TYPES, Course
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
