"""A lesson read without the course running (the stored notebook as static HTML, as GitHub or a PDF
would show it) shows every question and where to answer it, and never a key."""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest
from markdown_it import MarkdownIt
from nbconvert import HTMLExporter

from course.bank import Matching, MultipleChoice, Ordering, SingleChoice, TrueFalse, load_course

ROOT = Path(__file__).resolve().parent.parent
COURSE = load_course(ROOT / "quizzes")
PRACTICE = [b for b in sorted(COURSE.banks.values(), key=lambda b: b.lesson) if b.mode == "practice"]
_md = MarkdownIt("commonmark")


def plain(text: str) -> str:
    """Visible text: tags dropped, entities undone, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def rendered(markdown: str) -> str:
    return plain(_md.render(markdown))


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    exporter = HTMLExporter(template_name="lab")
    out = {}
    for bank in PRACTICE + [COURSE.bank("final_assessment")]:
        body, _ = exporter.from_notebook_node(nbformat.read(ROOT / "notebooks" / bank.lesson, as_version=4))
        out[bank.quiz] = plain(body)
    return out


@pytest.mark.parametrize("bank", PRACTICE, ids=lambda b: b.quiz)
def test_every_question_is_printed_with_its_choices(pages, bank):
    page = pages[bank.quiz]
    for q in bank.questions:
        assert rendered(q.prompt) in page, f"{q.id}: prompt not in the static page"
        if isinstance(q, (SingleChoice, MultipleChoice)):
            for option in q.options:
                assert plain(html.escape(option.text)) in page, f"{q.id}: option {option.id} missing"
        if isinstance(q, Ordering):
            for item in q.items:
                assert item.text in page
        if isinstance(q, Matching):
            for pair in q.pairs:
                assert pair.left in page and pair.right in page
    assert page.count("To answer these questions and see the feedback, open this lesson in the course") == len(
        {q.section for q in bank.questions}
    )


@pytest.mark.parametrize("bank", PRACTICE, ids=lambda b: b.quiz)
def test_no_key_is_printed(pages, bank):
    page = pages[bank.quiz]
    for q in bank.questions:
        assert rendered(q.explanation) not in page, f"{q.id}: its explanation is in the static page"
        for option in getattr(q, "options", []):
            if option.feedback:
                assert rendered(option.feedback) not in page, f"{q.id}: option feedback is in the static page"
        if isinstance(q, TrueFalse) and q.feedback:
            assert rendered(q.feedback) not in page
        if isinstance(q, Ordering):
            printed = page[page.index(rendered(q.prompt)) :]  # the question as printed (its items may appear earlier in the lesson)
            shown = sorted(q.items, key=lambda i: printed.index(i.text))
            key = [i.text for i in q.items]
            assert [i.text for i in shown] == sorted(key, key=str.casefold)  # alphabetical, not the key's order
        if isinstance(q, Matching):
            for pair in q.pairs:
                assert f"{pair.left} → {pair.right}" not in page


def test_the_final_assessment_page_says_where_to_take_it(pages):
    page = pages["final_assessment"]
    assert "they are not printed here" in page and "open this lesson in the course" in page
    for name in COURSE.bank("final_assessment").draw.banks:
        for q in COURSE.bank(name).questions:
            assert rendered(q.explanation) not in page


@pytest.mark.parametrize("bank", PRACTICE, ids=lambda b: b.quiz)
def test_the_blueprints_fields_are_not_printed(pages, bank):
    """A question's topic, kind and fact (issue 11) are for authors and the draw: never in the printed lesson."""
    page = pages[bank.quiz]
    for q in bank.questions:
        if q.fact:
            assert q.fact not in page, f"{q.id}: its fact {q.fact!r} is printed"
    assert "topic:" not in page and "kind: scenario" not in page


def test_the_welcome_page_says_what_the_name_and_role_form_asks(pages):
    """Where the form cannot run, the welcome lesson still says it asks the name and the role, and the roles."""
    page = pages["welcome"]
    assert "Error displaying widget" not in page
    assert "role" in page and all(name in page for name in ("front desk", "nurse", "clinician"))
    assert "choose your role and press Save name" in page and "your trainer changes it for you" in page


def test_the_final_assessment_page_names_the_written_scenario(pages):
    page = pages["final_assessment"]
    assert "20 questions drawn for each learner from the sections of their role, and 1 written scenario a trainer scores" in page
    assert "awaiting a trainer's review" in page
