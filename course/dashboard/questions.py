"""The questions section (item analysis) and the options section (distractors)."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from course import report
from course.dashboard.figures import _figure_image, _new_figure
from course.dashboard.formatting import ACTIONABLE_FLAGS, plural
from course.render import escape, markdown


class QuestionsMixin:
    """:class:`~course.dashboard.Dashboard`'s questions and options sections."""

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
        parts.append(w.HTML("<h3>Questions to look at</h3>" + look + note))
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
