"""Drive a quiz's widgets as a learner would, from answers written in the bank's terms.

A page shows a paper (:mod:`course.paper`): choices carry their position as shown, not the bank's
ids. Tests know the answer they want in the bank's terms (``"protocol"``, the items in the right
order); :func:`give` puts it into the view through the same translation the course uses.
"""

from __future__ import annotations

from typing import Any

from course.bank import course_cached
from course.paper import Paper


def bank_question(view: Any) -> Any:
    """The bank's question (with its key) behind a view."""
    return course_cached().question(view.question.id)[1]


def on_paper(view: Any, bank_response: Any, learner: str) -> Any:
    """A response in the bank's ids, as the learner's paper has it."""
    return Paper().from_bank(bank_question(view), learner, bank_response)


def put(view: Any, response: Any) -> None:
    """Set the view's inputs to a response given on the paper, as clicks and typing would."""
    kind = view.question.type
    if kind in ("single_choice", "true_false"):
        view.input.value = response
    elif kind == "multiple_choice":
        for option_id, box in view.boxes.items():
            box.value = option_id in (response or [])
    elif kind == "numeric":
        view.text.value = response if isinstance(response, str) else (str(int(response)) if float(response).is_integer() else str(response))
    elif kind == "ordering":
        view.set_response(response)
    elif kind == "matching":
        for left, menu in view.menus.items():
            menu.value = response.get(left) or ""
    elif kind == "free_text":
        view.input.value = response
    else:
        raise AssertionError(kind)


def give(quiz: Any, question_id: str, bank_response: Any) -> Any:
    """Put ``bank_response`` (in the bank's terms) into one question of ``quiz``; return its view."""
    view = quiz.view(question_id)
    put(view, on_paper(view, bank_response, quiz.learner) if view.question.type not in ("numeric", "free_text", "true_false") else bank_response)
    return view
