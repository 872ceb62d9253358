"""The review section (written answers waiting for a trainer's score) and the re-grading section."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import pandas as pd

from course import report
from course.dashboard.formatting import REVIEWS_SHOWN, plural, review_score
from course.records import StoreError
from course.render import escape, markdown
from course.widgets import _guard


class ReviewMixin:
    """:class:`~course.dashboard.Dashboard`'s review and re-grading sections."""

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
