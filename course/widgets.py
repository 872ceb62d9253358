"""The course as a learner meets it in a notebook: quizzes, the name form, progress and the course home.

In a lesson, one hidden call shows a quiz (or the part of it that checks one section)::

    from course.widgets import show_quiz
    show_quiz("history", section="FDA approval")

and the course home page shows every lesson with the learner's progress (:func:`show_course_home`).

Every quiz asks its :class:`~course.session.Backend`: in single-user mode a
:class:`~course.session.CourseSession` in this kernel (the banks and the embedded store); on
JupyterHub with the course service (``COURSE_SERVICE_URL`` set), a
:class:`~course.client.ServiceClient`, so that this kernel never holds a key, never decides who
the learner is and never writes a record. One question's view is in :mod:`course.views`.

Nothing here ever raises for a learner: a broken bank, an unknown quiz, an unreachable database
or service becomes a message in the page. Every Submit is safe to press twice: the same answer
submitted again is not stored again, and a submitted assessment always shows its result.
"""

from __future__ import annotations

import atexit
import json
import re
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ipywidgets as w
from IPython.display import display
from ipywidgets.widgets.widget_string import TextStyle

from course import config, identity
from course.records import StoreError
from course.render import escape, markdown
from course.roles import ROLES, role_name
from course.views import (  # noqa: F401 - the views are part of this module's interface
    AUTO,
    FULL_WIDTH,
    ChoiceView,
    FreeTextView,
    MatchingView,
    MultipleChoiceView,
    NumericView,
    OrderingView,
    QuestionView,
    button,
    callback_errors,
    feedback_html,
    guard,
    html,
    log,
    plural,
    question_view,
    stylesheet,
)

if TYPE_CHECKING:
    from course.bank import Course
    from course.session import Backend, Practice, SittingView
    from course.store import ResultsStore

# The banks (pydantic, YAML), grading and the session are imported where first used, not here: a
# lesson kernel's `import course.widgets` costs little more than `import ipywidgets` (issue 13).

_guard = guard  # (the trainer dashboard's name for it)


def _quick_exit() -> None:
    """When a lesson's kernel ends, it ends at once: no message per widget, no garbage collection.

    As the interpreter shuts down, each widget still alive sends the page a comm_close that no
    page waits for (the page is closed, or the kernel restarts and the page drops every widget
    anyway), and the collector walks every object the course, pydantic and ipywidgets made, only
    for the process to end: a lesson's kernel took 0.16-0.23 s to exit against a bare kernel's
    0.08-0.13 s (issue 13). Here the widgets' comms are dropped and every object is moved out of
    the collector's reach (gc.freeze). What the course writes is already on disk by then (answers
    are committed, the outbox and the learner's name written and closed); the operating system
    frees the memory and closes the files. Only in a kernel, not in any other process that imports
    this module.
    """
    import gc

    from ipywidgets.widgets import widget as module

    for each in list(getattr(module, "_instances", {}).values()):
        try:
            each.comm = None
        except Exception:  # noqa: BLE001,S112 - exiting anyway
            continue
    gc.freeze()


def _in_a_kernel() -> bool:
    app = sys.modules.get("ipykernel.kernelapp")
    return app is not None and app.IPKernelApp.initialized()


if _in_a_kernel():
    atexit.register(_quick_exit)  # after the kernel's own handlers were registered: runs before them
HOME_PAGE = "home.ipynb"
"""The course home, relative to a lesson (the lessons and the home are in one folder)."""
_store: ResultsStore | None = None
_store_url: str | None = None

UNREADABLE = (
    "Your earlier answers cannot be shown just now: the results database cannot be reached. "
    "You can still answer; your answers are saved on this computer and sent later."
)
SAVED_LOCALLY = (
    "Saved on this computer: the results database cannot be reached just now. "
    "Your answer will be sent automatically — nothing is lost."
)
SAVED_FOR_LATER = (
    "Your answer is saved on this computer: the course cannot be reached just now. "
    "It will be sent and checked as soon as the course is back — nothing is lost. "
    "You can go on with the next question."
)


# --- where answers go -------------------------------------------------------------------------


def get_store() -> ResultsStore:
    """The results store for this kernel (one per database URL): single-user mode only.

    On a SQLite file, a :class:`~course.lesson_store.LessonStore`: what a page reads is read with
    ``sqlite3``, and SQLAlchemy loads at the first answer stored, not at the first question shown.
    """
    global _store, _store_url
    from course.lesson_store import open_store

    url = config.database_url()
    if _store is None or url != _store_url:
        if _store is not None:
            _store.close()
        _store, _store_url = open_store(url), url  # type: ignore[assignment] - a ResultsStore's methods, read faster
    return _store


def get_course() -> Course:
    """Every bank of the course (reloaded when a bank file changes): single-user mode only."""
    from course.bank import course_cached

    return course_cached()


def get_backend(learner: str | None = None, store: ResultsStore | None = None) -> Backend | None:
    """Who answers this page's questions: the course service on JupyterHub, else this kernel.

    In single-user mode, None while the learner has not told the course their name.
    """
    if config.service_url() and store is None:
        from course.client import ServiceClient

        return ServiceClient.from_environment()
    name = learner or identity.current_learner()
    if not name:
        return None
    from course.session import CourseSession

    return CourseSession(get_course(), store or get_store(), name)


# --- small parts ------------------------------------------------------------------------------


def _notice(text: str, kind: str = "info") -> w.HTML:
    return html(_notice_html(text, kind), FULL_WIDTH)


def _notice_html(text: str, kind: str = "info") -> str:
    return f'<div class="quiz-notice quiz-notice-{kind}" role="status">{escape(text)}</div>'


def _problem_box(text: str, details: str = "") -> w.HTML:
    more = f"<details><summary>Details for the course author</summary><pre>{escape(details)}</pre></details>" if details else ""
    return html(f'<div class="quiz-error quiz-problem" role="alert">{escape(text)}{more}</div>', FULL_WIDTH)


_stylesheet: w.HTML | None = None


def _stylesheet_widget() -> w.HTML:
    """The quizzes' stylesheet as one widget, shown in every box of the page (11 kB: a copy per
    quiz was 66 kB of widget state a lesson sent, and the page built six times)."""
    global _stylesheet
    if _stylesheet is None or _stylesheet.comm is None:  # (closed: Widget.close_all())
        _stylesheet = html(stylesheet())
    return _stylesheet


class _Page(w.VBox):
    """A box of the page: a quiz, a form, the progress or the course home."""

    def __repr__(self) -> str:
        # Displaying a widget puts its repr in the output as text/plain (then cut to 110
        # characters): ipywidgets' repr spells out every child, 2-3.5 ms and 20-40 kB of text per
        # quiz, the prompts' HTML included. What a page without the widgets shows instead:
        return "Course page (open it in the course to see it)"


def _page(children: list[w.Widget], *classes: str) -> w.VBox:
    """A box of the page showing ``children``, with the quizzes' stylesheet after them; its CSS
    classes and children are given when it is made (each change afterwards is one more message)."""
    return _Page([*children, _stylesheet_widget()], layout=FULL_WIDTH, _dom_classes=(*classes, "course-view"))  # course-view: the stylesheet's scope


def _styled(container: w.Box, children: list[w.Widget]) -> None:
    """Show ``children`` instead in a box made by :func:`_page` (once the learner has given a name)."""
    container.children = [*children, _stylesheet_widget()]


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%d %b %Y, %H:%M")


def _canonical(response: Any) -> str:
    from course.session import to_json

    return json.dumps(to_json(response), sort_keys=True, ensure_ascii=False)


# --- a practice quiz --------------------------------------------------------------------------


class PracticeQuiz(w.VBox):
    """Questions answered one at a time, with feedback at once and retries until right."""

    def __init__(self, backend: Backend, practice: Practice):
        self.backend = backend
        self.practice = practice
        self.views = [question_view(q) for q in practice.questions]
        self._last: dict[str, tuple[str, str, Any]] = {}  # question id -> (answer given, key, what came back)
        for view in self.views:
            view.on_submit = self._submit
            earlier = practice.earlier.get(view.question.id)
            if earlier is None:
                continue
            view.set_response(earlier.response)
            if earlier.grade is not None:
                view.show_grade(earlier.grade, note=f"Your answer from {_when(earlier.answered_at)}.")
                if earlier.grade.correct:
                    view.lock()
        notices = [_notice(UNREADABLE, "warning")] if practice.earlier_unreadable else []
        super().__init__([*notices, *self.views], layout=FULL_WIDTH, _dom_classes=("quiz", f"quiz-{practice.quiz}"))

    @property
    def learner(self) -> str:
        return self.backend.learner

    def view(self, question_id: str) -> QuestionView:
        """The view of one question."""
        return next(v for v in self.views if v.question.id == question_id)

    def _submit(self, view: QuestionView) -> None:
        view.submit.disabled = True  # while it is handled; _show or a message enables it again
        response = view.response()
        given = _canonical(response)
        last = self._last.get(view.question.id)
        if last is not None and last[0] == given and not last[2].queued:
            self._show(view, last[2])  # the same answer again (a double click): one attempt
            return
        key = last[1] if last is not None and last[0] == given else uuid.uuid4().hex
        from course.grading import UngradableResponse

        try:
            answered = self.backend.answer(self.practice.quiz, view.question.id, response, key=key)
        except UngradableResponse as exc:
            view.submit.disabled = False
            view.show_invalid(str(exc))
            return
        except StoreError as exc:
            view.submit.disabled = False
            view.show_error(str(exc))
            return
        self._last[view.question.id] = (given, key, answered)
        self._show(view, answered)

    def _show(self, view: QuestionView, answered: Any) -> None:
        if answered.grade is None:
            view.show_queued(SAVED_FOR_LATER)
            view.submit.disabled = False
            return
        view.show_grade(answered.grade, note=SAVED_LOCALLY if answered.queued else "")
        view.lock(answered.grade.correct)


# --- an assessment ----------------------------------------------------------------------------


class AssessmentQuiz(w.VBox):
    """Every question answered, then submitted once; then the score, pass or fail, and critical misses."""

    def __init__(self, backend: Backend, sitting: SittingView):
        self.backend = backend
        self.sitting = sitting
        self.views = [question_view(q, with_submit=False) for q in sitting.questions]
        self.submit = button("Submit the assessment", button_style="primary", tooltip="Submit all your answers; you cannot change them afterwards", classes=("quiz-submit-assessment",))
        self.submit.on_click(self._clicked)
        self.result = html("", FULL_WIDTH, classes=("quiz-result",))
        count = len(self.views)
        self.intro = _notice(
            f"{plural(count, 'question')}. Answer all of them, then press “Submit the assessment” once. "
            f"Pass mark: {sitting.pass_mark:g}%, and every safety-critical question must be right."
        )
        controls = w.HBox([self.submit], layout=AUTO, _dom_classes=("quiz-controls",))
        super().__init__([self.intro, *self.views, controls, self.result], layout=FULL_WIDTH, _dom_classes=("quiz", "quiz-assessment", f"quiz-{sitting.quiz}"))
        if sitting.state == "submitted":
            self._apply(sitting, note="You have already taken this assessment: this is your result and your answers.")

    @property
    def learner(self) -> str:
        return self.backend.learner

    def view(self, question_id: str) -> QuestionView:
        return next(v for v in self.views if v.question.id == question_id)

    def _lock_all(self) -> None:
        for view in self.views:
            view.lock()
        self.submit.disabled = True
        self.submit.description = "Submitted"

    def _clicked(self, _button: w.Button) -> None:
        with guard(lambda text: setattr(self.result, "value", f'<div class="quiz-error" role="alert">{escape(text)}</div>')):
            if self.sitting.state == "submitted":  # a second click: the result stays as it is
                return
            self._submit_all()

    def _submit_all(self) -> None:
        responses = {view.question.id: view.response() for view in self.views}
        self.submit.disabled = True
        from course.session import AssessmentClosed, IncompleteAssessment

        try:
            outcome = self.backend.submit(self.sitting.quiz, self.sitting.sitting or "", responses)
        except IncompleteAssessment as exc:
            self.submit.disabled = False
            for view in self.views:
                if view.question.id in exc.problems:
                    view.show_invalid(exc.problems[view.question.id])
                else:
                    view.clear_message()
            count = len(exc.problems)
            self.result.value = f'<div class="quiz-invalid" role="alert">{count} question{"s" * (count != 1)} still need{"s" * (count == 1)} an answer (marked above). Nothing was submitted yet.</div>'
            return
        except (AssessmentClosed, StoreError) as exc:
            self.submit.disabled = False
            self.result.value = f'<div class="quiz-invalid" role="alert">{escape(str(exc))}</div>'
            return
        same = all(_canonical(outcome.responses.get(k)) == _canonical(v) for k, v in responses.items())
        note = "" if same else "This assessment had already been submitted (for example in another tab); these are the answers and the result submitted first."
        if outcome.queued:
            note = SAVED_LOCALLY
        self._apply(outcome, note=note)

    def _apply(self, sitting: SittingView, note: str = "") -> None:
        """Show a submitted sitting: its answers, each grade, the result; everything locked."""
        self.sitting = sitting
        for view in self.views:
            qid = view.question.id
            if qid in sitting.responses and sitting.responses[qid] is not None:
                view.set_response(sitting.responses[qid])
            if qid in sitting.grades:
                view.show_grade(sitting.grades[qid])
        self._lock_all()
        self.result.value = self._result_html(sitting, note)
        self.intro.value = self._summary_html(sitting)

    def _summary_html(self, sitting: SittingView) -> str:
        """At the top of a submitted assessment: the verdict, and where the rest is."""
        score = sitting.score
        assert score is not None
        verdict, _kind, _waiting = _verdict(sitting)
        return (
            f'<div class="quiz-notice quiz-summary" role="status">You have submitted this assessment. Result: <b>{verdict}</b> '
            f"({score.percent:.0f}%; pass mark {sitting.pass_mark:g}%). Each question below shows your answer and its explanation; "
            "the result and what to do next are at the end.</div>"
        )

    def _result_html(self, sitting: SittingView, note: str) -> str:
        score = sitting.score
        assert score is not None
        verdict, kind, waiting = _verdict(sitting)
        lines = [f'<div class="quiz-verdict"><b>{verdict}</b>: {score.total:.3g} of {plural(score.maximum, "point")} ({score.percent:.0f}%; pass mark {sitting.pass_mark:g}%).</div>']
        if score.critical_missed:
            prompts = {v.question.id: v.question.prompt for v in self.views}
            titles = "".join(f"<li>{markdown(prompts[qid]) if qid in prompts else escape(qid)}</li>" for qid in score.critical_missed)
            lines.append(f'<div class="quiz-critical-missed">Safety-critical questions missed (each must be right to pass):<ul>{titles}</ul></div>')
        if score.pending:
            count = len(score.pending)
            lines.append(f'<div class="quiz-pending-note">{count} written answer{"s" * (count != 1)} wait{"s" * (count == 1)} for your trainer\'s score; '
                         "your result is final once they are scored (see your progress).</div>")  # fmt: skip
        if sitting.retake_possible:
            lines.append('<div class="quiz-next-step">Your trainer has allowed you another sitting: reload this page to start it.</div>')
        elif score.passed:
            lines.append('<div class="quiz-next-step">Well done. Your trainer issues your certificate; you do not need to do anything else.</div>')
        elif not waiting:
            lines.append('<div class="quiz-next-step">Talk to your trainer: they can go through your answers with you and allow a retake. '
                         "The explanation under each question shows what was expected.</div>")  # fmt: skip
        if note:
            lines.append(f'<div class="quiz-note">{escape(note)}</div>')
        return f'<div class="quiz-result-box {kind}" role="status">{"".join(lines)}</div>'


def _verdict(sitting: SittingView) -> tuple[str, str, bool]:
    """A submitted sitting's verdict in words, its CSS class, and whether it waits for a trainer's score."""
    score = sitting.score
    assert score is not None
    # waiting: a written answer is not scored yet, and full marks on it would pass (as course.progress decides)
    pending_points = sum(q.points for q in sitting.questions if q.id in score.pending)
    most = score.maximum + pending_points
    waiting = bool(score.pending) and not score.critical_missed and most > 0 and 100 * (score.total + pending_points) / most + 1e-9 >= sitting.pass_mark
    if score.passed:
        return "Passed", "quiz-passed", False
    return ("Awaiting a trainer's review", "quiz-waiting", True) if waiting else ("Not passed", "quiz-failed", False)


def _locked_box(sitting: SittingView) -> w.HTML:
    items = "".join(f"<li>{escape(title)}</li>" for title in sitting.reasons)
    return html(
        f'<div class="quiz-locked" role="status"><div class="quiz-locked-title">{escape(sitting.title)} opens when you have done these lessons:</div>'
        f"<ul>{items}</ul><p>A lesson is done when you have answered each of its questions at least once. "
        f'Your progress is on the <a href="{HOME_PAGE}">course home page</a>.</p>'
        "<p>If you have learned this elsewhere, your trainer can open the assessment for you early.</p></div>",
        FULL_WIDTH,
    )


# --- who the learner is -----------------------------------------------------------------------

_waiting_for_a_name: list[Callable[[str], None]] = []
"""What to show again once the learner has told the course their name (every quiz on the page)."""


def _name_saved(name: str) -> None:
    waiting = list(_waiting_for_a_name)
    _waiting_for_a_name.clear()
    for show_again in waiting:
        show_again(name)


NAME_PROMPT = "Type your full name, choose your role at the clinic and press “Save name”. The course remembers them on this computer, and every question on this page opens."
HOME_PROMPT = "Welcome! Before you start, type your full name, choose your role at the clinic and press “Save name”. The course keeps your answers and your progress under your name, and your lessons follow your role."
QUIZ_PROMPT = "Before you answer, type your name, choose your role and press “Save name” (once: every question on this page opens)."
NAME_STYLE = TextStyle(description_width="initial")
NAME_WIDTH = w.Layout(width="22em", max_width="100%")
ROLE_STYLE = {"description_width": "initial"}
ROLE_CHOICES = [("Choose your role…", ""), *((name, role) for role, name in ROLES.items())]
ROLE_PROMPT = "Your role at the clinic decides which sections of each lesson and of the final assessment are yours. Choose it once and press “Save role”."


def _role_menu() -> w.Dropdown:
    """The roles to choose from (a native select: readable and usable on a phone)."""
    return w.Dropdown(options=ROLE_CHOICES, value="", description="Your role", style=ROLE_STYLE, layout=NAME_WIDTH, _dom_classes=("quiz-role-select",))


def _role_words(role: str) -> str:
    return f"Your role: {role_name(role)}. Your lessons and your final assessment follow it; if it is wrong, ask your trainer to change it."


def _give_role(backend: Backend, role: str) -> str:
    """Store the learner's role through ``backend``; the sentence to show (ValueError, StoreError)."""
    return _role_words(backend.set_role(role))


class RoleForm(w.VBox):
    """Ask the learner's role once (a trainer changes it afterwards)."""

    def __init__(self, backend: Backend, *, prompt: str = ROLE_PROMPT):
        self.backend = backend
        self.role = _role_menu()
        self.save = button("Save role", button_style="primary", tooltip="Save your role")
        self.save.on_click(self._clicked)
        self.message = html("", classes=("quiz-message",))
        controls = w.HBox([self.role, self.save], layout=AUTO, _dom_classes=("quiz-controls",))
        super().__init__([html(f'<p class="quiz-form-prompt">{escape(prompt)}</p>'), controls, self.message], layout=AUTO, _dom_classes=("quiz-learner-form", "quiz-role-form"))

    def _show(self, text: str, kind: str = "invalid") -> None:
        self.message.value = f'<span class="quiz-{kind}" role="alert">{escape(text)}</span>'

    def _clicked(self, _button: w.Button) -> None:
        with guard(lambda text: self._show(text, "error")):
            if not self.role.value:
                self._show("Please choose your role.")
                return
            try:
                said = _give_role(self.backend, self.role.value)
            except (ValueError, StoreError) as exc:
                self._show(str(exc))
                return
            self.role.disabled = self.save.disabled = True
            self._show(f"Saved. {said}", "saved")


def _role_part(backend: Backend) -> w.Widget:
    """The learner's role, or the form to give it (while not given)."""
    try:
        role = backend.role()
    except StoreError as exc:
        return _problem_box("Your role cannot be shown just now. Please try again in a moment or tell your trainer.", str(exc))
    return _notice(_role_words(role)) if role else RoleForm(backend)


class LearnerForm(w.VBox):
    """Set the learner's name once; it is remembered, and every quiz on the page opens at once."""

    def __init__(self, on_saved: Callable[[str], None] | None = None, *, prompt: str = NAME_PROMPT, value: str | None = None, ask_role: bool = True):
        self.on_saved = on_saved
        self.name = w.Text(
            value=(identity.remembered() or "") if value is None else value,
            placeholder="Your full name",
            description="Your name",
            style=NAME_STYLE,
            layout=NAME_WIDTH,
        )
        self.role: w.Dropdown | None = _role_menu() if ask_role else None
        """The learner's role, asked with the name (stored once the name is; a trainer changes it)."""
        self.save = button("Save name", button_style="primary", tooltip="Save your name")
        self.save.on_click(self._clicked)
        self.message = html("", classes=("quiz-message",))
        controls = w.HBox([self.name, *([self.role] if self.role is not None else []), self.save], layout=AUTO, _dom_classes=("quiz-controls",))
        super().__init__([html(f'<p class="quiz-form-prompt">{escape(prompt)}</p>'), controls, self.message], layout=AUTO, _dom_classes=("quiz-learner-form",))

    def _show(self, text: str, kind: str = "invalid") -> None:
        self.message.value = f'<span class="quiz-{kind}" role="alert">{escape(text)}</span>'

    def _clicked(self, _button: w.Button) -> None:
        with guard(lambda text: self._show(text, "error")):
            try:
                name = identity.remember(self.name.value)
            except identity.InvalidName as exc:
                self._show(str(exc))
                return
            self.name.value = name
            said = f"Saved. Welcome, {name}! Your answers will be saved under this name."
            if self.role is not None:
                said += " " + self._save_role(name)
            self._show(said, "saved")
            if self.on_saved is not None:
                self.on_saved(name)
            _name_saved(name)


    def _save_role(self, name: str) -> str:
        """Store the role chosen with the name; what to tell the learner."""
        assert self.role is not None
        if not self.role.value:
            return "Please choose your role too, and press “Save name” again."
        backend = get_backend(name)
        if backend is None:
            return ""
        try:
            said = _give_role(backend, self.role.value)
        except (ValueError, StoreError) as exc:
            return str(exc)
        self.role.disabled = True
        return said


class SignedIn(w.VBox):
    """Whose answers these are, with a way to correct the name (a typing slip, a shared computer)."""

    def __init__(self, name: str):
        self.learner = name
        self.notice = _notice(f"You are signed in as {name}. Your answers and progress are saved under this name.")
        self.change = button("Not you? Change the name", tooltip="Use another name from now on", classes=("quiz-secondary",))
        self.change.on_click(self._change)
        super().__init__([self.notice, self.change], layout=FULL_WIDTH, _dom_classes=("quiz-signed-in",))

    def _change(self, _button: w.Button) -> None:
        with guard(lambda text: setattr(self.notice, "value", f'<div class="quiz-error" role="alert">{escape(text)}</div>')):
            form = LearnerForm(
                self._changed,
                prompt=f"Type the name to use from now on and press “Save name”. Answers given so far stay under {self.learner}.",
                value="",
                ask_role=False,
            )
            self.children = [self.notice, form]

    def _changed(self, name: str) -> None:
        self.learner = name
        self.notice.value = _notice_html(f"You are signed in as {name}. Reload this page for its questions to be saved under the new name too.")


def learner_widget() -> w.Widget:
    """The welcome lesson's name and role form, or who the learner already is (and the role form
    while the role is not given)."""
    if config.service_url():
        try:
            backend = get_backend()
            assert backend is not None
            signed_in = _notice(f"You are signed in as {backend.learner} (your JupyterHub account). Your answers are saved under this name.")
        except StoreError as exc:
            return _problem_box("The course cannot be reached just now. Please try again in a moment or tell your trainer.", str(exc))
        return w.VBox([signed_in, _role_part(backend)], layout=FULL_WIDTH)
    where = identity.source()
    name = identity.current_learner()
    if where in ("jupyterhub", "environment") and name:
        how = "your JupyterHub account" if where == "jupyterhub" else "the COURSE_LEARNER setting"
        signed_in = _notice(f"You are signed in as {name} (from {how}). Your answers are saved under this name.")
    elif name:
        signed_in = SignedIn(name)
    else:
        return LearnerForm()
    backend = get_backend(name)
    assert backend is not None
    return w.VBox([signed_in, _role_part(backend)], layout=FULL_WIDTH)


def show_learner_form() -> None:
    """Show the name form (in the welcome lesson)."""
    _page_support()
    display(_page([learner_widget()]))


# --- quizzes ----------------------------------------------------------------------------------


def quiz_widget(quiz: str, *, section: str | None = None, learner: str | None = None, store: ResultsStore | None = None) -> w.Widget:
    """The widget for a quiz (or the questions that check one lesson section).

    Never raises for a learner: a broken bank, an unknown quiz or an unreachable database or
    service becomes a message in the notebook. ``children[0]`` is the quiz (or the message).
    """
    from course.bank import BankError

    def content(name: str | None = None) -> list[w.Widget]:
        try:
            backend = get_backend(name or learner, store)
            if backend is None:
                _waiting_for_a_name.append(render)
                return [LearnerForm(prompt=QUIZ_PROMPT)]
            return [_quiz(backend, quiz, section)]
        except BankError as exc:
            log.error("question bank problem:\n%s", exc)
            return [_problem_box("This quiz cannot be shown because a question bank has a mistake. Please tell your trainer.", str(exc))]

    def render(name: str | None = None) -> None:
        _styled(container, content(name))

    container = _page(content(), "quiz-container")
    return container


def _quiz(backend: Backend, quiz: str, section: str | None) -> w.Widget:
    try:
        course_quiz_mode = backend.mode(quiz)
    except KeyError as exc:
        return _problem_box(f"There is no quiz called “{quiz}”. Please tell your trainer.", str(exc.args[0]))
    except StoreError as exc:
        return _problem_box(str(exc))
    if course_quiz_mode == "assessment":
        try:
            sitting = backend.sitting(quiz)
        except StoreError as exc:
            return _problem_box(
                "The assessment cannot start just now: the course cannot check whether you have taken it already. "
                "Please try again in a moment or tell your trainer.",
                str(exc),
            )
        return _locked_box(sitting) if sitting.state == "locked" else AssessmentQuiz(backend, sitting)
    try:
        practice = backend.practice(quiz, section)
    except KeyError as exc:
        return _problem_box(f"{exc.args[0]} Please tell your trainer.")
    except StoreError as exc:
        return _problem_box(str(exc))
    if practice.earlier_unreadable:
        log.warning("earlier answers of %s could not be read", quiz)
    return PracticeQuiz(backend, practice)




# --- progress and the course home -------------------------------------------------------------


_PRACTICE_DETAIL = re.compile(r"first tries (\d+)%; right now (\d+) of (\d+)")


def _in_words(detail: str) -> str:
    """A lesson's score as a learner reads it: "first tries 42%; right now 8 of 19" (course.progress)
    becomes "42% right first time; 8 of 19 right now" (anything else is shown as it is)."""
    found = _PRACTICE_DETAIL.fullmatch(detail)
    if found is None:
        return detail
    first, right, total = found.groups()
    return f"{first}% right first time; {right} of {total} right now"


def progress_widget(*, learner: str | None = None, store: ResultsStore | None = None) -> w.Widget:
    """Lessons done, scores and what is left, with a progress bar."""
    from course.bank import BankError

    try:
        backend = get_backend(learner, store)
        if backend is None:
            return _notice("Set your name in the welcome lesson to see your progress.")
        rows = backend.progress()
    except (BankError, StoreError) as exc:
        return _problem_box("Your progress cannot be shown just now. Please tell your trainer.", str(exc))
    done = sum(1 for r in rows if _finished(r))
    try:
        track = _track_html(backend.role())
    except StoreError:
        track = ""
    body = "".join(f"<tr><td>{escape(r.title)}</td><td>{escape(r.status)}</td><td>{escape(_in_words(r.detail))}</td></tr>" for r in rows)
    table = html(
        f'<div class="quiz-home"><p><b>{done} of {len(rows)} done</b> — learner: <b>{escape(backend.learner)}</b></p>{track}'
        f'{_progress_bar(done, len(rows))}'
        f'<table class="quiz-progress"><thead><tr><th>Lesson</th><th>Status</th><th>Score</th></tr></thead><tbody>{body}</tbody></table></div>',
        FULL_WIDTH,
    )
    return w.VBox([table], layout=FULL_WIDTH, _dom_classes=("quiz-progress-view",))


def show_progress() -> None:
    """Show the learner's progress through the course."""
    display(_page([progress_widget()]))


def home_widget() -> w.Widget:
    """The course home: who the learner is, every lesson with its progress, the next one to take."""
    from course.bank import BankError

    def content(name: str | None = None) -> list[w.Widget]:
        try:
            backend = get_backend(name)
            if backend is None:
                _waiting_for_a_name.append(render)
                return [LearnerForm(prompt=HOME_PROMPT)]
            return [html(_home_html(backend), FULL_WIDTH)]
        except (BankError, StoreError) as exc:
            return [_problem_box("Your course cannot be shown just now. Please try again in a moment or tell your trainer.", str(exc))]

    def render(name: str | None = None) -> None:
        _styled(container, content(name))

    container = _page(content(), "quiz-home-container")
    return container


def _progress_bar(done: int, total: int) -> str:
    """The lessons done as a bar, named for screen readers (the progress and the course home)."""
    percent = 100 * done / max(1, total)
    return (
        f'<div class="quiz-progress-bar" role="progressbar" aria-label="Lessons done" aria-valuenow="{done}" aria-valuemin="0" '
        f'aria-valuemax="{total}"><div style="width:{percent:.0f}%"></div></div>'
    )


def _track_html(role: str | None) -> str:
    """Which track the progress counts: the role's sections, or every section while no role is given."""
    if role:
        return f'<p class="quiz-track">Your track: <b>{escape(role_name(role))}</b>. Progress counts the sections your role needs.</p>'
    return ('<p class="quiz-track">Your role is not given yet, so progress counts every section. '
            'Choose your role in the <a href="00_welcome.ipynb">welcome lesson</a>.</p>')  # fmt: skip


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _finished(row: Any) -> bool:
    """Done, for the learner's count: a lesson answered through; an assessment only once passed."""
    return row.done and row.passed is not False


def _home_html(backend: Backend) -> str:
    home = backend.home()
    lessons = list(home.lessons)
    number = {row.title: str(n) for n, row in enumerate(lessons)}
    done = sum(1 for r in lessons if _finished(r))
    items = []
    for n, row in enumerate(lessons):
        locked = home.locked.get(row.quiz)
        classes = "quiz-home-lesson" + (" quiz-home-next" if row.quiz == home.next_quiz else "")
        if locked:
            status = "locked"
            which = [number.get(title, title) for title in locked]
            first = "lesson" if len(which) == 1 else "lessons"
            action = f'<div class="quiz-home-locked">Opens when you have done {first} {escape(_and(which))}.</div>'
        else:
            label = "Start" if row.status in ("not started", "not taken") else "Continue" if not row.done else "Open"
            status = row.status + (f" — {_in_words(row.detail)}" if row.detail else "")
            action = f'<a class="quiz-home-open" href="{escape(row.lesson)}" aria-label="{escape(label)}: {escape(row.title)}">{label}</a>'
        items.append(
            f'<li class="{classes}" data-quiz="{escape(row.quiz)}"><span class="quiz-home-title">{n}. {escape(row.title)}</span>'
            f'<span class="quiz-home-status">{escape(status)}</span>{action}</li>'
        )
    nxt = next((r for r in lessons if r.quiz == home.next_quiz), None)
    if nxt is not None:
        lead = f'<p class="quiz-home-lead">Next: <a href="{escape(nxt.lesson)}"><b>{escape(number[nxt.title])}. {escape(nxt.title)}</b></a></p>'
    else:
        lead = '<p class="quiz-home-lead"><b>You have done every lesson.</b></p>'
    return (
        f'<div class="quiz-home"><p>Signed in as <b>{escape(home.learner)}</b>.</p>{_track_html(home.role)}{_due_html(home.due)}'
        f'<p>{done} of {len(lessons)} done</p>{_progress_bar(done, len(lessons))}'
        f'{lead}<ol class="quiz-home-lessons">{"".join(items)}</ol>'
        "<p class=\"quiz-note\">A lesson is done when you have answered each of its questions at least once.</p></div>"
    )


def _due_html(due: str | None) -> str:
    """The learner's due date or recertification note (course.recert.learner_note), if any."""
    if not due:
        return ""
    urgent = due.startswith(("Overdue", "Expired", "Due soon"))
    return f'<p class="quiz-home-due{" quiz-home-due-urgent" if urgent else ""}" role="{"alert" if urgent else "note"}">{escape(due)}</p>'


def show_course_home() -> None:
    """Show the course home (the first page a learner opens)."""
    _page_support()
    display(home_widget())


# --- the entry points used in lessons ---------------------------------------------------------


# JupyterLab's notebook shortcuts (arrow keys move between cells, "b" inserts one, "d d" deletes
# one) fire on any focused element that is not a text field, so arrow keys could not change a
# radio button or drop-down of a quiz. JupyterLab skips elements marked
# data-lm-suppress-shortcuts; ipywidgets cannot set attributes, so this marks each quiz control as
# it gets focus. It also names each question's group (and radio group) by its prompt for screen
# readers, and disables a Submit button the moment it is clicked (the kernel enables it again once
# the answer is handled), so a double click sends one answer. It runs once per page; elsewhere
# (nbclient, static HTML) it is harmless.
_PAGE_JS = """(() => {
  if (window.__courseQuizPage) return;
  window.__courseQuizPage = true;
  document.addEventListener('focusin', (event) => {
    const el = event.target;
    if (el instanceof Element && el.closest('.quiz-question, .quiz-container, .quiz-learner-form, .quiz-home-container')) {
      el.setAttribute('data-lm-suppress-shortcuts', 'true');
    }
  }, true);
  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element && event.target.closest('button.quiz-submit, button.quiz-submit-assessment');
    if (button) setTimeout(() => { button.disabled = true; }, 0);
  }, true);
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


def _page_support() -> None:
    """Keyboard, screen-reader and double-click support for quizzes (see :data:`_PAGE_JS`)."""
    from IPython.display import Javascript

    display(Javascript(_PAGE_JS))


def show_quiz(quiz: str, *, section: str | None = None) -> None:
    """Show a quiz in the notebook; with ``section``, only the questions that check that section."""
    _page_support()
    display(quiz_widget(quiz, section=section))
