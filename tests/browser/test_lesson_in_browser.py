"""The welcome lesson's quiz answered in JupyterLab in headless Chromium, as a learner would.

The welcome quiz (``quizzes/00_welcome.yaml``) has one question of every type. Each test gets the
lesson with every cell run again on an empty scratch database (the ``welcome`` fixture), answers
through the page (clicks, typing, keys), reads the feedback from the page, and then checks what the
kernel stored in the scratch results database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .conftest import require_playwright

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

expect = require_playwright().expect
pytestmark = pytest.mark.browser

QUIZ = "welcome"
FREE_TEXT_ANSWER = "I work at the front desk and want to learn how to answer patients' questions honestly."


def question(page: Page, question_id: str) -> Locator:
    return page.locator(f".quiz-q-{question_id}")


def submit(q: Locator) -> None:
    q.locator("button.quiz-submit").click()


def first_sentence(text: str) -> str:
    return " ".join(text.split()).split(". ")[0]


def expect_no_error_messages(page: Page) -> None:
    """No friendly 'something went wrong' box: no exception inside a widget callback."""
    expect(page.locator(".quiz-error")).to_have_count(0)


def test_single_choice_wrong_then_right_shows_feedback_and_stores_both(welcome: Page, course_env) -> None:
    bank_q = course_env.course().bank(QUIZ).question("welcome-who-decides")
    right = next(o for o in bank_q.options if o.correct)
    wrong = next(o for o in bank_q.options if not o.correct and o.feedback)
    q = question(welcome, bank_q.id)

    q.get_by_role("radio", name=wrong.text, exact=True).check()
    submit(q)
    expect(q.locator(".quiz-verdict.quiz-wrong")).to_have_text("✘ Not right.")
    expect(q.locator(".quiz-option-feedback")).to_have_text(wrong.feedback)
    expect(q.locator(".quiz-explanation")).to_contain_text(first_sentence(bank_q.explanation))
    expect(q.locator("button.quiz-submit")).to_be_enabled()  # practice: try again

    q.get_by_role("radio", name=right.text, exact=True).check()
    submit(q)
    expect(q.locator(".quiz-verdict.quiz-right")).to_have_text("✔ Right.")
    expect(q.locator(".quiz-explanation")).to_contain_text(first_sentence(bank_q.explanation))
    expect(q.locator("button.quiz-submit")).to_be_disabled()  # right: locked

    stored = course_env.attempts(bank_q.id)
    assert [(a.learner, a.response, a.correct, a.score) for a in stored] == [
        (course_env.learner, wrong.id, False, 0.0),
        (course_env.learner, right.id, True, 1.0),
    ]
    assert all(a.quiz == QUIZ and a.mode == "practice" for a in stored)
    expect_no_error_messages(welcome)


def put_in_order(q: Locator, wanted: list[str]) -> None:
    """Press the Up buttons until the items read in the wanted order (a bubble sort, as a learner would)."""
    rows = q.locator(".quiz-order-row")
    expect(rows).to_have_count(len(wanted))

    def label(position: int) -> Locator:
        return rows.nth(position).locator(".widget-label").nth(1)  # the first label is the number

    for target, text in enumerate(wanted):
        current = [label(p).inner_text() for p in range(len(wanted))]
        position = current.index(text)
        while position > target:
            rows.nth(position).get_by_title(f"Move “{text}” up").click()
            position -= 1
            expect(label(position)).to_have_text(text)  # the kernel moved it and the page shows it
    for position, text in enumerate(wanted):
        expect(label(position)).to_have_text(text)


def test_every_question_type_answered_in_the_page(welcome: Page, course_env) -> None:
    bank = course_env.course().bank(QUIZ)
    by_type = {q.type: q for q in bank.questions}

    # true/false: radio buttons
    tf = by_type["true_false"]
    q = question(welcome, tf.id)
    q.get_by_role("radio", name="True" if tf.answer else "False", exact=True).check()
    submit(q)
    expect(q.locator(".quiz-verdict.quiz-right")).to_be_visible()
    expect(q.locator(".quiz-explanation")).to_contain_text(first_sentence(tf.explanation))

    # multiple choice: tick every right option
    mc = by_type["multiple_choice"]
    q = question(welcome, mc.id)
    for option in mc.options:
        if option.correct:
            q.get_by_role("checkbox", name=option.text, exact=True).check()
    submit(q)
    expect(q.locator(".quiz-verdict.quiz-right")).to_be_visible()

    # numeric: type the number
    num = by_type["numeric"]
    q = question(welcome, num.id)
    q.get_by_role("textbox").fill(f"{num.answer:g}")
    submit(q)
    expect(q.locator(".quiz-verdict.quiz-right")).to_be_visible()

    # ordering: the Up buttons
    order = by_type["ordering"]
    q = question(welcome, order.id)
    put_in_order(q, [item.text for item in order.items])
    submit(q)
    expect(q.locator(".quiz-verdict.quiz-right")).to_be_visible()

    # matching: a drop-down per item (option values are the texts; the labels use &nbsp;)
    match = by_type["matching"]
    q = question(welcome, match.id)
    for pair in match.pairs:
        q.get_by_label(pair.left, exact=True).select_option(value=pair.right)
    submit(q)
    expect(q.locator(".quiz-verdict.quiz-right")).to_be_visible()

    # free text: saved for the trainer
    free = by_type["free_text"]
    q = question(welcome, free.id)
    q.get_by_role("textbox").fill(FREE_TEXT_ANSWER)
    submit(q)
    expect(q.locator(".quiz-verdict.quiz-pending")).to_contain_text("Saved for your trainer")

    stored = {a.question: a for a in course_env.attempts()}
    assert len(course_env.attempts()) == 6
    assert stored[tf.id].response is tf.answer and stored[tf.id].correct is True
    assert stored[mc.id].response == sorted(o.id for o in mc.options if o.correct) and stored[mc.id].correct is True
    assert stored[num.id].response == f"{num.answer:g}" and stored[num.id].correct is True
    assert stored[order.id].response == [item.id for item in order.items] and stored[order.id].correct is True
    assert stored[match.id].response == {p.id: p.id for p in match.pairs} and stored[match.id].correct is True
    assert stored[free.id].response == FREE_TEXT_ANSWER
    assert stored[free.id].correct is None and stored[free.id].score is None  # waits for the trainer
    expect_no_error_messages(welcome)


def focused(page: Page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName, type: e.type || '', label: (e.closest('label') || {}).textContent || '',
                           submit: e.classList.contains('quiz-submit'),
                           question: (e.closest('.quiz-question') || {className: ''}).className}; }"""
    )


def tab_to_submit(page: Page, question_id: str, limit: int = 8) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["submit"] and f"quiz-q-{question_id}" in now["question"]:
            return
    pytest.fail(f"Tab did not reach the Submit button of {question_id} within {limit} presses (focus on {focused(page)})")


def test_keyboard_only(welcome: Page, course_env) -> None:
    """Tab to the right option, Space to choose it, Tab to Submit, Enter: the feedback shows."""
    bank_q = course_env.course().bank(QUIZ).question("welcome-who-decides")
    right = next(o for o in bank_q.options if o.correct)
    q = question(welcome, bank_q.id)
    radios = q.get_by_role("radio")
    count = radios.count()

    radios.first.focus()  # the question's first input; from here on only keys
    for _ in range(count):
        if focused(welcome)["label"] == right.text:
            break
        welcome.keyboard.press("Tab")
    assert focused(welcome)["label"] == right.text, f"Tab did not reach the option {right.text!r}"
    welcome.keyboard.press("Space")
    expect(q.get_by_role("radio", name=right.text, exact=True)).to_be_checked()
    tab_to_submit(welcome, bank_q.id)
    welcome.keyboard.press("Enter")

    expect(q.locator(".quiz-verdict.quiz-right")).to_be_visible()
    expect(q.locator(".quiz-explanation")).to_contain_text(first_sentence(bank_q.explanation))
    assert [(a.response, a.correct) for a in course_env.attempts(bank_q.id)] == [(right.id, True)]
    expect_no_error_messages(welcome)


def test_arrow_keys_choose_within_the_question(welcome: Page, course_env) -> None:
    bank = course_env.course().bank(QUIZ)
    tf = bank.question("welcome-practice-retry")
    q = question(welcome, tf.id)
    q.get_by_role("radio").first.focus()
    welcome.keyboard.press("ArrowDown")
    assert "quiz-q-welcome-practice-retry" in focused(welcome)["question"], "the arrow key left the question"
    expect(q.get_by_role("radio").nth(1)).to_be_checked()
    welcome.keyboard.press("ArrowUp")
    expect(q.get_by_role("radio").first).to_be_checked()  # "True"
    tab_to_submit(welcome, tf.id)
    welcome.keyboard.press("Space")
    expect(q.locator(".quiz-verdict.quiz-right")).to_be_visible()

    match = bank.question("welcome-question-kinds")
    menu = question(welcome, match.id).locator("select").first
    menu.focus()
    welcome.keyboard.press("ArrowDown")
    expect(menu).not_to_have_value("Choose…")


def test_letters_in_a_numeric_answer_show_a_message_and_store_nothing(welcome: Page, course_env) -> None:
    q = question(welcome, "welcome-pass-mark")
    box = q.get_by_role("textbox")
    box.focus()
    welcome.keyboard.type("abc")
    message = q.locator(".quiz-message .quiz-invalid")
    expect(message).to_contain_text("“abc” is not a number")  # checked as it is typed
    submit(q)

    # The kernel handles comm messages in order: once a later click has been answered, so has this one.
    later = question(welcome, "welcome-who-decides")
    submit(later)
    expect(later.locator(".quiz-message .quiz-invalid")).to_contain_text("Please choose an answer")

    expect(message).to_contain_text("“abc” is not a number")
    expect(message).to_have_attribute("role", "alert")
    expect(q.locator(".quiz-feedback .quiz-verdict")).to_have_count(0)
    # next to the question: inside its box, right of its Submit button, on the same line
    button = q.locator("button.quiz-submit").bounding_box()
    shown = message.bounding_box()
    box_of_question = q.bounding_box()
    assert button and shown and box_of_question
    assert shown["x"] >= button["x"] + button["width"] - 1
    assert abs((shown["y"] + shown["height"] / 2) - (button["y"] + button["height"] / 2)) < button["height"]
    assert box_of_question["y"] <= shown["y"] <= box_of_question["y"] + box_of_question["height"]
    assert course_env.attempts() == []
    expect_no_error_messages(welcome)


def test_a_screen_reader_finds_each_question_named_by_its_prompt(welcome: Page, course_env) -> None:
    """Each question is a group named by its prompt; radio buttons form a radio group with that name."""
    bank = course_env.course().bank(QUIZ)
    choice = bank.question("welcome-who-decides")
    prompt = first_sentence(welcome.locator(f".quiz-q-{choice.id} .quiz-prompt").inner_text())
    expect(welcome.get_by_role("radiogroup", name=prompt)).to_have_count(1)
    expect(welcome.get_by_role("radiogroup", name=prompt).get_by_role("radio")).to_have_count(len(choice.options))
    for q in bank.questions:
        expect(welcome.locator(f".quiz-q-{q.id}")).to_have_attribute("role", "group")
