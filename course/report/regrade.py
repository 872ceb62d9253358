"""Re-grading stored responses against the current banks, and the free-text answers waiting for a trainer."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from course.bank import Course
from course.grading import UngradableResponse, grade
from course.report.common import _categories, _codes, _data, _lookup, _owners, _plain
from course.report.frame import TOLERANCE, Data, Filters, Source, _load
from course.report.progress import answers
from course.store import ResultsStore

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
