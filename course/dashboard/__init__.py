"""The trainer dashboard: the report's tables and plots as widgets, with filters, review and exports.

Used by ``notebooks/trainer_dashboard.ipynb`` (in JupyterLab, or in Voila with ``make dashboard``)::

    from course.dashboard import Dashboard
    dash = Dashboard()
    dash.filters        # one cell each: the filters, then each section
    dash.overview

Every section is a widget that the filters refresh together, from one load of the store
(:func:`course.report.build`). Learner names, answers and comments are escaped wherever they are
shown as HTML. Exceptions inside callbacks are shown, logged and kept in
:data:`course.widgets.callback_errors`, as in the quizzes.

The report's tables keep their column names (the CSV exports and the command line rely on them).
This module only presents them: :data:`LABELS` gives each column the heading a trainer reads,
:data:`KINDS` the kind of its values, and one formatter per kind writes the values for people
(``83%``, ``30 Nov 2026, 14:02`` in the clinic's time zone, ``No cohort``, ``—`` when missing,
a question's prompt rather than its id).

The package's modules, one job each: :mod:`~course.dashboard.formatting` (the constants, the
headings and kinds of the report's columns, the formatters, the stylesheet),
:mod:`~course.dashboard.figures` (matplotlib figures as image widgets),
:mod:`~course.dashboard.app` (:class:`Dashboard`: its widgets, the filters, refreshing; its parts
combined in one class) and one module per group of its methods:
:mod:`~course.dashboard.presenting` (values, tables as HTML), :mod:`~course.dashboard.overview`
(overview, training status, progress, scores), :mod:`~course.dashboard.questions` (questions,
options), :mod:`~course.dashboard.review` (review, re-grading), :mod:`~course.dashboard.exports`
and :mod:`~course.dashboard.people` (learners, audit).
"""

from __future__ import annotations

from course.dashboard.app import Dashboard
from course.dashboard.formatting import (
    ALL,
    FORMATS,
    KINDS,
    LABELS,
    MISSING,
    STYLE,
    percent,
    plain_prompt,
    plural,
    review_score,
)

__all__ = [
    "Dashboard", "ALL", "LABELS", "KINDS", "percent", "plural",
    # also part of what the module offered (the formatters, the stylesheet, a review's typed score)
    "FORMATS", "MISSING", "STYLE", "plain_prompt", "review_score",
]
