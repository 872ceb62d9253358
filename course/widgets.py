"""Quiz widgets for the lesson notebooks.

In a lesson, one call shows a quiz (or the part of it that checks one section)::

    from course.widgets import show_quiz, show_progress
    show_quiz("history", section="FDA approval")
    show_progress()

Each question type has its own view: radio buttons (single choice, true/false), check boxes
(multiple choice), a text box that checks the number (numeric), Up/Down buttons (ordering), a
drop-down per item (matching) and a text area (free text). Every view has a Submit button and
shows its feedback in place; the scoring rules live in :mod:`course.grading`, the storing in
:mod:`course.store`, and the glue in :mod:`course.session`.

An answer that cannot be graded gets a message next to the question and is not stored. An
unexpected exception inside a callback is shown to the learner as a friendly message, logged on
the ``course.widgets`` logger, and kept in :data:`callback_errors`, so tests can see it.

Every question's container carries the CSS classes ``quiz-question`` and ``quiz-q-<id>``.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator

import ipywidgets as w
from IPython.display import display

from course import identity
from course.bank import Bank, BankError, Course, Matching, MultipleChoice, Numeric, Ordering, Question, SingleChoice, TrueFalse, course_cached
from course.grading import Grade, UngradableResponse, grade, parse_number
from course.render import escape, markdown
from course.session import AssessmentClosed, IncompleteAssessment, QuizSession
from course.records import StoreError

if TYPE_CHECKING:
    from course.store import ResultsStore

log = logging.getLogger("course.widgets")

callback_errors: list[BaseException] = []
"""Exceptions caught inside widget callbacks, newest last (they are also logged)."""

_store: ResultsStore | None = None
_store_url: str | None = None

FULL_WIDTH = w.Layout(width="100%")
UNREADABLE = (
    "Your earlier answers cannot be shown just now: the results database cannot be reached. "
    "You can still answer; your answers are saved on this computer and sent later."
)
SAVED_LOCALLY = (
    "Saved on this computer: the results database cannot be reached just now. "
    "Your answer will be sent automatically — nothing is lost."
)


# --- shared resources -----------------------------------------------------------------------


def get_store() -> ResultsStore:
    """The results store for this kernel (one per database URL)."""
    global _store, _store_url
    from course import config
    from course.store import ResultsStore  # SQLAlchemy loads here, not at import

    url = config.database_url()
    if _store is None or url != _store_url:
        if _store is not None:
            _store.close()
        _store, _store_url = ResultsStore(url), url
    return _store


def get_course() -> Course:
    """Every bank of the course (reloaded when a bank file changes)."""
    return course_cached()


def _seeded(*parts: str) -> random.Random:
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _notice(text: str, kind: str = "info") -> w.HTML:
    box = w.HTML(f'<div class="quiz-notice quiz-notice-{kind}" role="status">{escape(text)}</div>')
    box.add_class("quiz-notice")
    return box


@contextmanager
def _guard(show: Callable[[str], None]) -> Iterator[None]:
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


# --- one question ---------------------------------------------------------------------------


class QuestionView(w.VBox):
    """A question: its prompt, an input for its type, a Submit button and the feedback area."""

    def __init__(self, question: Question, *, learner: str = "", with_submit: bool = True):
        self.question = question
        self.learner = learner
        self.on_submit: Callable[[QuestionView], None] | None = None
        header = escape(f"{question.points:g} points") if question.points != 1 else ""
        badge = '<span class="quiz-critical" title="Safety-critical question">Safety-critical</span> ' if question.critical else ""
        self.prompt = w.HTML(f'<div class="quiz-prompt">{badge}{markdown(question.prompt)}{f"<small>({header})</small>" if header else ""}</div>')
        self.input = self._build_input()
        self.submit = w.Button(description="Submit", button_style="primary", tooltip="Submit your answer", icon="check")
        self.submit.add_class("quiz-submit")
        self.submit.on_click(self._clicked)
        self.message = w.HTML("")
        self.message.add_class("quiz-message")
        self.feedback = w.HTML("")
        self.feedback.add_class("quiz-feedback")
        controls = [self.submit, self.message] if with_submit else [self.message]
        super().__init__([self.prompt, self.input, w.HBox(controls), self.feedback], layout=w.Layout(margin="0 0 1.2em 0", width="100%"))
        self.add_class("quiz-question")
        self.add_class(f"quiz-q-{question.id}")
        self.add_class(f"quiz-type-{question.type}")

    # subclasses: build the input, read it, restore it
    def _build_input(self) -> w.Widget:
        raise NotImplementedError

    def response(self) -> Any:
        """The learner's current answer, in the form :func:`course.grading.grade` takes."""
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
        with _guard(self.show_error):
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

    def show_grade(self, g: Grade, *, queued: bool = False, note: str = "") -> None:
        """Right or not, the feedback for what was chosen, and the explanation."""
        self.clear_message()
        if g.pending:
            verdict = '<div class="quiz-verdict quiz-pending">✎ Saved for your trainer, who will read and score it.</div>'
            why = f'<div class="quiz-explanation"><b>What a good answer includes:</b> {markdown(g.explanation)}</div>'
        else:
            if g.correct:
                verdict = '<div class="quiz-verdict quiz-right" style="color:#1b5e20">✔ Right.</div>'
            elif g.score > 0:
                verdict = f'<div class="quiz-verdict quiz-partial" style="color:#8a5300">◐ Partly right: {g.score:.2g} of {g.max_score:g} points.</div>'
            else:
                verdict = '<div class="quiz-verdict quiz-wrong" style="color:#b71c1c">✘ Not right.</div>'
            why = f'<div class="quiz-explanation"><b>Why:</b> {markdown(g.explanation)}</div>'
        feedback = "".join(f'<div class="quiz-option-feedback">{markdown(f)}</div>' for f in g.feedback)
        saved = f'<div class="quiz-queued" role="status">{escape(SAVED_LOCALLY)}</div>' if queued else ""
        extra = f'<div class="quiz-note">{escape(note)}</div>' if note else ""
        self.feedback.value = f'<div role="status">{extra}{verdict}{feedback}{why}{saved}</div>'


class ChoiceView(QuestionView):
    """Radio buttons: single choice and true/false."""

    def _build_input(self) -> w.Widget:
        q = self.question
        if isinstance(q, TrueFalse):
            options: list[tuple[str, Any]] = [("True", True), ("False", False)]
        else:
            assert isinstance(q, SingleChoice)
            shuffled = list(q.options)
            _seeded(q.id, self.learner).shuffle(shuffled)
            options = [(o.text, o.id) for o in shuffled]
        radio = w.RadioButtons(options=options, value=None, description="Answer", layout=FULL_WIDTH, style={"description_width": "initial"})
        return radio

    def response(self) -> Any:
        return self.input.value

    def set_response(self, value: Any) -> None:
        if value in [v for _, v in self.input.options]:
            self.input.value = value


class MultipleChoiceView(QuestionView):
    """Check boxes: select all that apply."""

    def _build_input(self) -> w.Widget:
        q = self.question
        assert isinstance(q, MultipleChoice)
        shuffled = list(q.options)
        _seeded(q.id, self.learner).shuffle(shuffled)
        self.boxes = {o.id: w.Checkbox(value=False, description=o.text, indent=False, layout=FULL_WIDTH) for o in shuffled}
        return w.VBox(list(self.boxes.values()))

    def _inputs(self) -> list[w.Widget]:
        return list(self.boxes.values())

    def response(self) -> Any:
        return sorted(k for k, box in self.boxes.items() if box.value)

    def set_response(self, value: Any) -> None:
        chosen = set(value or [])
        for k, box in self.boxes.items():
            box.value = k in chosen


class NumericView(QuestionView):
    """A text box that checks the number as it is typed."""

    def _build_input(self) -> w.Widget:
        q = self.question
        assert isinstance(q, Numeric)
        self.units = [q.unit, *q.unit_aliases] if q.unit else []
        self.text = w.Text(value="", placeholder="Type a number", description="Answer", continuous_update=True, style={"description_width": "initial"})
        self.text.observe(self._check, names="value")
        unit = w.Label(q.unit or "")
        return w.HBox([self.text, unit])

    def _inputs(self) -> list[w.Widget]:
        return [self.text]

    def _check(self, change: dict[str, Any]) -> None:
        with _guard(self.show_error):
            value = change["new"]
            if not str(value).strip():
                self.clear_message()
                return
            try:
                parse_number(str(value), units=self.units)
                self.clear_message()
            except UngradableResponse as exc:
                self.show_invalid(str(exc))

    def response(self) -> Any:
        return self.text.value

    def set_response(self, value: Any) -> None:
        self.text.value = "" if value is None else str(value)


class OrderingView(QuestionView):
    """Items with Up and Down buttons, shown shuffled (never already in order)."""

    def _build_input(self) -> w.Widget:
        q = self.question
        assert isinstance(q, Ordering)
        self.texts = {i.id: i.text for i in q.items}
        order = [i.id for i in q.items]
        rng = _seeded(q.id, self.learner)
        while order == [i.id for i in q.items]:
            rng.shuffle(order)
        self.order = order
        self.labels: list[w.Label] = []
        self.ups: list[w.Button] = []
        self.downs: list[w.Button] = []
        rows = []
        for position in range(len(order)):
            label = w.Label("", layout=w.Layout(width="70%"))
            up = w.Button(description="Up", icon="arrow-up", layout=w.Layout(width="5.5em"), disabled=position == 0)
            down = w.Button(description="Down", icon="arrow-down", layout=w.Layout(width="6.5em"), disabled=position == len(order) - 1)
            up.on_click(lambda _b, p=position: self._move(p, -1))
            down.on_click(lambda _b, p=position: self._move(p, +1))
            self.labels.append(label)
            self.ups.append(up)
            self.downs.append(down)
            row = w.HBox([w.Label(f"{position + 1}.", layout=w.Layout(width="2em")), label, up, down])
            row.add_class("quiz-order-row")
            rows.append(row)
        self._refresh()
        return w.VBox(rows)

    def _refresh(self) -> None:
        for position, item in enumerate(self.order):
            self.labels[position].value = self.texts[item]
            self.ups[position].tooltip = f"Move “{self.texts[item]}” up"
            self.downs[position].tooltip = f"Move “{self.texts[item]}” down"

    def _move(self, position: int, step: int) -> None:
        with _guard(self.show_error):
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
    """A drop-down per left item, listing the right items (shuffled)."""

    def _build_input(self) -> w.Widget:
        q = self.question
        assert isinstance(q, Matching)
        rights = q.right_items()
        _seeded(q.id, self.learner).shuffle(rights)
        choices = [("Choose…", "")] + [(r.text, r.id) for r in rights]
        self.menus = {
            p.id: w.Dropdown(options=choices, value="", description=p.left, layout=FULL_WIDTH, style={"description_width": "40%"})
            for p in q.pairs
        }
        return w.VBox(list(self.menus.values()))

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
        return w.Textarea(value="", placeholder="Write your answer here…", description="Your answer", rows=5, layout=FULL_WIDTH, style={"description_width": "initial"})

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


def question_view(question: Question, *, learner: str = "", with_submit: bool = True) -> QuestionView:
    """The view for a question of any type."""
    return VIEWS[question.type](question, learner=learner, with_submit=with_submit)


def _when(attempt_time: datetime) -> str:
    return attempt_time.astimezone().strftime("%d %b %Y, %H:%M")


# --- a practice quiz --------------------------------------------------------------------------


class PracticeQuiz(w.VBox):
    """Questions answered one at a time, with feedback at once and retries until right."""

    def __init__(self, session: QuizSession):
        self.session = session
        self.views = [question_view(q, learner=session.learner) for q in session.questions]
        for view in self.views:
            view.on_submit = self._submit
        notices = []
        try:
            self._restore()
        except StoreError as exc:
            log.warning("earlier answers could not be read: %s", exc)
            notices.append(_notice(UNREADABLE, "warning"))
        super().__init__([*notices, *self.views], layout=w.Layout(width="100%"))
        self.add_class("quiz")
        self.add_class(f"quiz-{session.bank.quiz}")

    def view(self, question_id: str) -> QuestionView:
        """The view of one question."""
        return next(v for v in self.views if v.question.id == question_id)

    def _restore(self) -> None:
        previous = self.session.previous()
        for view in self.views:
            attempt = previous.get(view.question.id)
            if attempt is None:
                continue
            view.set_response(attempt.response)
            try:
                g = grade(view.question, attempt.response)
            except UngradableResponse:
                continue  # the question changed since: let the learner answer again
            view.show_grade(g, note=f"Your answer from {_when(attempt.answered_at)}.")
            if g.correct:
                view.lock()

    def _submit(self, view: QuestionView) -> None:
        try:
            result = self.session.submit(view.question, view.response())
        except UngradableResponse as exc:
            view.show_invalid(str(exc))
            return
        view.show_grade(result.grade, queued=result.queued)
        if result.grade.correct:
            view.lock()


# --- an assessment ----------------------------------------------------------------------------


class AssessmentQuiz(w.VBox):
    """Every question answered, then submitted once; then the score, pass or fail, and critical misses."""

    def __init__(self, session: QuizSession):
        self.session = session
        self.views = [question_view(q, learner=session.learner, with_submit=False) for q in session.questions]
        self.submit = w.Button(description="Submit the assessment", button_style="primary", icon="check", tooltip="Submit all your answers; you cannot change them afterwards", layout=w.Layout(width="auto"))
        self.submit.add_class("quiz-submit-assessment")
        self.submit.on_click(self._clicked)
        self.result = w.HTML("")
        self.result.add_class("quiz-result")
        intro = _notice(f"{len(self.views)} questions. Answer all of them, then press “Submit the assessment” once. "
                        f"Pass mark: {session.bank.pass_mark or 0:g}%, and every safety-critical question must be right.")
        numbered = []
        for n, view in enumerate(self.views, 1):
            label = w.HTML(f"<b>Question {n} of {len(self.views)}</b>")
            numbered.extend([label, view])
        super().__init__([intro, *numbered, self.submit, self.result], layout=w.Layout(width="100%"))
        self.add_class("quiz")
        self.add_class("quiz-assessment")
        self.add_class(f"quiz-{session.bank.quiz}")
        submissions = session.submissions()
        if submissions and not session.can_take(submissions):
            self._show_earlier(submissions[-1])

    def view(self, question_id: str) -> QuestionView:
        return next(v for v in self.views if v.question.id == question_id)

    def _lock_all(self) -> None:
        for view in self.views:
            view.lock()
        self.submit.disabled = True

    def _show_earlier(self, submission: str) -> None:
        attempts = {a.question: a for a in self.session.store.attempts(learner=self.session.learner, quiz=self.session.bank.quiz) if a.submission == submission}
        for view in self.views:
            if view.question.id in attempts:
                view.set_response(attempts[view.question.id].response)
        result = self.session.result_of(submission)
        for view in self.views:
            if view.question.id in result.grades:
                view.show_grade(result.grades[view.question.id])
        self._lock_all()
        self._show_result(result.score, note="You have already taken this assessment. Your trainer can allow a retake.")

    def _clicked(self, _button: w.Button) -> None:
        with _guard(lambda text: setattr(self.result, "value", f'<div class="quiz-error" role="alert">{escape(text)}</div>')):
            self._submit_all()

    def _submit_all(self) -> None:
        responses = {view.question.id: view.response() for view in self.views}
        try:
            outcome = self.session.submit_all(responses)
        except AssessmentClosed as exc:
            self._lock_all()
            self.result.value = f'<div class="quiz-invalid" role="alert">{escape(str(exc))} These answers were not submitted.</div>'
            return
        except IncompleteAssessment as exc:
            for view in self.views:
                if view.question.id in exc.problems:
                    view.show_invalid(exc.problems[view.question.id])
                else:
                    view.clear_message()
            count = len(exc.problems)
            self.result.value = f'<div class="quiz-invalid" role="alert">{count} question{"s" * (count != 1)} still need{"s" * (count == 1)} an answer (marked above). Nothing was submitted yet.</div>'
            return
        for view in self.views:
            view.show_grade(outcome.grades[view.question.id])
        self._lock_all()
        self._show_result(outcome.score, note=SAVED_LOCALLY if outcome.queued else "")

    def _show_result(self, score, note: str = "") -> None:
        waiting = bool(score.pending) and not score.critical_missed and score.percent + 1e-9 >= (score.pass_mark or 0)
        verdict = "Passed" if score.passed else "Waiting for your trainer" if waiting else "Not passed"
        colour = "#1b5e20" if score.passed else "#8a6d00" if waiting else "#b71c1c"
        lines = [f'<div class="quiz-verdict" style="color:{colour}"><b>{verdict}</b>: {score.total:.3g} of {score.maximum:g} points ({score.percent:.0f}%; pass mark {score.pass_mark or 0:g}%).</div>']
        if score.critical_missed:
            titles = []
            for qid in score.critical_missed:
                q = next((v.question for v in self.views if v.question.id == qid), None)
                titles.append(f"<li>{markdown(q.prompt) if q else escape(qid)}</li>")
            lines.append(f'<div class="quiz-critical-missed">Safety-critical questions missed (each must be right to pass):<ul>{"".join(titles)}</ul></div>')
        if score.pending:
            count = len(score.pending)
            lines.append(f'<div class="quiz-pending-note">{count} written answer{"s" * (count != 1)} wait{"s" * (count == 1)} for your trainer\'s score; '
                         "your result is final once they are scored (see your progress).</div>")
        if note:
            lines.append(f'<div class="quiz-note">{escape(note)}</div>')
        self.result.value = f'<div role="status">{"".join(lines)}</div>'


# --- who the learner is -----------------------------------------------------------------------


class LearnerForm(w.VBox):
    """Set the learner's name once; it is remembered for later sessions."""

    def __init__(self, on_saved: Callable[[str], None] | None = None, *, prompt: str = "Type your name and press “Save name”. The course remembers it."):
        self.on_saved = on_saved
        self.name = w.Text(value=identity.remembered() or "", placeholder="Your full name", description="Your name", style={"description_width": "initial"})
        self.save = w.Button(description="Save name", button_style="primary", icon="user", tooltip="Save your name")
        self.save.on_click(self._clicked)
        self.message = w.HTML("")
        self.message.add_class("quiz-message")
        super().__init__([w.HTML(f"<p>{escape(prompt)}</p>"), w.HBox([self.name, self.save]), self.message])
        self.add_class("quiz-learner-form")

    def _show(self, text: str, kind: str = "invalid") -> None:
        self.message.value = f'<span class="quiz-{kind}" role="alert">{escape(text)}</span>'

    def _clicked(self, _button: w.Button) -> None:
        with _guard(lambda text: self._show(text, "error")):
            try:
                name = identity.remember(self.name.value)
            except identity.InvalidName as exc:
                self._show(str(exc))
                return
            self.name.value = name
            self._show(f"Saved. Welcome, {name}! Your answers will be saved under this name.", "saved")
            if self.on_saved is not None:
                self.on_saved(name)


def learner_widget() -> w.Widget:
    """The welcome lesson's name form, or who the learner already is on JupyterHub."""
    where = identity.source()
    name = identity.current_learner()
    if where in ("jupyterhub", "environment") and name:
        how = "your JupyterHub account" if where == "jupyterhub" else "the COURSE_LEARNER setting"
        return _notice(f"You are signed in as {name} (from {how}). Your answers are saved under this name.")
    return LearnerForm()


def show_learner_form() -> None:
    """Show the name form (in the welcome lesson)."""
    _keyboard_support()
    display(learner_widget())


# --- the entry points used in lessons ---------------------------------------------------------


def _problem_box(text: str, details: str = "") -> w.HTML:
    more = f"<details><summary>Details for the course author</summary><pre>{escape(details)}</pre></details>" if details else ""
    box = w.HTML(f'<div class="quiz-error" role="alert">{escape(text)}{more}</div>')
    box.add_class("quiz-error")
    return box


def quiz_widget(quiz: str, *, section: str | None = None, learner: str | None = None, store: ResultsStore | None = None) -> w.Widget:
    """The widget for a quiz (or the questions that check one lesson section).

    Never raises for a learner: a broken bank, an unknown quiz or an unreachable database
    becomes a message in the notebook.
    """
    container = w.VBox(layout=w.Layout(width="100%"))
    container.add_class("quiz-container")
    try:
        course = get_course()
        bank = course.bank(quiz)
    except BankError as exc:
        log.error("question bank problem:\n%s", exc)
        container.children = [_problem_box("This quiz cannot be shown because a question bank has a mistake. Please tell your trainer.", str(exc))]
        return container
    except KeyError as exc:
        container.children = [_problem_box(f"There is no quiz called “{quiz}”. Please tell your trainer.", str(exc.args[0]))]
        return container

    def render(name: str | None = None) -> None:
        name = name or learner or identity.current_learner()
        if not name:
            container.children = [LearnerForm(on_saved=render, prompt="Before you answer, tell the course who you are: type your name and press “Save name”.")]
            return
        try:
            results = store or get_store()
            container.children = [_build(course, bank, name, results, section)]
        except StoreError as exc:
            container.children = [_problem_box(str(exc))]

    render()
    return container


def _build(course: Course, bank: Bank, learner: str, store: ResultsStore, section: str | None) -> w.Widget:
    if bank.mode == "assessment":
        from course.assessment import draw

        probe = QuizSession(bank, learner, store, questions=[])
        try:
            taken = probe.submissions()
            if probe.can_take(taken):
                questions = draw(course, bank, learner, sitting=len(taken))
            else:
                # Already submitted: show exactly the questions of that submission, whatever the banks say now.
                questions = probe.questions_of(taken[-1], course)
        except StoreError as exc:
            return _problem_box(
                "The assessment cannot start just now: the results database cannot be reached, so the course "
                "cannot check whether you have taken it already. Please try again in a moment or tell your trainer.",
                str(exc),
            )
        return AssessmentQuiz(QuizSession(bank, learner, store, questions=questions, course=course))
    questions: Sequence[Question] = bank.section(section) if section else bank.questions
    if section and not questions:
        return _problem_box(f"No questions check the section “{section}” in quiz “{bank.quiz}”. Please tell your trainer.")
    return PracticeQuiz(QuizSession(bank, learner, store, questions=questions))


# JupyterLab's notebook shortcuts (arrow keys move between cells, "b" inserts one, "d d" deletes
# one) fire on any focused element that is not a text field, so arrow keys could not change a
# radio button or drop-down of a quiz. JupyterLab skips elements marked
# data-lm-suppress-shortcuts; ipywidgets cannot set attributes, so this marks each quiz control as
# it gets focus. It also names each question's group (and radio group) by its prompt for screen
# readers. It runs once per page; elsewhere (Voila, nbclient) it is harmless.
_KEYBOARD_JS = """(() => {
  if (window.__courseQuizKeys) return;
  window.__courseQuizKeys = true;
  document.addEventListener('focusin', (event) => {
    const el = event.target;
    if (el instanceof Element && el.closest('.quiz-question, .quiz-container, .quiz-learner-form')) {
      el.setAttribute('data-lm-suppress-shortcuts', 'true');
    }
  }, true);
  // Screen readers: each question is a group named by its prompt; radio buttons form a radiogroup.
  let next = 0;
  const label = (q) => {
    const prompt = q.querySelector('.quiz-prompt');
    if (!prompt) return;
    if (!prompt.id) prompt.id = 'quiz-prompt-' + (next++);
    q.setAttribute('role', 'group');
    q.setAttribute('aria-labelledby', prompt.id);
    q.querySelectorAll('.widget-radio-box').forEach((box) => {
      box.setAttribute('role', 'radiogroup');
      box.setAttribute('aria-labelledby', prompt.id);
    });
    q.setAttribute('data-quiz-labelled', 'true');
  };
  const labelAll = () => document.querySelectorAll('.quiz-question:not([data-quiz-labelled])').forEach(label);
  new MutationObserver(labelAll).observe(document.body, {childList: true, subtree: true});
  labelAll();
})();"""


def _keyboard_support() -> None:
    """Let the keyboard work inside quizzes in JupyterLab (see :data:`_KEYBOARD_JS`)."""
    from IPython.display import Javascript

    display(Javascript(_KEYBOARD_JS))


def show_quiz(quiz: str, *, section: str | None = None) -> None:
    """Show a quiz in the notebook; with ``section``, only the questions that check that section."""
    _keyboard_support()
    display(quiz_widget(quiz, section=section))


# --- progress ---------------------------------------------------------------------------------


def progress_widget(*, learner: str | None = None, store: ResultsStore | None = None) -> w.Widget:
    """Lessons done, scores and what is left, with a progress bar."""
    from course.progress import learner_progress

    name = learner or identity.current_learner()
    if not name:
        return _notice("Set your name in the welcome lesson to see your progress.")
    try:
        course = get_course()
        rows = learner_progress(course, store or get_store(), name)
    except (BankError, StoreError) as exc:
        return _problem_box("Your progress cannot be shown just now. Please tell your trainer.", str(exc))
    done = sum(1 for r in rows if r.done)
    bar = w.FloatProgress(value=done, min=0, max=max(1, len(rows)), description=f"{done} of {len(rows)} done", style={"description_width": "initial"}, layout=w.Layout(width="60%"))
    bar.add_class("quiz-progress-bar")
    body = "".join(
        f"<tr><td>{escape(r.title)}</td><td>{escape(r.status)}</td><td>{escape(r.detail)}</td></tr>" for r in rows
    )
    table = w.HTML(
        f'<table class="quiz-progress"><thead><tr><th>Lesson</th><th>Status</th><th>Score</th></tr></thead><tbody>{body}</tbody></table>'
        f"<p>Learner: <b>{escape(name)}</b></p>"
    )
    box = w.VBox([bar, table])
    box.add_class("quiz-progress-view")
    return box


def show_progress() -> None:
    """Show the learner's progress through the course."""
    display(progress_widget())
