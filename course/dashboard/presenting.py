"""Values and tables as a trainer reads them: times, lesson titles, question prompts, answers, HTML tables."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from course import localtime
from course.bank import Matching, MultipleChoice, Ordering, SingleChoice
from course.dashboard.formatting import (
    CELL_CLASSES,
    FORMATS,
    KINDS,
    LABELS,
    MISSING,
    NUMERIC_KINDS,
    TRAINING_COLOURS,
    _missing,
    _text,
    plain_prompt,
    plural,
)
from course.render import escape


class PresentingMixin:
    """:class:`~course.dashboard.Dashboard`'s methods that present values and tables."""

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
        return (f"<div class='dash-scroll' tabindex='0'><table class='dash-table {css}'><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table></div>{more}")
