"""Answering in the learner's view (Voilà) in headless Chromium, as a learner would: feedback, keys,
bad input, screen readers.

Each test opens the welcome lesson (one question of every type) as a learner of its own, answers
through the page and checks what was stored in the scratch results database.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import pytest

from .answering import focused, tab_to_submit
from .conftest import LearnerView, require_playwright

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect
pytestmark = pytest.mark.browser

QUIZ = "welcome"
LESSON = "00_welcome.ipynb"
_learners = itertools.count(1)


@pytest.fixture
def welcome(view: tuple[LearnerView, Any]) -> tuple[LearnerView, Page]:
    """The welcome lesson in the learner's view, for a learner who has not answered anything."""
    lv, page = view
    lv.as_learner(f"Answering Learner {next(_learners)}")
    lv.open(page, LESSON, questions=len(lv.course.course().bank(QUIZ).questions))
    return lv, page


def first_sentence(text: str) -> str:
    return " ".join(text.split()).split(". ")[0]


def test_a_wrong_then_a_right_answer_shows_feedback_each_time_and_stores_both(welcome) -> None:
    lv, page = welcome
    bank_q = lv.course.course().bank(QUIZ).question("welcome-who-decides")
    right = next(o for o in bank_q.options if o.correct)
    wrong = next(o for o in bank_q.options if not o.correct and o.feedback)
    q = page.locator(f".quiz-q-{bank_q.id}")

    q.get_by_role("radio", name=wrong.text, exact=True).check()
    q.locator("button.quiz-submit").click()
    expect(q.locator(".quiz-wrong .quiz-verdict")).to_have_text("✘ Not right.")
    expect(q.locator(".quiz-option-feedback")).to_have_text(wrong.feedback)
    expect(q.locator(".quiz-explanation")).to_contain_text(first_sentence(bank_q.explanation))
    expect(q.locator("button.quiz-submit")).to_be_enabled()  # practice: try again

    q.get_by_role("radio", name=right.text, exact=True).check()
    q.locator("button.quiz-submit").click()
    expect(q.locator(".quiz-right .quiz-verdict")).to_have_text("✔ Right.")
    expect(q.locator("button.quiz-submit")).to_be_disabled()  # right: locked
    expect(q.get_by_role("radio", name=right.text, exact=True)).to_be_checked()  # the answer stays shown

    stored = lv.course.attempts(bank_q.id)
    assert [(a.response, a.correct, a.score, a.mode) for a in stored] == [(wrong.id, False, 0.0, "practice"), (right.id, True, 1.0, "practice")]
    expect(page.locator(".quiz-error")).to_have_count(0)


def test_keyboard_only(welcome) -> None:
    """Tab to the right option, Space to choose it, Tab to Submit, Enter: the feedback shows."""
    lv, page = welcome
    bank_q = lv.course.course().bank(QUIZ).question("welcome-who-decides")
    right = next(o for o in bank_q.options if o.correct)
    q = page.locator(f".quiz-q-{bank_q.id}")
    radios = q.get_by_role("radio")
    radios.first.focus()  # the question's first input; from here on only keys
    for _ in range(radios.count()):
        if focused(page)["label"].strip() == right.text:
            break
        page.keyboard.press("Tab")
    assert focused(page)["label"].strip() == right.text, f"Tab did not reach the option {right.text!r}"
    page.keyboard.press("Space")
    expect(q.get_by_role("radio", name=right.text, exact=True)).to_be_checked()
    tab_to_submit(page, bank_q.id)
    page.keyboard.press("Enter")
    expect(q.locator(".quiz-right .quiz-verdict")).to_be_visible()
    assert [(a.response, a.correct) for a in lv.course.attempts(bank_q.id)] == [(right.id, True)]


def test_letters_in_a_numeric_answer_show_a_message_next_to_it_and_store_nothing(welcome) -> None:
    lv, page = welcome
    q = page.locator(".quiz-q-welcome-pass-mark")
    box = q.get_by_role("textbox")
    box.focus()
    page.keyboard.type("abc")
    message = q.locator(".quiz-message .quiz-invalid")
    expect(message).to_contain_text("“abc” is not a number")  # checked as it is typed
    q.locator("button.quiz-submit").click()

    # The kernel handles comm messages in order: once a later click has been answered, so has this one.
    later = page.locator(".quiz-q-welcome-who-decides")
    later.locator("button.quiz-submit").click()
    expect(later.locator(".quiz-message .quiz-invalid")).to_contain_text("Please choose an answer")

    expect(message).to_contain_text("“abc” is not a number")
    expect(message).to_have_attribute("role", "alert")
    expect(q.locator(".quiz-feedback .quiz-verdict")).to_have_count(0)
    expect(q.locator("button.quiz-submit")).to_be_enabled()  # nothing was stored: try again
    # next to the question: inside its box, beside or below its Submit button
    button, shown, whole = q.locator("button.quiz-submit").bounding_box(), message.bounding_box(), q.bounding_box()
    assert button and shown and whole
    assert whole["y"] <= shown["y"] <= whole["y"] + whole["height"]
    assert shown["y"] >= button["y"] - 1
    assert lv.course.attempts() == []
    expect(page.locator(".quiz-error")).to_have_count(0)


def test_a_screen_reader_finds_each_question_named_by_its_prompt(welcome) -> None:
    """Each question is a group named by its prompt; radio buttons form a radio group with that name."""
    lv, page = welcome
    bank = lv.course.course().bank(QUIZ)
    choice = bank.question("welcome-who-decides")
    prompt = first_sentence(page.locator(f".quiz-q-{choice.id} .quiz-prompt").inner_text())
    expect(page.get_by_role("radiogroup", name=prompt)).to_have_count(1)
    expect(page.get_by_role("radiogroup", name=prompt).get_by_role("radio")).to_have_count(len(choice.options))
    for q in bank.questions:
        expect(page.locator(f".quiz-q-{q.id}")).to_have_attribute("role", "group")
