"""The welcome lesson's quiz in JupyterLab in headless Chromium, as a course author meets it.

Learners see the course in Voilà (``test_learner_view.py``, ``test_learner_answers.py``); course
authors open the same lessons in JupyterLab (``make author``), where the quizzes must work too,
keys included: JupyterLab's own shortcuts must not take the arrow keys from a question. The
welcome quiz (``quizzes/00_welcome.yaml``) has one question of every type. Each test gets the
lesson with every cell run again on an empty scratch database (the ``welcome`` fixture).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .answering import FREE_TEXT_ANSWER, focused, give_right_answer, tab_to_submit
from .conftest import require_playwright

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect
pytestmark = pytest.mark.browser

QUIZ = "welcome"


def test_every_question_type_answered_in_jupyterlab(welcome: Page, course_env) -> None:
    bank = course_env.course().bank(QUIZ)
    for bank_q in bank.questions:
        q = welcome.locator(f".quiz-q-{bank_q.id}")
        give_right_answer(q, bank_q)
        q.locator("button.quiz-submit").click()
        verdict = "Saved for your trainer" if bank_q.type == "free_text" else "✔ Right."
        expect(q.locator(".quiz-feedback .quiz-verdict")).to_contain_text(verdict)

    stored = {a.question: a for a in course_env.attempts()}
    assert sorted(stored) == sorted(q.id for q in bank.questions) and len(course_env.attempts()) == len(bank.questions)
    by_type = {q.type: q for q in bank.questions}
    tf, mc, num = by_type["true_false"], by_type["multiple_choice"], by_type["numeric"]
    order, match, free = by_type["ordering"], by_type["matching"], by_type["free_text"]
    # stored in the bank's terms, whatever order the page showed the choices in
    assert stored[tf.id].response is tf.answer and stored[tf.id].correct is True
    assert stored[mc.id].response == sorted(o.id for o in mc.options if o.correct) and stored[mc.id].correct is True
    assert stored[num.id].response == f"{num.answer:g}" and stored[num.id].correct is True
    assert stored[order.id].response == [item.id for item in order.items] and stored[order.id].correct is True
    assert stored[match.id].response == {p.id: p.id for p in match.pairs} and stored[match.id].correct is True
    assert stored[free.id].response == FREE_TEXT_ANSWER
    assert stored[free.id].correct is None and stored[free.id].score is None  # waits for the trainer
    expect(welcome.locator(".quiz-error")).to_have_count(0)


def test_arrow_keys_choose_within_the_question_not_jupyterlabs_cells(welcome: Page, course_env) -> None:
    """JupyterLab moves between cells on arrow keys; inside a question they change the answer."""
    bank = course_env.course().bank(QUIZ)
    tf = bank.question("welcome-practice-retry")
    q = welcome.locator(f".quiz-q-{tf.id}")
    q.get_by_role("radio").first.focus()
    welcome.keyboard.press("ArrowDown")
    assert "quiz-q-welcome-practice-retry" in focused(welcome)["question"], "the arrow key left the question"
    expect(q.get_by_role("radio").nth(1)).to_be_checked()
    welcome.keyboard.press("ArrowUp")
    expect(q.get_by_role("radio").first).to_be_checked()  # "True"
    tab_to_submit(welcome, tf.id)
    welcome.keyboard.press("Space")
    expect(q.locator(".quiz-feedback .quiz-verdict")).to_contain_text("✔ Right.")

    match = bank.question("welcome-question-kinds")
    menu = welcome.locator(f".quiz-q-{match.id}").locator("select").first
    menu.focus()
    welcome.keyboard.press("ArrowDown")
    expect(menu).not_to_have_value("Choose…")
