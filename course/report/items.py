"""Item analysis (facility, discrimination, flags) and the options chosen, on first attempts."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from course.bank import Course, MultipleChoice, Question, SingleChoice, TrueFalse
from course.report.common import _banks, _categories, _codes, _data, _dense_ids, _first_rows, _lookup, _owners
from course.report.frame import (
    _SEP,
    CHOICE_TYPES,
    MIN_ANSWERS,
    MIN_FOR_DISCRIMINATION,
    NEGATIVE_DISCRIMINATION,
    TOO_EASY,
    TOO_HARD,
    Data,
    Filters,
    Source,
)

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
