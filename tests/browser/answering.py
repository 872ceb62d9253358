"""Answering a question in the page as a learner would, from the bank's key (by the texts shown).

A page shows a paper: choices in a learner's own order, with position ids. These helpers find
each choice by its text, so they work whatever the order.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

FREE_TEXT_ANSWER = "I work at the front desk and want to learn how to answer patients' questions honestly."


def put_in_order(q: Any, wanted: list[str]) -> None:
    """Press the Up buttons until the items read in the wanted order (a bubble sort, as a learner would)."""
    rows = q.locator(".quiz-order-row")
    expect(rows).to_have_count(len(wanted))

    def label(position: int) -> Any:
        return rows.nth(position).locator(".quiz-order-text")

    for target, text in enumerate(wanted):
        current = [label(p).inner_text() for p in range(len(wanted))]
        position = current.index(text)
        while position > target:
            rows.nth(position).get_by_title(f"Move “{text}” up").click()
            position -= 1
            expect(label(position)).to_have_text(text)  # the kernel moved it and the page shows it
    for position, text in enumerate(wanted):
        expect(label(position)).to_have_text(text)


def give_right_answer(q: Any, bank_q: Any) -> None:
    """Fill in the right answer to ``bank_q`` in its question ``q`` (a written answer: some words)."""
    kind = bank_q.type
    if kind == "single_choice":
        q.get_by_role("radio", name=next(o.text for o in bank_q.options if o.correct), exact=True).check()
    elif kind == "true_false":
        q.get_by_role("radio", name="True" if bank_q.answer else "False", exact=True).check()
    elif kind == "multiple_choice":
        for option in bank_q.options:
            if option.correct:
                q.get_by_role("checkbox", name=option.text, exact=True).check()
    elif kind == "numeric":
        value = bank_q.answer if bank_q.answer is not None else bank_q.min
        q.get_by_role("textbox").fill(f"{value:g}")
    elif kind == "ordering":
        put_in_order(q, [item.text for item in bank_q.items])
    elif kind == "matching":
        for pair in bank_q.pairs:
            left = q.page.locator(".quiz-match-left", has_text=re.compile(rf"^\s*{re.escape(pair.left)}\s*$"))
            row = q.locator(".quiz-match-row").filter(has=left)
            row.locator("select").select_option(value=pair.right)
    elif kind == "free_text":
        q.get_by_role("textbox").fill(FREE_TEXT_ANSWER)
    else:
        raise AssertionError(kind)


def question_id(q: Any) -> str:
    """The bank id of a question on the page (from its class ``quiz-q-<id>``)."""
    classes = q.get_attribute("class").split()
    return next(c for c in classes if c.startswith("quiz-q-"))[len("quiz-q-") :]


def focused(page: Any) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName, type: e.type || '', label: (e.closest('label') || {}).textContent || '',
                           submit: e.classList.contains('quiz-submit'),
                           question: (e.closest('.quiz-question') || {className: ''}).className}; }"""
    )


def tab_to_submit(page: Any, question_id: str, limit: int = 8) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["submit"] and f"quiz-q-{question_id}" in now["question"]:
            return
    pytest.fail(f"Tab did not reach the Submit button of {question_id} within {limit} presses (focus on {focused(page)})")
