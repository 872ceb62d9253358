"""The overview (cohorts, learners, training status), progress and scores sections."""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from course import report
from course.dashboard.figures import _figure_image, _new_figure
from course.dashboard.formatting import LABELS, STATUS_COLOURS, TRAINING_COLOURS, _missing, _status, percent, plural
from course.records import StoreError
from course.render import escape


class OverviewMixin:
    """:class:`~course.dashboard.Dashboard`'s overview, progress and scores sections."""

    def _draw_overview(self, r: report.Report) -> None:
        people = r.learner_summary
        if len(people):  # the table's column says "Role": a learner without one shows a dash, not three words
            people = people.assign(role=people["role"].where(people["role"] != report.NO_ROLE, "—"))
        lessons = int(people["lessons_total"].max()) if len(people) else 0
        note = f"<p class='dash-note'>{LABELS['lessons_completed']}: of the {plural(lessons, 'lesson')} with a practice quiz.</p>" if lessons else ""
        self.overview.children = [
            w.HTML("<h3>Cohorts</h3>" + self.html_table(r.cohort_summary, report.COHORT_COLUMNS, css="dash-cohorts", empty="No learners yet.")),
            w.HTML("<h3>Learners</h3>" + self.html_table(people, [
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
            return f"<h3>Training status</h3><p class='dash-empty'>Not available: {escape(self.training_problem or '')}</p>"
        counts = frame["training_status"].value_counts() if len(frame) else {}
        summary = ", ".join(f"{int(counts[s])} {s}" for s in ("expired", "overdue", "due soon", "not trained", "current") if s in counts)
        legend = " ".join(f"<span style='background:{c};padding:0 .4em;white-space:nowrap'>{escape(s.capitalize())}</span>" for s, c in TRAINING_COLOURS.items())
        return ("<h3>Training status</h3>" + (f"<p>{escape(summary)}.</p>" if summary else "")
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
        html_ = (f"<div class='dash-scroll' tabindex='0'><table class='dash-table dash-matrix'><thead><tr><th scope='col'>Learner</th>{head}</tr></thead>"
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
