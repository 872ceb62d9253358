"""Every table of the report from one load."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from course.bank import Course
from course.report.common import _data, _first_rows
from course.report.frame import Data, Filters, Source
from course.report.items import _distractors, _item_analysis
from course.report.progress import _cohort_summary, _learner_quizzes, _learner_summary, _matrix, answers
from course.report.regrade import _review_queue

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
