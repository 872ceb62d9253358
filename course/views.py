"""One question on a learner's page: its view for each question type, and its feedback.

A view is built from a :class:`course.paper.PaperQuestion` — the question without its key — so
a page never holds an answer key, whether the course runs in the learner's kernel or behind the
course service. Each type has its own input: radio buttons (single choice, true/false), check
boxes (select all that apply), a text box that checks the number as it is typed (numeric), Up and
Down buttons (ordering), a drop-down per item (matching) and a text area (free text).

Every view carries the CSS classes ``quiz-question``, ``quiz-q-<id>`` and ``quiz-type-<type>``;
the layout rules are in ``course/static/quiz.css``. An unexpected exception inside a callback is
shown to the learner as a friendly message, logged on the ``course.widgets`` logger and kept in
:data:`callback_errors`, so tests can see it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import ipywidgets as w
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

from course.render import GOOD_ANSWER, WHY, escape, markdown

if TYPE_CHECKING:  # grading and paper load the banks (pydantic): imported where first used
    from course.grading import Grade
    from course.paper import PaperQuestion

log = logging.getLogger("course.widgets")

callback_errors: list[BaseException] = []
"""Exceptions caught inside widget callbacks, newest last (they are also logged)."""

# Shared layouts and styles. Unless given one, ipywidgets makes every widget a Layout and a style
# of its own, and each is one more model for the page to create from a message of the kernel: in
# a lesson, 280 of its 505 models were such copies, all alike. These are never changed.
FULL_WIDTH = w.Layout(width="100%")
AUTO = w.Layout()
NUMBER_WIDTH = w.Layout(width="12em", max_width="100%")
HTML_STYLE = HTMLStyle()
BUTTON_STYLE = w.ButtonStyle()
CHECKBOX_STYLE = CheckboxStyle()
DESCRIPTION_STYLE = DescriptionStyle()
TEXT_STYLE = TextStyle()


# A widget's CSS classes are given when it is made (``_dom_classes``), never added afterwards: each
# add_class() on a widget already shown is one more message from the kernel (a lesson sent 220
# such updates beside its 237 widgets: issue 13).


def html(value: str = "", layout: w.Layout = AUTO, classes: tuple[str, ...] = ()) -> w.HTML:
    """An HTML widget with the shared layout and style, and these CSS classes."""
    return w.HTML(value, layout=layout, style=HTML_STYLE, _dom_classes=classes)


def button(description: str, *, layout: w.Layout = AUTO, classes: tuple[str, ...] = (), **traits: Any) -> w.Button:
    """A button with the shared layout and style, and these CSS classes."""
    return w.Button(description=description, layout=layout, style=BUTTON_STYLE, _dom_classes=classes, **traits)
CRITICAL_NOTE = "Safety-critical: in the final assessment, a question like this must be fully right to pass."
CRITICAL_NOTE_ASSESSMENT = "Safety-critical: this question must be fully right to pass the assessment, whatever your score."


@cache
def stylesheet() -> str:
    """The quizzes' CSS (``course/static/quiz.css``) as a ``<style>`` element."""
    return f"<style>{resources.files('course').joinpath('static/quiz.css').read_text(encoding='utf-8')}</style>"


@contextmanager
def guard(show: Callable[[str], None]) -> Iterator[None]:
    """Run a callback; on an unexpected exception show a friendly message, log it and keep it."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - shown, logged and kept: never swallowed
        callback_errors.append(exc)
        log.exception("error in a quiz callback")
        show(
            "Sorry, something went wrong and this answer could not be handled. "
            "Please tell your trainer (the details were logged)."
        )


def plural(count: float, word: str, words: str | None = None) -> str:
    """``1 point``, ``2 points``, ``0.5 points``."""
    return f"{count:g} {word if count == 1 else (words or word + 's')}"


OUT_OF_PLACE = {"ordering": "Not in the right place yet (move these):", "matching": "Matched wrongly:"}


def feedback_html(g: Grade, *, question_type: str = "", note: str = "") -> str:
    """Right or not, the feedback on what was chosen, what is out of place, and the explanation."""
    extra = f'<div class="quiz-note">{escape(note)}</div>' if note else ""
    if g.pending:
        return (
            f'<div class="quiz-feedback-box quiz-pending" role="status">{extra}'
            '<div class="quiz-verdict">✎ Saved for your trainer, who will read and score it.</div>'
            f'<div class="quiz-explanation">{markdown(GOOD_ANSWER + g.explanation)}</div></div>'
        )
    if g.correct:
        kind, verdict = "quiz-right", "✔ Right."
    elif g.score > 0:
        kind, verdict = "quiz-partial", f"◐ Partly right: {plural(round(g.score, 2), 'point')} of {plural(g.max_score, 'point')}."
    else:
        kind, verdict = "quiz-wrong", "✘ Not right."
    parts = [extra, f'<div class="quiz-verdict">{verdict}</div>']
    parts += [f'<div class="quiz-option-feedback">{markdown(f)}</div>' for f in g.feedback]
    if g.out_of_place and not g.correct:
        items = "".join(f"<li>{escape(t)}</li>" for t in g.out_of_place)
        heading = OUT_OF_PLACE.get(question_type, "Not right yet:")
        parts.append(f'<div class="quiz-out-of-place">{escape(heading)}<ul>{items}</ul></div>')
    parts.append(f'<div class="quiz-explanation">{markdown(WHY + g.explanation)}</div>')
    return f'<div class="quiz-feedback-box {kind}" role="status">{"".join(parts)}</div>'


class QuestionView(w.VBox):
    """A question: its number, prompt, an input for its type, a Submit button and the feedback."""

    def __init__(self, question: PaperQuestion, *, with_submit: bool = True):
        self.question = question
        self.on_submit: Callable[[QuestionView], None] | None = None
        head = [f'<span class="quiz-number">Question {question.number} of {question.count}</span>']
        if question.points != 1:
            head.append(f'<span class="quiz-points">({escape(plural(question.points, "point"))})</span>')
        if question.critical:
            head.append('<span class="quiz-critical-tag" title="Safety-critical question">Safety-critical</span>')
        critical_note = CRITICAL_NOTE if with_submit else CRITICAL_NOTE_ASSESSMENT  # no Submit of its own: in an assessment
        note = f'<div class="quiz-critical-note">{escape(critical_note)}</div>' if question.critical else ""
        self.prompt = html(f'<div class="quiz-head">{"".join(head)}</div>{note}<div class="quiz-prompt">{markdown(question.prompt)}</div>', FULL_WIDTH)
        self.input = self._build_input()
        self.submit = button("Submit", button_style="primary", tooltip="Submit your answer", classes=("quiz-submit",))
        self.submit.on_click(self._clicked)
        self.message = html("", classes=("quiz-message",))
        self.feedback = html("", FULL_WIDTH, classes=("quiz-feedback",))
        controls = w.HBox([self.submit, self.message] if with_submit else [self.message], layout=AUTO, _dom_classes=("quiz-controls",))
        classes = ("quiz-question", f"quiz-q-{question.id}", f"quiz-type-{question.type}") + (("quiz-critical-question",) if question.critical else ())
        super().__init__([self.prompt, self.input, controls, self.feedback], layout=FULL_WIDTH, _dom_classes=classes)

    # subclasses: build the input, read it, restore it
    def _build_input(self) -> w.Widget:
        raise NotImplementedError

    def response(self) -> Any:
        """The learner's current answer, on the paper (choices by their ids as shown)."""
        raise NotImplementedError

    def set_response(self, value: Any) -> None:
        """Show an earlier answer in the input."""

    def _inputs(self) -> list[w.Widget]:
        return [self.input]

    def lock(self, locked: bool = True) -> None:
        """Disable (or enable) the input and the Submit button."""
        for widget in self._inputs():
            if hasattr(widget, "disabled"):
                widget.disabled = locked
        self.submit.disabled = locked

    def _clicked(self, _button: w.Button) -> None:
        with guard(self.show_error):
            if self.on_submit is not None:
                self.on_submit(self)

    def show_invalid(self, text: str) -> None:
        """A message next to the question for an answer that cannot be graded."""
        self.message.value = f'<span class="quiz-invalid" role="alert">{escape(text)}</span>'

    def show_error(self, text: str) -> None:
        """A friendly message for an unexpected error."""
        self.message.value = f'<span class="quiz-error" role="alert">{escape(text)}</span>'

    def clear_message(self) -> None:
        self.message.value = ""

    def show_grade(self, g: Grade, *, note: str = "") -> None:
        """The grade's feedback under the question."""
        self.clear_message()
        self.feedback.value = feedback_html(g, question_type=self.question.type, note=note)

    def show_queued(self, text: str) -> None:
        """The answer is kept on this computer and will be sent (and checked) later."""
        self.clear_message()
        self.feedback.value = f'<div class="quiz-feedback-box quiz-queued" role="status">{escape(text)}</div>'


class ChoiceView(QuestionView):
    """Radio buttons: single choice and true/false. Each option is a row as tall as its text."""

    def _build_input(self) -> w.Widget:
        q = self.question
        options: list[tuple[str, Any]] = [("True", True), ("False", False)] if q.type == "true_false" else [(c.text, c.id) for c in q.options]
        return w.RadioButtons(options=options, value=None, layout=FULL_WIDTH, style=DESCRIPTION_STYLE)

    def response(self) -> Any:
        return self.input.value

    def set_response(self, value: Any) -> None:
        if value in [v for _, v in self.input.options]:
            self.input.value = value


class MultipleChoiceView(QuestionView):
    """Check boxes: select all that apply."""

    def _build_input(self) -> w.Widget:
        self.boxes = {c.id: w.Checkbox(value=False, description=c.text, indent=False, layout=FULL_WIDTH, style=CHECKBOX_STYLE) for c in self.question.options}
        return w.VBox(list(self.boxes.values()), layout=FULL_WIDTH, _dom_classes=("quiz-options",))

    def _inputs(self) -> list[w.Widget]:
        return list(self.boxes.values())

    def response(self) -> Any:
        return [k for k, box in self.boxes.items() if box.value]

    def set_response(self, value: Any) -> None:
        chosen = set(value or [])
        for k, box in self.boxes.items():
            box.value = k in chosen


class NumericView(QuestionView):
    """A text box that checks the number as it is typed."""

    def _build_input(self) -> w.Widget:
        q = self.question
        self.text = w.Text(value="", placeholder="Type a number", continuous_update=True, layout=NUMBER_WIDTH, style=TEXT_STYLE)
        self.text.observe(self._check, names="value")
        unit = html(f'<span class="quiz-unit">{escape(q.unit or "")}</span>')
        return w.HBox([self.text, unit], layout=AUTO)

    def _inputs(self) -> list[w.Widget]:
        return [self.text]

    def _check(self, change: dict[str, Any]) -> None:
        with guard(self.show_error):
            value = change["new"]
            if not str(value).strip():
                self.clear_message()
                return
            from course.grading import UngradableResponse, parse_number

            try:
                parse_number(str(value), units=self.question.units)
                self.clear_message()
            except UngradableResponse as exc:
                self.show_invalid(str(exc))

    def response(self) -> Any:
        return self.text.value

    def set_response(self, value: Any) -> None:
        self.text.value = "" if value is None else str(value)


class OrderingView(QuestionView):
    """Items with Up and Down buttons, first shown in the paper's order (never the right one)."""

    def _build_input(self) -> w.Widget:
        q = self.question
        self.texts = {c.id: c.text for c in q.items}
        self.order = [c.id for c in q.items]
        self.labels: list[w.HTML] = []
        self.ups: list[w.Button] = []
        self.downs: list[w.Button] = []
        rows = []
        count = len(self.order)
        for position, item in enumerate(self.order):  # made showing the paper's order (_refresh, later)
            label = html(escape(self.texts[item]), classes=("quiz-order-text",))
            up = button("▲ Up", disabled=position == 0, tooltip=self._tooltip(item, "up"))
            down = button("▼ Down", disabled=position == count - 1, tooltip=self._tooltip(item, "down"))
            up.on_click(lambda _b, p=position: self._move(p, -1))
            down.on_click(lambda _b, p=position: self._move(p, +1))
            self.labels.append(label)
            self.ups.append(up)
            self.downs.append(down)
            number = html(f"{position + 1}.", classes=("quiz-order-number",))
            buttons = w.Box([up, down], layout=AUTO, _dom_classes=("quiz-order-buttons",))  # side by side; one above the other on a phone (quiz.css)
            rows.append(w.HBox([number, label, buttons], layout=FULL_WIDTH, _dom_classes=("quiz-order-row",)))
        return w.VBox(rows, layout=FULL_WIDTH)

    def _tooltip(self, item: str, way: str) -> str:
        return f"Move “{self.texts[item]}” {way}"

    def _refresh(self) -> None:
        for position, item in enumerate(self.order):
            self.labels[position].value = escape(self.texts[item])
            self.ups[position].tooltip = self._tooltip(item, "up")
            self.downs[position].tooltip = self._tooltip(item, "down")

    def _move(self, position: int, step: int) -> None:
        with guard(self.show_error):
            target = position + step
            if 0 <= target < len(self.order):
                self.order[position], self.order[target] = self.order[target], self.order[position]
                self._refresh()

    def _inputs(self) -> list[w.Widget]:
        return self.ups + self.downs

    def lock(self, locked: bool = True) -> None:
        super().lock(locked)
        if not locked:
            self.ups[0].disabled = True
            self.downs[-1].disabled = True

    def response(self) -> Any:
        return list(self.order)

    def set_response(self, value: Any) -> None:
        if isinstance(value, list) and sorted(value) == sorted(self.order):
            self.order = list(value)
            self._refresh()


class MatchingView(QuestionView):
    """Each item on its own line, with a drop-down of what it can be matched with below it."""

    def _build_input(self) -> w.Widget:
        q = self.question
        choices = [("Choose…", "")] + [(c.text, c.id) for c in q.rights]
        self.menus: dict[str, w.Dropdown] = {}
        rows = []
        for left in q.lefts:
            # the item is the drop-down's name for a screen reader (its label, kept out of sight:
            # the item is shown above it, in bold); a description is text, never HTML
            menu = w.Dropdown(options=choices, value="", description=left.text, layout=FULL_WIDTH, style=DESCRIPTION_STYLE)
            self.menus[left.id] = menu
            text = html(f'<div class="quiz-match-left">{escape(left.text)}</div>', FULL_WIDTH)
            rows.append(w.VBox([text, menu], layout=FULL_WIDTH, _dom_classes=("quiz-match-row",)))
        return w.VBox(rows, layout=FULL_WIDTH)

    def _inputs(self) -> list[w.Widget]:
        return list(self.menus.values())

    def response(self) -> Any:
        return {k: (menu.value or None) for k, menu in self.menus.items()}

    def set_response(self, value: Any) -> None:
        if isinstance(value, dict):
            for k, menu in self.menus.items():
                if value.get(k) in [v for _, v in menu.options]:
                    menu.value = value[k]


class FreeTextView(QuestionView):
    """A text area; the answer is saved for a trainer to score."""

    def _build_input(self) -> w.Widget:
        return w.Textarea(value="", placeholder="Write your answer here…", rows=5, layout=FULL_WIDTH, style=TEXT_STYLE)

    def response(self) -> Any:
        return self.input.value

    def set_response(self, value: Any) -> None:
        self.input.value = value if isinstance(value, str) else ""


VIEWS: dict[str, type[QuestionView]] = {
    "single_choice": ChoiceView,
    "true_false": ChoiceView,
    "multiple_choice": MultipleChoiceView,
    "numeric": NumericView,
    "ordering": OrderingView,
    "matching": MatchingView,
    "free_text": FreeTextView,
}


def question_view(question: PaperQuestion, *, with_submit: bool = True) -> QuestionView:
    """The view for a question of any type."""
    return VIEWS[question.type](question, with_submit=with_submit)
