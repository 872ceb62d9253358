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
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable
from datetime import datetime, time, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import pandas as pd

from course import config, report
from course.bank import Course, course_cached
from course.files import replace_file
from course.records import Learner, StoreError
from course.render import escape, markdown
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
    "failed": "#ef9a9a",
}
REVIEWS_SHOWN = 25
LINK_LIMIT = 20 * 1024 * 1024  # larger exports are written to a file only, not offered as a link


def _html_table(frame: pd.DataFrame, *, css: str, empty: str, index: bool = False, max_rows: int = 500) -> str:
    """A DataFrame as an HTML table, every cell escaped."""
    if frame.empty:
        return f"<p class='dash-empty'>{escape(empty)}</p>"
    shown = frame.head(max_rows)
    more = f"<p>Showing {max_rows} of {len(frame)} rows; export the table for all of them.</p>" if len(frame) > max_rows else ""
    table = shown.to_html(escape=True, index=index, na_rep="—", float_format=lambda v: f"{v:.2f}", classes=["dash-table", css], border=0)
    return f"<div style='overflow-x:auto'>{table}</div>{more}"


def _figure_image(figure: Any, alt: str) -> w.Widget:
    """A matplotlib figure as a PNG image widget with a caption (works in JupyterLab, Voila, nbclient)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    image = w.Image(value=buffer.getvalue(), format="png", layout=w.Layout(max_width="720px"))
    image.add_class("dash-plot")
    caption = w.HTML(f"<p class='dash-caption'><i>{escape(alt)}</i></p>")
    return w.VBox([image, caption])


def _new_figure(width: float = 6.5, height: float = 3.2) -> Any:
    from matplotlib.figure import Figure  # no pyplot: no global state, no backend needed

    return Figure(figsize=(width, height))


def _day(value: Any, *, end: bool = False) -> datetime | None:
    """A DatePicker's date as a UTC datetime (start of day; for ``end``, the next day's start)."""
    if value is None:
        return None
    moment = datetime.combine(value, time.min, tzinfo=timezone.utc)
    return moment + pd.Timedelta(days=1).to_pytimedelta() if end else moment


class Dashboard:
    """The dashboard's widgets, refreshed together when a filter changes."""

    def __init__(self, store: ResultsStore | None = None, course: Course | None = None) -> None:
        from course.store import ResultsStore

        self.store = store or ResultsStore()
        self.course = course or course_cached()
        self.result: report.Report | None = None
        self.regraded: pd.DataFrame | None = None

        self.cohort = w.Dropdown(description="Cohort", options=[ALL], style={"description_width": "initial"})
        self.learner = w.Dropdown(description="Learner", options=[ALL], style={"description_width": "initial"})
        quizzes = sorted(self.course.banks.values(), key=lambda b: b.lesson)
        self.quiz = w.Dropdown(description="Lesson", options=[(ALL, ALL)] + [(b.title, b.quiz) for b in quizzes], style={"description_width": "initial"})
        self.since = w.DatePicker(description="From", style={"description_width": "initial"})
        self.until = w.DatePicker(description="To (inclusive)", style={"description_width": "initial"})
        self.refresh_button = w.Button(description="Refresh", icon="refresh", tooltip="Read the results again")
        self.reviewer = w.Text(description="Your name", placeholder="Trainer's name (kept with reviews and retakes)", style={"description_width": "initial"})
        self.status = w.HTML("")
        self.status.add_class("dash-status")
        self.filters = w.VBox([
            w.HBox([self.cohort, self.learner, self.quiz]),
            w.HBox([self.since, self.until, self.refresh_button]),
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

        for control in (self.cohort, self.learner, self.quiz, self.since, self.until):
            control.observe(self._filter_changed, names="value")
        self.refresh_button.on_click(lambda _: self._safely(self.refresh))
        self._updating = False
        self._safely(self.refresh)

    # --- plumbing -----------------------------------------------------------------------------

    @staticmethod
    def _section(css: str) -> w.VBox:
        box = w.VBox(layout=w.Layout(width="100%"))
        box.add_class("dash-section")
        box.add_class(css)
        return box

    def _say(self, text: str, kind: str = "info") -> None:
        self.status.value = f"<div class='dash-{kind}' role='status'>{escape(text)}</div>"

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
        """The filters as chosen in the widgets."""
        return report.Filters(
            cohort=None if self.cohort.value == ALL else self.cohort.value,
            learner=None if self.learner.value == ALL else self.learner.value,
            quiz=None if self.quiz.value == ALL else self.quiz.value,
            since=_day(self.since.value),
            until=_day(self.until.value, end=True),
        )

    # --- refreshing -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the store again and redraw every section."""
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
        learners = len(r.learner_summary)
        self._say(f"{learners} learner{'s' * (learners != 1)}, {len(r.answers)} answers, {len(r.review_queue)} written answers to review "
                  f"(read {datetime.now().astimezone():%Y-%m-%d %H:%M}).")

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
        cohorts = r.cohort_summary.copy()
        cohorts["cohort"] = cohorts["cohort"].fillna("(no cohort)")
        people = r.learner_summary[[
            "learner", "cohort", "lessons_started", "lessons_completed", "attempts", "last_activity",
            "score_pct", "assessment_status", "assessment_pct", "assessment_critical_missed", "assessment_pending",
        ]].rename(columns={
            "lessons_started": "lessons started", "lessons_completed": "lessons done", "last_activity": "last activity",
            "score_pct": "first-try %", "assessment_status": "final assessment", "assessment_pct": "final %",
            "assessment_critical_missed": "critical missed", "assessment_pending": "awaiting review",
        })  # fmt: skip
        self.overview.children = [
            w.HTML("<h4>Cohorts</h4>" + _html_table(cohorts, css="dash-cohorts", empty="No learners yet.")),
            w.HTML("<h4>Learners</h4>" + _html_table(people, css="dash-learners-table", empty="No learners match the filters.")),
        ]

    def _draw_progress(self, r: report.Report) -> None:
        matrix = r.progress_matrix
        pct = r.progress_pct
        if matrix.empty or not len(matrix.columns):
            self.progress.children = [w.HTML("<p class='dash-empty'>No learners match the filters.</p>")]
            return
        titles = {b.quiz: b.title for b in self.course.banks.values()}
        head = "".join(f"<th>{escape(titles.get(q, q))}</th>" for q in matrix.columns)
        rows = []
        for learner, statuses in matrix.iterrows():
            cells = []
            for quiz, status in statuses.items():
                value = pct.at[learner, quiz]
                label = escape(str(status)) + ("" if pd.isna(value) else f" ({value:.0f}%)")
                cells.append(f"<td style='background:{STATUS_COLOURS.get(str(status), '#fff')}'>{label}</td>")
            rows.append(f"<tr><th>{escape(str(learner))}</th>{''.join(cells)}</tr>")
        legend = " ".join(f"<span style='background:{c};padding:0 .4em'>{escape(s)}</span>" for s, c in STATUS_COLOURS.items())
        html = (f"<div style='overflow-x:auto'><table class='dash-table dash-matrix'><thead><tr><th>Learner</th>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table></div><p>{legend}</p>")
        self.progress.children = [w.HTML(html)]

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
        for ax, values, title in ((axes[0], first, "First tries, practice quizzes"), (axes[1], final, "Final assessment, last sitting")):
            ax.hist(values, bins=bins, color="#5c6bc0", edgecolor="white")
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("score (%)")
            ax.set_xlim(0, 100)
        axes[0].set_ylabel("learners")
        from matplotlib.ticker import MaxNLocator

        axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
        if self.course.banks.get(report.FINAL_ASSESSMENT) is not None:
            mark = self.course.bank(report.FINAL_ASSESSMENT).pass_mark or 0
            axes[1].axvline(mark, color="#b71c1c", linestyle="--", label=f"pass mark {mark:g}%")
            axes[1].legend(fontsize=8, loc="upper left")
        self.scores.children = [_figure_image(figure, f"Score distribution: {len(first)} learners with practice scores, {len(final)} who took the final assessment.")]

    def _draw_questions(self, r: report.Report) -> None:
        items = r.item_analysis
        answered = items[items["n"] > 0]
        flagged = items[items["flags"].fillna("").str.len() > 0]
        parts: list[w.Widget] = []
        if not answered.empty:
            figure = _new_figure(6.5, 4)
            ax = figure.subplots()
            ax.scatter(answered["facility"], answered["discrimination"], s=18 + 4 * answered["n"].clip(upper=30), alpha=0.6, color="#00897b")
            ax.axhline(0, color="#b71c1c", linewidth=0.8)
            for x in (report.TOO_HARD, report.TOO_EASY):
                ax.axvline(x, color="grey", linestyle=":", linewidth=0.8)
            ax.set_xlim(-0.02, 1.02)
            ax.set_xlabel("facility (share of marks earned on first tries)")
            ax.set_ylabel("discrimination (r with rest of quiz)")
            ax.set_title("Questions: difficulty against discrimination", fontsize=10)
            parts.append(_figure_image(figure, "Each dot is a question (bigger: more learners). Left of the dotted line: too hard; right: too easy; below the red line: stronger learners did worse on it."))
        shown = items.assign(critical=items["critical"].map({True: "yes", False: ""}))
        parts.append(w.HTML("<h4>Flagged questions</h4>" + _html_table(flagged, css="dash-flagged", empty="No question is flagged.")))
        parts.append(w.HTML("<h4>Every question</h4>" + _html_table(shown, css="dash-items", empty="The course has no questions.")))
        self.questions.children = parts

    def _draw_options(self, r: report.Report) -> None:
        table = r.distractors
        answered = table[table["n"] > 0]
        choices = [(f"{q} ({quiz})", q) for quiz, q in answered[["quiz", "question"]].drop_duplicates().itertuples(index=False)]
        if not choices:
            self.options.children = [w.HTML("<p class='dash-empty'>No choice question has been answered yet.</p>")]
            return
        pick = w.Dropdown(description="Question", options=choices, style={"description_width": "initial"}, layout=w.Layout(width="auto"))
        body = w.HTML()

        def show(_change: Any = None) -> None:
            rows = table[table["question"] == pick.value][["option", "text", "correct", "chosen", "n", "share"]]
            rows = rows.assign(correct=rows["correct"].map({True: "right", False: ""}))
            try:
                prompt = markdown(self.course.question(pick.value)[1].prompt)
            except KeyError:
                prompt = "<p>(no longer in the course)</p>"
            body.value = f"<div class='dash-prompt'>{prompt}</div>" + _html_table(rows, css="dash-distractors", empty="No answers.")

        pick.observe(lambda change: self._safely(show), names="value")
        show()
        self.options.children = [pick, body]

    def _draw_review(self, r: report.Report) -> None:
        queue = r.review_queue
        if queue.empty:
            self.review.children = [w.HTML("<p class='dash-empty'>No written answers wait for a review.</p>")]
            return
        cards: list[w.Widget] = [w.HTML(f"<p>{len(queue)} written answer{'s' * (len(queue) != 1)} wait for a review, oldest first"
                                        f"{f' (the first {REVIEWS_SHOWN} shown)' if len(queue) > REVIEWS_SHOWN else ''}.</p>")]
        for row in queue.head(REVIEWS_SHOWN).itertuples(index=False):
            cards.append(self._review_card(row))
        self.review.children = cards

    def _review_card(self, row: Any) -> w.Widget:
        prompt = markdown(row.prompt) if isinstance(row.prompt, str) else "<p>(question no longer in the course)</p>"
        model = markdown(row.model_answer) if isinstance(row.model_answer, str) else ""
        answer = escape(str(row.answer)).replace("\n", "<br>")
        header = w.HTML(
            f"<div class='dash-review-item'><b>{escape(str(row.learner))}</b> — {escape(str(row.quiz))} / {escape(str(row.question))}, "
            f"{row.answered_at:%Y-%m-%d %H:%M} UTC<div class='dash-prompt'>{prompt}</div>"
            f"<blockquote class='dash-answer'>{answer}</blockquote>"
            f"<details><summary>What a good answer says</summary>{model}</details></div>"
        )
        score = w.BoundedFloatText(value=0, min=0, max=float(row.max_score), step=0.5, description=f"Score (0–{row.max_score:g})", style={"description_width": "initial"})
        comment = w.Textarea(placeholder="Comment for the learner (optional)", description="Comment", layout=w.Layout(width="60%"))
        save = w.Button(description="Save review", button_style="primary", icon="check")
        message = w.HTML("")
        card = w.VBox([header, w.HBox([score, save]), comment, message])
        card.add_class("dash-review-card")
        card.add_class(f"dash-review-{row.key}")

        def saved(_button: w.Button) -> None:
            with _guard(lambda text: setattr(message, "value", f"<div class='dash-error' role='alert'>{escape(text)}</div>")):
                if not self.reviewer.value.strip():
                    message.value = "<div class='dash-error' role='alert'>Type your name in “Your name” at the top first.</div>"
                    return
                try:
                    report.record_review(self.store, row.key, score.value, self.reviewer.value.strip(), comment.value)
                except StoreError as error:
                    message.value = f"<div class='dash-error' role='alert'>{escape(str(error))}</div>"
                    return
                message.value = f"<div class='dash-ok' role='status'>Saved: {score.value:g} of {row.max_score:g}.</div>"
                save.disabled = True

        save.on_click(saved)
        return card

    def _draw_regrade(self, regraded: pd.DataFrame) -> None:
        note = ("<p>Every stored answer graded again with the current question banks. A row here means the stored score "
                "differs: the question was changed after the answer (the new key counts in the report), or the database was edited.</p>")
        self.regrading.children = [w.HTML(note + _html_table(regraded, css="dash-regrade-table", empty="Every stored score agrees with the current banks."))]

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
        self.exports.children = [w.HBox(buttons[:4]), w.HBox(buttons[4:]), self.export_result]

    def table(self, name: str) -> pd.DataFrame:
        """One of the dashboard's tables, as filtered now."""
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

    def export(self, name: str) -> Path:
        """Write a table (CSV) or the xAPI statements (JSON) under the data folder; offer a download link."""
        folder = config.data_dir() / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().astimezone().strftime("%Y%m%d-%H%M%S")
        if name == "xapi":
            from course import xapi

            path = folder / f"xapi-{stamp}.json"
            xapi.write(xapi.statements(self.store, self.course, since=self.current_filters().since), path)
            mime = "application/json"
        else:
            path = replace_file(folder / f"{name}-{stamp}.csv", report.to_csv(self.table(name)))
            mime = "text/csv"
        size = path.stat().st_size
        link = ""
        if size <= LINK_LIMIT:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            link = f" <a download='{escape(path.name)}' href='data:{mime};base64,{data}'>Download {escape(path.name)}</a>"
        self.export_result.value = f"<p class='dash-export-done'>Written to <code>{escape(str(path))}</code> ({size:,} bytes).{link}</p>"
        return path

    def _draw_learners(self, names: list[str]) -> None:
        if not names:
            self.learners.children = [w.HTML("<p class='dash-empty'>No learners yet.</p>")]
            return
        who = w.Dropdown(description="Learner", options=names, style={"description_width": "initial"})
        cohort = w.Text(description="Cohort", placeholder="e.g. 2026-11 nurses", style={"description_width": "initial"})
        set_cohort = w.Button(description="Set cohort", icon="users")
        retake = w.Button(description="Allow a retake of the final assessment", icon="redo", layout=w.Layout(width="auto"))
        message = w.HTML("")

        def on_cohort(_b: w.Button) -> None:
            self.store.set_cohort(who.value, cohort.value.strip() or None)
            message.value = f"<div class='dash-ok' role='status'>{escape(who.value)}: cohort “{escape(cohort.value.strip()) or 'none'}”.</div>"

        def on_retake(_b: w.Button) -> None:
            if not self.reviewer.value.strip():
                message.value = "<div class='dash-error' role='alert'>Type your name in “Your name” at the top first.</div>"
                return
            self.store.allow_retake(who.value, report.FINAL_ASSESSMENT, trainer=self.reviewer.value.strip())
            message.value = f"<div class='dash-ok' role='status'>{escape(who.value)} may take the final assessment once more.</div>"

        set_cohort.on_click(lambda b: self._safely(lambda: on_cohort(b)))
        retake.on_click(lambda b: self._safely(lambda: on_retake(b)))
        self.learners.children = [w.HBox([who, cohort, set_cohort]), retake, message]
