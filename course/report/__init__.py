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

from course.records import StoreError
from course.report.build import Report, build
from course.report.common import first_attempts
from course.report.frame import (
    ANSWER_COLUMNS,
    ASSESSMENT_STATUSES,
    CHOICE_TYPES,
    CORE_COLUMNS,
    DETAIL_COLUMNS,
    FINAL_ASSESSMENT,
    MIN_ANSWERS,
    MIN_FOR_DISCRIMINATION,
    NEGATIVE_DISCRIMINATION,
    PRACTICE_STATUSES,
    STATUSES,
    TOLERANCE,
    TOO_EASY,
    TOO_HARD,
    Data,
    Filters,
    NothingMatches,
    Source,
    _assemble,
    _load,
    _read_attempts,
    _read_learners,
    _read_reviews,
    check_matches,
    load,
    restrict,
    window,
)
from course.report.items import DISTRACTOR_COLUMNS, ITEM_COLUMNS, distractors, item_analysis
from course.report.progress import (
    ASSESSMENT_COLUMNS,
    COHORT_COLUMNS,
    LEARNER_QUIZ_COLUMNS,
    NO_ROLE,
    SUMMARY_COLUMNS,
    answers,
    cohort_summary,
    learner_quizzes,
    learner_summary,
    progress_matrix,
)
from course.report.regrade import QUEUE_COLUMNS, REGRADE_COLUMNS, record_review, regrade, review_queue
from course.report.spreadsheet import csv_text, to_csv

__all__ = [
    "ANSWER_COLUMNS", "ASSESSMENT_COLUMNS", "ASSESSMENT_STATUSES", "CHOICE_TYPES", "COHORT_COLUMNS", "CORE_COLUMNS",
    "DETAIL_COLUMNS", "DISTRACTOR_COLUMNS", "FINAL_ASSESSMENT", "ITEM_COLUMNS", "LEARNER_QUIZ_COLUMNS",
    "MIN_ANSWERS", "MIN_FOR_DISCRIMINATION", "NEGATIVE_DISCRIMINATION", "PRACTICE_STATUSES",
    "QUEUE_COLUMNS", "REGRADE_COLUMNS", "STATUSES", "SUMMARY_COLUMNS", "TOLERANCE", "TOO_EASY",
    "TOO_HARD", "Data", "Filters", "Report", "answers", "build", "cohort_summary", "distractors",
    "first_attempts", "item_analysis", "learner_quizzes", "learner_summary", "load",
    "progress_matrix", "record_review", "regrade", "restrict", "review_queue",
    # also used by the course's other modules (the dashboard, the command line, the service, the export)
    "NO_ROLE", "NothingMatches", "Source", "StoreError", "check_matches", "csv_text", "to_csv", "window",
    "_assemble", "_load", "_read_attempts", "_read_learners", "_read_reviews",
]
