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
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import math
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import pandas as pd

from course import config, localtime, report
from course.bank import Course, Matching, MultipleChoice, Ordering, SingleChoice, course_cached
from course.files import replace_file
from course.records import Learner, StoreError
from course.render import escape, inline, markdown
from course.roles import ROLES
from course.widgets import _guard

if TYPE_CHECKING:
    from course.store import ResultsStore

log = logging.getLogger("course.dashboard")

ALL = "(all)"
STATUS_COLOURS = {
    "not started": "#f2f2f2",
    "in progress": "#fff3c4",
    "done": "#c8e6c9",
    "not taken": "#f2f2f2",
    "passed": "#81c784",
    "awaiting review": "#bbdefb",
    "failed": "#ef9a9a",
}
TRAINING_COLOURS = {"current": "#c8e6c9", "due soon": "#fff3c4", "overdue": "#ffcc80", "expired": "#ef9a9a", "not trained": "#f2f2f2"}
REVIEWS_SHOWN = 25
LINK_LIMIT = 20 * 1024 * 1024  # larger exports are written to a file only, not offered as a link
MISSING = localtime.MISSING  # "—"
PROMPT_LENGTH = 90  # characters of a question's prompt shown where the question is named

# --- how a trainer reads the report's columns -------------------------------------------------

LABELS: dict[str, str] = {
    # people and cohorts (report.learner_summary, report.cohort_summary)
    "learner": "Learner",
    "cohort": "Cohort",
    "role": "Role",
    "track_lessons_done": "Lessons done for the role",
    "track_pct": "Answered for the role",
    "learners": "Learners",
    "started": "Started",
    "completed": "Finished every lesson",
    "passed": "Passed the final assessment",
    "mean_score": "Average first-try score",
    "mean_assessment_pct": "Average final assessment score",
    "lessons_started": "Lessons started",
    "lessons_completed": "Lessons done",
    "attempts": "Answers given",
    "last_activity": "Last active",
    "score_pct": "First-try score",
    "assessment_status": "Final assessment",
    "assessment_pct": "Final assessment score",
    "assessment_critical_missed": "Safety questions missed",
    "assessment_pending": "Awaiting your review",
    # questions (report.item_analysis, report.distractors)
    "quiz": "Lesson",
    "question": "Question",
    "type": "Kind of question",
    "critical": "Safety-critical",
    "n": "Learners who answered",
    "pending": "Awaiting your review",
    "facility": "First-try score",
    "discrimination": "Stronger learners did better",
    "flags": "Flag",
    "text": "Answer option",
    "correct": "Right answer",
    "chosen": "Chosen by",
    "share": "Share who chose it",
    # re-grading (report.regrade)
    "answered_at": "Answered",
    "response": "Answer stored",
    "stored_score": "Score stored",
    "regraded_score": "Score now",
    "max_score": "Out of",
    "reason": "Why it differs",
    # training status (course.recert.table)
    "training_status": "Training",
    "due": "Due",
    "action": "What to do",
    "passed_on": "Last passed",
    "valid_until": "Valid until",
    "lessons_due": "Lessons due",
}
"""The heading a trainer reads for each report column the dashboard shows."""

KINDS: dict[str, str] = {
    "learner": "name",
    "cohort": "cohort",
    "learners": "count",
    "started": "count",
    "completed": "count",
    "passed": "count",
    "mean_score": "percent",
    "mean_assessment_pct": "percent",
    "lessons_started": "count",
    "lessons_completed": "count",
    "track_lessons_done": "count",
    "track_pct": "percent",
    "attempts": "count",
    "last_activity": "time",
    "score_pct": "percent",
    "assessment_status": "status",
    "assessment_pct": "percent",
    "assessment_critical_missed": "questions",
    "assessment_pending": "count",
    "quiz": "lesson",
    "question": "question",
    "type": "question type",
    "critical": "yes/no",
    "n": "count",
    "pending": "count",
    "facility": "share",
    "discrimination": "discrimination",
    "flags": "flags",
    "text": "long text",
    "correct": "yes/no",
    "chosen": "count",
    "share": "share",
    "answered_at": "time",
    "response": "long text",
    "stored_score": "score",
    "regraded_score": "score",
    "max_score": "score",
    "reason": "long text",
    "training_status": "training",
    "due": "time",
    "action": "long text",
    "passed_on": "time",
    "valid_until": "time",
    "lessons_due": "lessons",
}
"""The kind of value in each column the dashboard shows: which formatter writes it."""

NUMERIC_KINDS = {"count", "percent", "share", "score"}  # right-aligned, never wrapped
CELL_CLASSES = {"name": "dash-nowrap", "cohort": "dash-nowrap", "time": "dash-nowrap", "status": "dash-nowrap",
                "question": "dash-question", "questions": "dash-question", "long text": "dash-long"}
QUESTION_TYPE_NAMES = {
    "single_choice": "Pick one",
    "multiple_choice": "Select all that apply",
    "true_false": "True or false",
    "numeric": "Number",
    "ordering": "Put in order",
    "matching": "Matching",
    "free_text": "Written answer",
}
FLAG_NAMES = {
    "too easy": "Too easy",
    "too hard": "Too hard",
    "negative discrimination": "Stronger learners did worse: check the key and wording",
    "few answers": "Too few answers yet",
}
ACTIONABLE_FLAGS = ("too easy", "too hard", "negative discrimination")


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 learner``, ``2 learners``, ``1,024 answers`` (``nouns``: an irregular plural)."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


def percent(value: Any) -> str:
    """A percentage in whole percent, rounded down, so that 79.6% never reads as a pass mark of 80%."""
    if _missing(value):
        return MISSING
    return f"{math.floor(float(value) + 1e-9):d}%"


def _count(value: Any) -> str:
    return MISSING if _missing(value) else f"{int(value):,}"


def _score(value: Any) -> str:
    return MISSING if _missing(value) else f"{float(value):g}"


def _text(value: Any) -> str:
    return MISSING if _missing(value) else str(value)


def _cohort(value: Any) -> str:
    return "No cohort" if _missing(value) else str(value)


def _yes_no(value: Any) -> str:
    return MISSING if _missing(value) else ("Yes" if bool(value) else "No")


def _status(value: Any) -> str:
    return MISSING if _missing(value) else str(value)[:1].upper() + str(value)[1:]


def _discrimination(value: Any) -> str:
    """Pearson r in words (Moodle's guidance: 0.3 or more discriminates well), with the figure."""
    if _missing(value):
        return MISSING
    r = float(value)
    words = "clearly" if r >= 0.3 else "slightly" if r >= 0 else "no, the reverse"
    return f"{words} ({r:+.2f})".replace("-", "−")


def _flags(value: Any) -> str:
    if _missing(value):
        return MISSING
    return "; ".join(FLAG_NAMES.get(flag, flag) for flag in str(value).split(", ") if flag)


FORMATS: dict[str, Callable[[Any], str]] = {
    "text": _text,
    "long text": _text,
    "name": _text,
    "cohort": _cohort,
    "count": _count,
    "percent": percent,
    "share": lambda v: MISSING if _missing(v) else percent(100 * float(v)),
    "score": _score,
    "yes/no": _yes_no,
    "status": _status,
    "question type": lambda v: MISSING if _missing(v) else QUESTION_TYPE_NAMES.get(str(v), str(v)),
    "discrimination": _discrimination,
    "flags": _flags,
    "training": lambda v: MISSING if _missing(v) else str(v).capitalize(),
}
"""One formatter per kind of value that needs nothing but the value (see :meth:`Dashboard.format`)."""


def plain_prompt(prompt: str, limit: int = PROMPT_LENGTH) -> str:
    """A question's Markdown prompt as one line of plain text, cut at a word with "…" past ``limit``."""
    text = html.unescape(re.sub(r"<[^>]+>", "", inline(" ".join(prompt.split()))))
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.–—-")
    return cut + "…"


def _day_start(value: Any, where: Any, *, end: bool = False) -> datetime | None:
    """A DatePicker's day as the first moment of that day in the clinic's zone (``end``: of the next day)."""
    if value is None:
        return None
    day = value + pd.Timedelta(days=1).to_pytimedelta() if end else value
    return localtime.start_of_day(day, where)


STYLE = """<style>
.dash-filters, .dash-section { max-width: 100%; }
.dash-section .widget-html, .dash-section .widget-html-content,
.dash-filters .widget-html, .dash-filters .widget-html-content { min-width: 0; max-width: 100%; }
.dash-scroll {
  overflow-x: auto; max-width: 100%;
  /* a shadow at an edge where the table goes on: it scrolls sideways */
  background: linear-gradient(to right, var(--jp-layout-color0, #fff) 30%, transparent) left / 2em 100% no-repeat local,
              linear-gradient(to left, var(--jp-layout-color0, #fff) 30%, transparent) right / 2em 100% no-repeat local,
              radial-gradient(farthest-side at 0 50%, rgba(0, 0, 0, .25), transparent) left / .7em 100% no-repeat scroll,
              radial-gradient(farthest-side at 100% 50%, rgba(0, 0, 0, .25), transparent) right / .7em 100% no-repeat scroll;
}
.dash-table { border-collapse: collapse; margin: .2em 0 .8em; line-height: 1.35; }
.dash-table th, .dash-table td { padding: .3em .6em; text-align: left; vertical-align: top; }
.dash-table thead th { border-bottom: 2px solid #9e9e9e; vertical-align: bottom; }
.dash-table tbody tr + tr > * { border-top: 1px solid #e0e0e0; }
.dash-table .dash-num { text-align: right; white-space: nowrap; }
.dash-table th.dash-num { white-space: normal; }
.dash-table .dash-nowrap { white-space: nowrap; }
.dash-table .dash-question { min-width: 14em; max-width: 30em; }
.dash-table .dash-long { min-width: 12em; max-width: 30em; }
.dash-matrix th[scope='row'] { position: sticky; left: 0; background: var(--jp-layout-color0, #fff); }
.dash-answer { border-left: 3px solid #90caf9; background: #f5f9ff; margin: .4em 0; padding: .3em .8em; }
.dash-id { color: #757575; font-size: 85%; overflow-wrap: anywhere; }
.dash-note { color: #424242; }
.dash-error { color: #b71c1c; }
.dash-warning { color: #8a5300; }
.dash-ok { color: #1b5e20; }
.dash-plot { max-width: 100%; height: auto; }
.dash-review-card { border-top: 1px solid #e0e0e0; padding: .5em 0; }
.dash-wrap { flex-wrap: wrap; gap: .2em 0; }
</style>"""


class Dashboard:
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

    # --- presenting values ---------------------------------------------------------------------

    def when(self, moment: Any) -> str:
        """A time as a trainer reads it: the clinic's time zone, to the minute (``30 Nov 2026, 14:02``)."""
        return localtime.format_time(moment, self.zone)

    def lesson_title(self, quiz: Any) -> str:
        """A quiz id as its lesson's title (the id itself for a quiz no longer in the course)."""
        if _missing(quiz):
            return MISSING
        bank = self.course.banks.get(str(quiz))
        return bank.title if bank is not None else str(quiz)

    def question_text(self, question: Any) -> str:
        """A question id as the start of its prompt (the id itself for a question no longer in the course)."""
        if _missing(question):
            return MISSING
        try:
            return plain_prompt(self.course.question(str(question))[1].prompt)
        except KeyError:
            return f"{question} (no longer in the course)"

    def answer_text(self, question: Any, response: Any) -> str:
        """A stored response (JSON text) in the words the learner saw: option texts, items in order, pairs."""
        try:
            value = json.loads(response)
        except (TypeError, ValueError):
            return _text(response)
        try:
            q = self.course.question(str(question))[1]
        except KeyError:
            q = None
        texts: dict[str, str] = {}
        if isinstance(q, (SingleChoice, MultipleChoice)):
            texts = {o.id: o.text for o in q.options}
        elif isinstance(q, Ordering):
            texts = {i.id: i.text for i in q.items}
        elif isinstance(q, Matching):
            texts = {**{p.id: p.left for p in q.pairs}, **{f"right:{i.id}": i.text for i in q.right_items()}}
        if isinstance(value, dict):
            return "; ".join(f"{texts.get(str(k), k)} → {texts.get(f'right:{v}', v)}" for k, v in value.items())
        if isinstance(value, list):
            return (" → " if isinstance(q, Ordering) else "; ").join(texts.get(str(v), str(v)) for v in value) or MISSING
        if isinstance(value, bool):
            return "True" if value else "False"
        if isinstance(value, float):
            return f"{value:g}"
        return texts.get(str(value), _text(value))

    def format(self, column: str, value: Any) -> str:
        """A value of a report column as plain text for people (one formatter per kind of value)."""
        kind = KINDS.get(column, "text")
        if kind == "time":
            return self.when(value)
        if kind == "lesson":
            return self.lesson_title(value)
        if kind == "question":
            return self.question_text(value)
        if kind == "questions":
            ids = [] if _missing(value) else [q for q in str(value).split(", ") if q]
            return "; ".join(self.question_text(q) for q in ids) if ids else MISSING
        if kind == "lessons":
            ids = [] if _missing(value) else [q for q in str(value).split(", ") if q]
            return "; ".join(self.lesson_title(q) for q in ids) if ids else MISSING
        return FORMATS[kind](value)

    def _cell(self, column: str, value: Any) -> str:
        kind = KINDS.get(column, "text")
        css = "dash-num" if kind in NUMERIC_KINDS else CELL_CLASSES.get(kind, "")
        body = escape(self.format(column, value))
        if kind == "question" and not _missing(value):  # which question exactly: its id, as in the exports and the banks
            body += f"<div class='dash-id'>{escape(value)}</div>"
        if kind == "training" and not _missing(value):
            return f"<td class='dash-nowrap' style='background:{TRAINING_COLOURS.get(str(value), '#fff')}'>{body}</td>"
        return f"<td class='{css}'>{body}</td>" if css else f"<td>{body}</td>"

    def table(self, name: str) -> pd.DataFrame:
        """One of the dashboard's tables, as filtered now, with the report's own columns (as exported)."""
        r = self.result
        assert r is not None and self.regraded is not None
        frames = {
            "learners": r.learner_summary,
            "progress": r.progress_pct.reset_index(),
            "questions": r.item_analysis,
            "options": r.distractors,
            "answers": r.answers,
            "review-queue": r.review_queue,
            "regrade": self.regraded,
        }
        return frames[name]

    def html_table(self, frame: pd.DataFrame, columns: Iterable[str], *, css: str, empty: str, max_rows: int = 500) -> str:
        """Some columns of a report table as HTML a trainer reads: headings from :data:`LABELS`, values formatted, escaped."""
        if frame.empty:
            return f"<p class='dash-empty'>{escape(empty)}</p>"
        columns = list(columns)
        right = " class='dash-num'"
        head = "".join(f"<th{right if KINDS.get(c) in NUMERIC_KINDS else ''} scope='col'>{escape(LABELS[c])}</th>" for c in columns)
        rows = [
            "<tr>" + "".join(self._cell(c, v) for c, v in zip(columns, values)) + "</tr>"
            for values in frame[columns].head(max_rows).itertuples(index=False, name=None)
        ]
        more = f"<p>Showing {max_rows:,} of {plural(len(frame), 'row')}; export the table for all of them.</p>" if len(frame) > max_rows else ""
        return (f"<div class='dash-scroll'><table class='dash-table {css}'><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table></div>{more}")

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

    # --- sections -------------------------------------------------------------------------------

    def _draw_overview(self, r: report.Report) -> None:
        people = r.learner_summary
        if len(people):  # the table's column says "Role": a learner without one shows a dash, not three words
            people = people.assign(role=people["role"].where(people["role"] != report.NO_ROLE, "—"))
        lessons = int(people["lessons_total"].max()) if len(people) else 0
        note = f"<p class='dash-note'>{LABELS['lessons_completed']}: of the {plural(lessons, 'lesson')} with a practice quiz.</p>" if lessons else ""
        self.overview.children = [
            w.HTML("<h4>Cohorts</h4>" + self.html_table(r.cohort_summary, report.COHORT_COLUMNS, css="dash-cohorts", empty="No learners yet.")),
            w.HTML("<h4>Learners</h4>" + self.html_table(people, [
                "learner", "cohort", "role", "lessons_completed", "track_pct", "score_pct", "assessment_status", "assessment_pct",
                "assessment_critical_missed", "assessment_pending", "last_activity",
            ], css="dash-learners-table", empty="No learners match the filters.") + note),
            w.HTML(self._training_html()),
        ]  # fmt: skip

    def due_frame(self) -> pd.DataFrame | None:
        """Each learner's training state (course.recert), as filtered now; None when it cannot be had."""
        from course import trainer

        filters = self.current_filters()
        chosen = report.Filters(cohort=filters.cohort, learner=filters.learner)
        try:
            if hasattr(self.store, "client"):  # on JupyterHub: the course service works it out
                return self.store.client.table("due", chosen)
            return trainer.due_table(self.store, self.course, chosen)
        except (LookupError, StoreError, trainer.TrainerError) as error:
            self.training_problem = str(error)
            return None

    def _training_html(self) -> str:
        """Who is current, due soon, overdue, expired or not trained: the most urgent first."""
        self.training_problem = None
        frame = self.due_frame()
        if frame is None:
            return f"<h4>Training status</h4><p class='dash-empty'>Not available: {escape(self.training_problem or '')}</p>"
        counts = frame["training_status"].value_counts() if len(frame) else {}
        summary = ", ".join(f"{int(counts[s])} {s}" for s in ("expired", "overdue", "due soon", "not trained", "current") if s in counts)
        legend = " ".join(f"<span style='background:{c};padding:0 .4em;white-space:nowrap'>{escape(s.capitalize())}</span>" for s, c in TRAINING_COLOURS.items())
        return ("<h4>Training status</h4>" + (f"<p>{escape(summary)}.</p>" if summary else "")
                + self.html_table(frame, ["learner", "training_status", "due", "action", "cohort", "valid_until"], css="dash-training", empty="No learners match the filters.")
                + f"<p class='dash-note'>{legend} — set due dates and how long a pass is valid with <code>course due</code>.</p>")

    def _draw_progress(self, r: report.Report) -> None:
        matrix = r.progress_matrix
        pct = r.progress_pct
        if matrix.empty or not len(matrix.columns):
            self.progress.children = [w.HTML("<p class='dash-empty'>No learners match the filters.</p>")]
            return
        head = "".join(f"<th scope='col'>{escape(self.lesson_title(q))}</th>" for q in matrix.columns)
        rows = []
        for learner, statuses in matrix.iterrows():
            cells = []
            for quiz, status in statuses.items():
                value = pct.at[learner, quiz]
                label = escape(_status(status)) + ("" if _missing(value) else f" ({percent(value)})")
                cells.append(f"<td class='dash-nowrap' style='background:{STATUS_COLOURS.get(str(status), '#fff')}'>{label}</td>")
            rows.append(f"<tr><th scope='row'>{escape(str(learner))}</th>{''.join(cells)}</tr>")
        legend = " ".join(f"<span style='background:{c};padding:0 .4em;white-space:nowrap'>{escape(_status(s))}</span>" for s, c in STATUS_COLOURS.items())
        html_ = (f"<div class='dash-scroll'><table class='dash-table dash-matrix'><thead><tr><th scope='col'>Learner</th>{head}</tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table></div><p>{legend}</p>")
        self.progress.children = [w.HTML(html_)]

    def _draw_scores(self, r: report.Report) -> None:
        summary = r.learner_summary
        first = summary["score_pct"].dropna()
        final = summary["assessment_pct"].dropna()
        if first.empty and final.empty:
            self.scores.children = [w.HTML("<p class='dash-empty'>No scores yet.</p>")]
            return
        figure = _new_figure()
        axes = figure.subplots(1, 2, sharey=True)
        bins = list(range(0, 101, 10))
        for ax, values, title in ((axes[0], first, "Practice quizzes, first tries"), (axes[1], final, "Final assessment, last sitting")):
            ax.hist(values, bins=bins, color="#5c6bc0", edgecolor="white")
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("Score (%)")
            ax.set_xlim(0, 100)
        axes[0].set_ylabel("Learners")
        from matplotlib.ticker import MaxNLocator

        axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
        if self.course.banks.get(report.FINAL_ASSESSMENT) is not None:
            mark = self.course.bank(report.FINAL_ASSESSMENT).pass_mark or 0
            axes[1].axvline(mark, color="#b71c1c", linestyle="--", label=f"pass mark {mark:g}%")
            axes[1].legend(fontsize=8, loc="upper left")
        caption = (f"How many learners scored how much: {plural(len(first), 'learner')} with a first-try score on the practice quizzes, "
                   f"{plural(len(final), 'learner')} who took the final assessment.")
        self.scores.children = [_figure_image(figure, caption)]

    def _draw_questions(self, r: report.Report) -> None:
        items = r.item_analysis
        answered = items[items["n"] > 0]
        flags = items["flags"].fillna("")
        to_look_at = items[flags.map(lambda f: any(flag in ACTIONABLE_FLAGS for flag in f.split(", ")))]
        few = int((flags == "few answers").sum())
        unanswered = int((items["n"] == 0).sum())
        parts: list[w.Widget] = []
        if not answered.empty:
            figure = _new_figure(6.5, 4)
            ax = figure.subplots()
            ax.scatter(100 * answered["facility"], answered["discrimination"], s=18 + 4 * answered["n"].clip(upper=30), alpha=0.6, color="#00897b")
            ax.axhline(0, color="#b71c1c", linewidth=0.8)
            for x in (report.TOO_HARD, report.TOO_EASY):
                ax.axvline(100 * x, color="grey", linestyle=":", linewidth=0.8)
            ax.set_xlim(-2, 102)
            ax.set_xlabel("First-try score (%): share of the marks learners earned")
            ax.set_ylabel("Stronger learners did better\n(discrimination, −1 to 1)")
            ax.set_title("Each question: how hard, and whether stronger learners did better", fontsize=10)
            parts.append(_figure_image(
                figure,
                f"Each dot is a question (bigger: more learners). Left of the dotted line at {report.TOO_HARD:.0%}: too hard; "
                f"right of the one at {report.TOO_EASY:.0%}: too easy; below the red line: stronger learners did worse on it. "
                f"A question answered by fewer than {report.MIN_FOR_DISCRIMINATION} learners has no dot.",
            ))
        columns = ["quiz", "question", "critical", "n", "facility", "discrimination", "flags"]
        look = self.html_table(to_look_at, columns, css="dash-flagged", empty="No question stands out so far.")
        waiting = []
        if few:
            waiting.append(f"{plural(few, 'question')} {'has' if few == 1 else 'have'} fewer answers than that")
        if unanswered:
            waiting.append(f"{plural(unanswered, 'question')} {'has' if unanswered == 1 else 'have'} none")
        note = (f"<p class='dash-note'>A question is judged once at least {report.MIN_ANSWERS} learners have answered it. "
                f"So far {' and '.join(waiting)}.</p>") if waiting else ""
        parts.append(w.HTML("<h4>Questions to look at</h4>" + look + note))
        every = self.html_table(items, ["quiz", "question", "type", "critical", "n", "pending", "facility", "discrimination", "flags"],
                                css="dash-items", empty="The course has no questions.")
        parts.append(w.HTML(f"<details><summary><b>Every question</b> ({plural(len(items), 'row')}: click to show)</summary>{every}</details>"))
        self.questions.children = parts

    def _draw_options(self, r: report.Report) -> None:
        table = r.distractors
        answered = table[table["n"] > 0]
        pairs = list(answered[["quiz", "question"]].drop_duplicates().itertuples(index=False, name=None))
        if not pairs:
            self.options.children = [w.HTML("<p class='dash-empty'>No choice question has been answered yet.</p>")]
            return
        choices = [(f"{self.lesson_title(quiz)}: {self.question_text(q)}", (quiz, q)) for quiz, q in pairs]
        pick = w.Dropdown(description="Question", options=choices, style={"description_width": "initial"}, layout=w.Layout(width="auto", max_width="100%"))
        body = w.HTML()

        def show(_change: Any = None) -> None:
            quiz, question = pick.value
            rows = table[(table["quiz"] == quiz) & (table["question"] == question)]
            rows = rows.assign(text=[t if isinstance(t, str) else f"(option “{o}”, no longer in the question)" for o, t in zip(rows["option"], rows["text"])])
            try:
                prompt = markdown(self.course.question(question)[1].prompt)
            except KeyError:
                prompt = "<p>(no longer in the course)</p>"
            n = int(rows["n"].max()) if len(rows) else 0
            body.value = (f"<div class='dash-prompt'>{prompt}</div><p class='dash-note'>{plural(n, 'learner')} answered it "
                          f"({escape(self.lesson_title(quiz))}, first tries).</p>"
                          + self.html_table(rows, ["text", "correct", "chosen", "share"], css="dash-distractors", empty="No answers."))

        pick.observe(lambda change: self._safely(show), names="value")
        show()
        self.options.children = [pick, body]

    def _draw_review(self, r: report.Report) -> None:
        queue = r.review_queue
        if queue.empty:
            self.review.children = [w.HTML("<p class='dash-empty'>No written answers wait for a review.</p>")]
            return
        shown = f" (the first {REVIEWS_SHOWN} shown)" if len(queue) > REVIEWS_SHOWN else ""
        verb = "waits" if len(queue) == 1 else "wait"
        cards: list[w.Widget] = [w.HTML(f"<p>{plural(len(queue), 'written answer')} {verb} for a review, oldest first{shown}.</p>")]
        for row in queue.head(REVIEWS_SHOWN).itertuples(index=False):
            cards.append(self._review_card(row))
        self.review.children = cards

    def _review_card(self, row: Any) -> w.Widget:
        prompt = markdown(row.prompt) if isinstance(row.prompt, str) else "<p>(question no longer in the course)</p>"
        model = markdown(row.model_answer) if isinstance(row.model_answer, str) else ""
        answer = escape(str(row.answer)).replace("\n", "<br>")
        top = row.max_score
        header = w.HTML(
            f"<div class='dash-review-item'><b>{escape(str(row.learner))}</b> · {escape(self.lesson_title(row.quiz))} · "
            f"{escape(self.when(row.answered_at))}<div class='dash-prompt'>{prompt}</div>"
            f"<blockquote class='dash-answer'>{answer}</blockquote>"
            f"<details><summary>What a good answer says</summary>{model}</details></div>"
        )
        score = w.Text(value="", placeholder=f"0 to {top:g}", description=f"Score (0 to {top:g})", style={"description_width": "initial"}, layout=w.Layout(width="13em"))
        comment = w.Textarea(placeholder="Comment for the learner (optional)", description="Comment", layout=w.Layout(width="100%", max_width="40em"))
        save = w.Button(description="Save review", button_style="primary", icon="check")
        message = w.HTML("")
        card = w.VBox([header, self._row([score, save]), comment, message])
        card.add_class("dash-review-card")
        card.add_class(f"dash-review-{row.key}")

        def refuse(text: str) -> None:
            message.value = f"<div class='dash-error' role='alert'>{escape(text)}</div>"

        def saved(_button: w.Button) -> None:
            with _guard(refuse):
                value, problem = review_score(score.value, top)
                if problem:
                    refuse(problem)
                    return
                if not self.reviewer.value.strip():
                    refuse("Type your name in “Your name” at the top first.")
                    return
                try:
                    report.record_review(self.store, row.key, value, self.reviewer.value.strip(), comment.value)
                except StoreError as error:
                    refuse(str(error))
                    return
                message.value = f"<div class='dash-ok' role='status'>Saved: {value:g} of {top:g}.</div>"
                save.disabled = score.disabled = True

        save.on_click(saved)
        return card

    def _draw_regrade(self, regraded: pd.DataFrame) -> None:
        # What a row here means is the notebook's text above this section (not repeated here).
        columns = ["learner", "quiz", "question", "answered_at", "response", "stored_score", "regraded_score", "max_score", "reason"]
        readable = regraded.assign(response=[self.answer_text(q, a) for q, a in zip(regraded["question"], regraded["response"])])
        self.regrading.children = [w.HTML(self.html_table(readable, columns, css="dash-regrade-table", empty="Every stored score agrees with the current question banks."))]

    def _draw_exports(self) -> None:
        tables = {
            "learners": "Learners (summary)",
            "progress": "Progress matrix",
            "questions": "Item analysis",
            "options": "Options chosen",
            "answers": "Every answer",
            "review-queue": "Written answers to review",
            "regrade": "Re-grading mismatches",
        }
        buttons = []
        self.export_result = w.HTML("")
        for name, title in tables.items():
            button = w.Button(description=f"{title} (CSV)", layout=w.Layout(width="auto"))
            button.on_click(lambda _b, name=name: self._safely(lambda: self.export(name)))
            buttons.append(button)
        xapi = w.Button(description="xAPI statements (JSON)", layout=w.Layout(width="auto"))
        xapi.on_click(lambda _b: self._safely(lambda: self.export("xapi")))
        buttons.append(xapi)
        self.exports.children = [self._row(buttons), self.export_result]

    def export(self, name: str) -> Path:
        """Write a table (CSV) or the xAPI statements (JSON) under the data folder; offer a download link."""
        folder = config.data_dir() / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = localtime.local(datetime.now(timezone.utc), self.zone).strftime("%Y%m%d-%H%M%S")
        if name == "xapi":
            from course import xapi

            path = folder / f"xapi-{stamp}.json"
            since = self.current_filters().since
            if hasattr(self.store, "client"):  # on JupyterHub: the course service has the reviews and the actors' key
                statements = iter(self.store.client.xapi(homepage=xapi.DEFAULT_HOMEPAGE, since=since))
            else:
                statements = xapi.iter_statements(self.store, self.course, since=since)
            xapi.write(statements, path)
            mime = "application/json"
        else:
            path = replace_file(folder / f"{name}-{stamp}.csv", report.to_csv(self.table(name)))
            mime = "text/csv"
        size = path.stat().st_size
        link = ""
        if size <= LINK_LIMIT:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            link = f" <a download='{escape(path.name)}' href='data:{mime};base64,{data}'>Download {escape(path.name)}</a>"
        self.export_result.value = f"<p class='dash-export-done'>Written to <code>{escape(str(path))}</code> ({plural(size, 'byte')}).{link}</p>"
        return path

    def _draw_learners(self, names: list[str]) -> None:
        if not names:
            self.learners.children = [w.HTML("<p class='dash-empty'>No learners yet.</p>")]
            return
        who = w.Dropdown(description="Learner", options=names, style={"description_width": "initial"})
        cohort = w.Text(description="Cohort", placeholder="e.g. 2026-11 nurses", style={"description_width": "initial"})
        set_cohort = w.Button(description="Set cohort", icon="users")
        role = w.Dropdown(description="Role", options=[("Role not given", ""), *((name, r) for r, name in ROLES.items())], style={"description_width": "initial"})
        role.add_class("dash-role")
        set_role = w.Button(description="Set role", icon="id-badge")
        retake = w.Button(description="Allow a retake of the final assessment", icon="redo", layout=w.Layout(width="auto", max_width="100%", align_self="flex-start"))
        message = w.HTML("")

        reason = w.Text(description="Why", placeholder="e.g. trained elsewhere", tooltip="Why the lessons are waived (kept in the audit trail)", style={"description_width": "initial"}, layout=w.Layout(width="auto", max_width="100%"))
        waive = w.Button(description="Open the final assessment early", tooltip="Let the learner sit the final assessment before finishing the lessons", layout=w.Layout(width="auto", max_width="100%", align_self="flex-start"))

        def on_cohort(_b: w.Button) -> None:
            chosen = cohort.value.strip()
            self.store.set_cohort(who.value, chosen or None, by=self.reviewer.value.strip() or None)
            said = f"cohort “{escape(chosen)}”" if chosen else "no cohort"
            message.value = f"<div class='dash-ok' role='status'>{escape(who.value)}: {said}.</div>"

        def on_role(_b: w.Button) -> None:
            self.store.set_role(who.value, role.value or None, by=self.reviewer.value.strip() or None)
            said = f"role {ROLES[role.value]}" if role.value else "role not given"
            message.value = f"<div class='dash-ok' role='status'>{escape(who.value)}: {escape(said)}. Their progress and final assessment follow it.</div>"

        def on_retake(_b: w.Button) -> None:
            if not self.reviewer.value.strip():
                message.value = "<div class='dash-error' role='alert'>Type your name in “Your name” at the top first.</div>"
                return
            self.store.allow_retake(who.value, report.FINAL_ASSESSMENT, trainer=self.reviewer.value.strip())
            message.value = f"<div class='dash-ok' role='status'>{escape(who.value)} may take the final assessment once more.</div>"

        def on_waive(_b: w.Button) -> None:
            if not self.reviewer.value.strip():
                message.value = "<div class='dash-error' role='alert'>Type your name in “Your name” at the top first.</div>"
                return
            if not reason.value.strip():
                message.value = "<div class='dash-error' role='alert'>Say why in “Why” (it is kept in the audit trail).</div>"
                return
            self.store.waive(who.value, report.FINAL_ASSESSMENT, by=self.reviewer.value.strip(), reason=reason.value.strip())
            message.value = f"<div class='dash-ok' role='status'>{escape(who.value)} may sit the final assessment before finishing the lessons.</div>"

        set_cohort.on_click(lambda b: self._safely(lambda: on_cohort(b)))
        set_role.on_click(lambda b: self._safely(lambda: on_role(b)))
        retake.on_click(lambda b: self._safely(lambda: on_retake(b)))
        waive.on_click(lambda b: self._safely(lambda: on_waive(b)))
        self.learners.children = [self._row([who, cohort, set_cohort]), self._row([role, set_role]), retake, reason, waive, message]

    def _draw_audit(self, shown: int = 100) -> None:
        """The trainers' actions, newest first: who, when, what, and what changed."""
        entries = list(reversed(self.store.audit()))
        if not entries:
            self.audit.children = [w.HTML("<p class='dash-empty'>No trainer actions recorded yet.</p>")]
            return
        words = {"review": "scored a written answer", "retake": "allowed a retake", "cohort": "set the cohort", "role": "set the role", "waiver": "opened the final assessment early", "certificate": "issued a certificate",
                 "revocation": "revoked a certificate", "due_date": "set a due date", "setting": "changed a course setting"}
        rows = []
        for e in entries[:shown]:
            change = _change_text(e.before, e.after)
            rows.append(
                f"<tr><td>{escape(self.when(e.at))}</td><td>{escape(e.actor)}</td><td>{escape(words.get(e.action, e.action))}</td>"
                f"<td>{escape(e.learner or '—')}</td><td>{escape(change)}</td></tr>"
            )
        more = f"<p>The latest {shown} of {plural(len(entries), 'action')}; `course audit` lists them all.</p>" if len(entries) > shown else ""
        self.audit.children = [w.HTML(
            "<div class='dash-scroll'><table class='dash-table dash-audit-table'><thead><tr><th scope='col'>When</th><th scope='col'>Who</th>"
            f"<th scope='col'>What</th><th scope='col'>Learner</th><th scope='col'>Change</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>{more}"
        )]


def _change_text(before: Any, after: Any) -> str:
    """An audit entry's change in words: ``score 1 → 2``, ``cohort none → 2026-11 nurses``."""
    def shown(value: Any) -> str:
        return "none" if value is None or value == "" else f"{value:g}" if isinstance(value, float) else str(value)

    if isinstance(after, dict):
        keys = [k for k in after if k not in ("question", "course_version")]
        parts = []
        for k in keys:
            old = before.get(k) if isinstance(before, dict) else None
            parts.append(f"{k} {shown(old)} → {shown(after[k])}" if isinstance(before, dict) and k in before else f"{k}: {shown(after[k])}")
        return "; ".join(parts)
    return shown(after)


def review_score(typed: str, maximum: float) -> tuple[float, str | None]:
    """A trainer's typed score (``1``, ``1.5``, ``1,5``) and None; or NaN and the one-line reason it cannot be stored."""
    ask = f"Type a score from 0 to {maximum:g}."
    text = (typed or "").strip()
    if not text:
        return math.nan, ask
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return math.nan, f"“{text}” is not a number. {ask}"
    if not math.isfinite(value):
        return math.nan, f"“{text}” is not a number. {ask}"
    if value < 0 or value > maximum + report.TOLERANCE:
        return math.nan, f"{value:g} is outside 0 to {maximum:g}. {ask}"
    return value, None


def _figure_image(figure: Any, alt: str) -> w.Widget:
    """A matplotlib figure as a PNG image widget with a caption (works in JupyterLab, Voila, nbclient)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    image = w.Image(value=buffer.getvalue(), format="png", layout=w.Layout(max_width="min(720px, 100%)", height="auto"))
    image.add_class("dash-plot")
    caption = w.HTML(f"<p class='dash-caption'><i>{escape(alt)}</i></p>")
    return w.VBox([image, caption])


def _new_figure(width: float = 6.5, height: float = 3.2) -> Any:
    from matplotlib.figure import Figure  # no pyplot: no global state, no backend needed

    return Figure(figsize=(width, height))
