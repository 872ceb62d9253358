"""Small helpers the report's tables share: codes of categoricals, dense ids, first attempts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from course.bank import Bank, Course, Question
from course.report.frame import DETAIL_COLUMNS, FINAL_ASSESSMENT, Data, Filters, Source, _load, restrict
from course.store import ResultsStore

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
