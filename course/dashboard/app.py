"""The dashboard itself: :class:`Dashboard`, its widgets, the filters and refreshing, its parts combined in one class.

Each group of its methods is a mixin in the module of its sections (:mod:`~course.dashboard.presenting`,
:mod:`~course.dashboard.overview`, :mod:`~course.dashboard.questions`, :mod:`~course.dashboard.review`,
:mod:`~course.dashboard.exports`, :mod:`~course.dashboard.people`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import pandas as pd

from course import config, localtime, report
from course.bank import Course, course_cached
from course.dashboard.exports import ExportsMixin
from course.dashboard.formatting import ALL, STYLE, _day_start, plural
from course.dashboard.overview import OverviewMixin
from course.dashboard.people import PeopleMixin
from course.dashboard.presenting import PresentingMixin
from course.dashboard.questions import QuestionsMixin
from course.dashboard.review import ReviewMixin
from course.records import Learner, StoreError
from course.render import escape
from course.widgets import _guard

if TYPE_CHECKING:
    from course.store import ResultsStore

log = logging.getLogger("course.dashboard")


class Dashboard(PresentingMixin, OverviewMixin, QuestionsMixin, ReviewMixin, ExportsMixin, PeopleMixin):
    """The dashboard's widgets, refreshed together when a filter changes."""

    def __init__(self, store: ResultsStore | None = None, course: Course | None = None) -> None:
        self.hub_name: str | None = None
        self.unavailable: str | None = None
        if store is None and config.service_url():
            # on JupyterHub: the trainer's server has neither the database nor the banks; the course
            # service gives both to trainers, and records every action under the hub's name
            from course.remote_store import ServiceStore, course_from_service

            remote = ServiceStore.from_environment()
            store = remote
            try:
                self.hub_name = remote.actor
                course = course or course_from_service(remote.client)
            except StoreError as error:  # not a trainer, or the service is away: said on the page
                self.unavailable = str(error)
                course = Course({})
        if store is None:
            from course.store import ResultsStore

            store = ResultsStore()
        self.store = store
        self.course = course or course_cached()
        self.result: report.Report | None = None
        self.regraded: pd.DataFrame | None = None
        self.zone, self.zone_problem = localtime.clinic_zone()

        wide = {"description_width": "initial"}
        self.cohort = w.Dropdown(description="Cohort", options=[ALL], style=wide)
        self.learner = w.Dropdown(description="Learner", options=[ALL], style=wide)
        quizzes = sorted(self.course.banks.values(), key=lambda b: b.lesson)
        self.quiz = w.Dropdown(description="Lesson", options=[(ALL, ALL)] + [(b.title, b.quiz) for b in quizzes], style=wide)
        self.since = w.DatePicker(description="From", style=wide)
        self.until = w.DatePicker(description="To (inclusive)", style=wide)
        self.refresh_button = w.Button(description="Refresh", icon="refresh", tooltip="Read the results again")
        self.reviewer = w.Text(description="Your name", placeholder="Kept with your reviews and retakes", style=wide)
        if self.hub_name:
            self.reviewer.value, self.reviewer.disabled = self.hub_name, True  # the hub says who acts
        self.status = w.HTML("")
        self.status.add_class("dash-status")
        self.filters = w.VBox([
            w.HTML(STYLE),
            self._row([self.cohort, self.learner, self.quiz]),
            self._row([self.since, self.until, self.refresh_button]),
            self.reviewer,
            self.status,
        ])  # fmt: skip
        self.filters.add_class("dash-filters")

        self.overview = self._section("dash-overview")
        self.progress = self._section("dash-progress")
        self.scores = self._section("dash-scores")
        self.questions = self._section("dash-questions")
        self.options = self._section("dash-options")
        self.review = self._section("dash-review")
        self.regrading = self._section("dash-regrade")
        self.exports = self._section("dash-exports")
        self.learners = self._section("dash-learners")
        self.audit = self._section("dash-audit")

        for control in (self.cohort, self.learner, self.quiz, self.since, self.until):
            control.observe(self._filter_changed, names="value")
        self.refresh_button.on_click(lambda _: self._safely(self.refresh))
        self._updating = False
        if self.unavailable:
            self._say(f"The dashboard cannot be shown: {self.unavailable}", "error")
            return
        self._safely(self.refresh)

    # --- plumbing -----------------------------------------------------------------------------

    @staticmethod
    def _section(css: str) -> w.VBox:
        box = w.VBox(layout=w.Layout(width="100%"))
        box.add_class("dash-section")
        box.add_class(css)
        return box

    @staticmethod
    def _row(children: list[w.Widget]) -> w.HBox:
        """Widgets side by side that wrap onto the next line on a narrow screen."""
        row = w.HBox(children, layout=w.Layout(flex_flow="row wrap", max_width="100%"))
        row.add_class("dash-wrap")
        return row

    def _say(self, text: str, kind: str = "info") -> None:
        warning = f"<div class='dash-warning' role='alert'>{escape(self.zone_problem)}</div>" if self.zone_problem else ""
        self.status.value = f"{warning}<div class='dash-{kind}' role='status'>{escape(text)}</div>"

    def _safely(self, action: Callable[[], None]) -> None:
        with _guard(lambda text: self._say(text, "error")):
            try:
                action()
            except StoreError as error:
                self._say(f"The results database cannot be read: {error}", "error")

    def _filter_changed(self, _change: Any) -> None:
        if not self._updating:
            self._safely(self.refresh)

    def current_filters(self) -> report.Filters:
        """The filters as chosen in the widgets (days are the clinic's days, see :mod:`course.localtime`)."""
        return report.Filters(
            cohort=None if self.cohort.value == ALL else self.cohort.value,
            learner=None if self.learner.value == ALL else self.learner.value,
            quiz=None if self.quiz.value == ALL else self.quiz.value,
            since=_day_start(self.since.value, self.zone),
            until=_day_start(self.until.value, self.zone, end=True),
        )

    # --- refreshing -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the store again and redraw every section."""
        self.zone, self.zone_problem = localtime.clinic_zone()
        people = self.store.learners()
        self._update_choices(people)
        filters = self.current_filters()
        self.result = report.build(self.store, self.course, filters)
        self.regraded = report.regrade(self.result.data, self.course)
        r = self.result
        self._draw_overview(r)
        self._draw_progress(r)
        self._draw_scores(r)
        self._draw_questions(r)
        self._draw_options(r)
        self._draw_review(r)
        self._draw_regrade(self.regraded)
        self._draw_exports()
        self._draw_learners([p.name for p in people])
        self._draw_audit()
        self._say(f"{plural(len(r.learner_summary), 'learner')}, {plural(len(r.answers), 'answer')}, "
                  f"{plural(len(r.review_queue), 'written answer')} to review "
                  f"(read {self.when(datetime.now(timezone.utc))}, {localtime.zone_name(self.zone)} time).")

    def _update_choices(self, people: list[Learner]) -> None:
        """Fill the cohort and learner lists from the store's learners, keeping the current choice."""
        cohorts = sorted({p.cohort for p in people if p.cohort})
        names = [p.name for p in people if self.cohort.value == ALL or p.cohort == self.cohort.value]
        self._updating = True
        try:
            for dropdown, values in ((self.cohort, cohorts), (self.learner, names)):
                keep = dropdown.value
                dropdown.options = [ALL, *values]
                dropdown.value = keep if keep in values else ALL
        finally:
            self._updating = False
