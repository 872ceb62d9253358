"""The answers table and progress: learner x quiz, the progress matrix, the learner and cohort summaries."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from course.bank import Course
from course.report.common import _banks, _categories, _codes, _data, _dense_ids, _final_bank, _first_rows, _lookup, _owners, _percent, _present
from course.report.frame import _NAT, _SEP, ANSWER_COLUMNS, ASSESSMENT_STATUSES, STATUSES, TOLERANCE, Data, Filters, Source

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
