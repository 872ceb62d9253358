"""The course as a learner sees it — Voilà on Jupyter Server (``python -m course.learner_view``, what
``make lab`` runs) — in headless Chromium.

- Every lesson at 375, 768 and 1280 px wide: no two option rows overlap, nothing is cut off, the
  centre of each control is that control (or its label) and a click there changes it, no code is
  shown and the page never scrolls sideways. A screenshot of each lesson at each width is kept
  in ``test-artifacts/browser/lessons/`` (pass or fail).
- Every kind of Submit double-clicked: one stored attempt per question, one sitting, the result.
- The name set once, on the course home or in the welcome lesson, and the next quiz answered.
- The final assessment opened too early: locked, with the lessons to do; open after a waiver.
- Every page passes axe-core's accessibility rules (WCAG 2 A and AA, best practices) at 375 px: as
  it opens, with an answer's feedback shown, asking for the learner's name, and locked.

Each test answers as a learner of its own (the server's data folder is shared by the session).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from . import axe
from .answering import FREE_TEXT_ANSWER, give_right_answer, question_id
from .conftest import ARTIFACTS, READY, ROOT, VIEW_TIMEOUT_MS, LearnerView, console_log, require_playwright, watch
from .layout import click_every_control, measure, screenshot, show_all

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = require_playwright().expect
pytestmark = pytest.mark.browser

WIDTHS = (375, 768, 1280)
SCREENSHOTS = ARTIFACTS / "lessons"
HOME = "home.ipynb"
FINAL = "final_assessment"
TRAINER = "Tess Trainer"
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def bank_of(lv: LearnerView, notebook: str):
    return next(b for b in lv.course.course().banks.values() if b.lesson == notebook)


def waive(lv: LearnerView, learner: str) -> None:
    with lv.course.store() as store:
        if not store.waivers(learner, FINAL):
            store.waive(learner, FINAL, by=TRAINER, reason="browser test")


def questions_on(lv: LearnerView, notebook: str, learner: str) -> int | None:
    """How many questions the page shows this learner (None for the course home)."""
    if notebook == HOME:
        return None
    bank = bank_of(lv, notebook)
    return bank.draw.count + bank.draw.written if bank.mode == "assessment" else len(bank.questions)  # and the written scenario (issue 11)


# --- every lesson, every width ---------------------------------------------------------------


LAYOUT_LEARNER = "Layout Tester"


@pytest.fixture(scope="module")
def opened(browser: Any, learner_view: LearnerView) -> Iterator[dict[str, tuple[Any, list[str]]]]:
    """Every page of the course asked for at once (the server runs them side by side), for one learner."""
    lv = learner_view
    lv.as_learner(LAYOUT_LEARNER)
    waive(lv, LAYOUT_LEARNER)  # the final assessment shows its questions too
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pages = {}
    for notebook in [HOME, *LESSONS]:
        page = context.new_page()
        page.set_default_timeout(15_000)
        console = console_log(page)
        page.evaluate("url => { window.location.href = url; }", lv.url(notebook))  # asked for; not waited for
        pages[notebook] = (page, console)
    yield pages
    context.close()


@pytest.mark.parametrize("notebook", [HOME, *LESSONS])
def test_every_question_fits_and_answers_at_every_width(request: pytest.FixtureRequest, opened, learner_view: LearnerView, notebook: str) -> None:
    lv = learner_view
    page, console = opened[notebook]
    page.bring_to_front()  # a page behind others gets no animation frames: its layout would not follow a resize
    watch(request, "learner-view", page, console, [lv.server.log])
    expect(page.locator(READY).first).to_be_attached(timeout=VIEW_TIMEOUT_MS)
    count = questions_on(lv, notebook, LAYOUT_LEARNER)
    if count is not None:
        expect(page.locator(".quiz-question")).to_have_count(count, timeout=VIEW_TIMEOUT_MS)
    else:
        expect(page.locator("li.quiz-home-lesson")).to_have_count(len(LESSONS))
    stem = notebook.removesuffix(".ipynb")
    for width in WIDTHS:  # first the page as it opened, for people to look at
        screenshot(page, width, SCREENSHOTS / f"{stem}-{width}.png")

    failures: list[str] = []
    for width in WIDTHS:
        show_all(page, width)
        found = measure(page)
        failures += [f"{width} px: {p}" for p in found["problems"]]
        if found["inputs"] or found["code"]:
            failures.append(f"{width} px: code shown: {found['inputs']} input areas, text {found['code']}")
        if found["sideways"]["page"][0] > found["sideways"]["page"][1] or found["sideways"]["cells"][0] > found["sideways"]["cells"][1]:
            failures.append(f"{width} px: the page scrolls sideways: {found['sideways']}")
        failures += [f"{width} px: {p}" for p in click_every_control(page, found["controls"])]
    assert not failures, f"{notebook}:\n" + "\n".join(failures)
    expect(page.locator(".quiz-error")).to_have_count(0)
    page.set_viewport_size({"width": 1280, "height": 900})  # a tall page costs memory while the others run


@pytest.mark.parametrize("notebook", [HOME, *LESSONS])
def test_every_page_passes_an_accessibility_check(request: pytest.FixtureRequest, opened, learner_view: LearnerView, notebook: str) -> None:
    """At 375 px, the page as it is shown, then (a practice quiz) with feedback shown: a single-choice
    question answered wrong (the explanation in its red panel) and another answered right. No rule of
    axe-core's broken (names and labels, contrast, landmarks, headings...)."""
    lv = learner_view
    page, console = opened[notebook]
    page.bring_to_front()
    watch(request, "learner-view", page, console, [lv.server.log])
    expect(page.locator(READY).first).to_be_attached(timeout=VIEW_TIMEOUT_MS)
    show_all(page, 375)
    found = axe.problems(page)
    bank = bank_of(lv, notebook) if notebook != HOME else None
    if bank is not None and bank.mode == "practice":
        wrong_q = next(q for q in bank.questions if q.type == "single_choice")
        # (a type whose right answer is set whatever the controls held: the test above clicked them all)
        right_q = next(q for q in bank.questions if q.type in ("true_false", "numeric", "ordering", "matching"))
        q = page.locator(f".quiz-q-{wrong_q.id}")
        q.get_by_role("radio", name=next(o.text for o in wrong_q.options if not o.correct), exact=True).check()
        q.locator("button.quiz-submit").click()
        expect(q.locator(".quiz-feedback .quiz-verdict")).to_contain_text("Not right")
        q = page.locator(f".quiz-q-{right_q.id}")
        give_right_answer(q, right_q)
        q.locator("button.quiz-submit").click()
        expect(q.locator(".quiz-feedback .quiz-verdict")).to_contain_text("Right")
        found += [f"with feedback shown: {p}" for p in axe.problems(page)]
    page.set_viewport_size({"width": 1280, "height": 900})
    assert not found, f"{notebook}:\n" + "\n".join(found)


FIGURE_SCALE = 0.7
"""The viewer shows a figure at 70% of its size at least: the lesson figures are drawn at 150 dpi with
lettering of 9 pt or more, so their smallest lettering is then 13 px (at 375 px inline: about 5 px)."""


def test_on_a_phone_a_figure_opens_enlarged(view: tuple[LearnerView, Page]) -> None:
    lv, page = view
    lv.as_learner("Figure Reader")
    page.set_viewport_size({"width": 375, "height": 800})
    lv.open(page, "05_side_effects_and_safety.ipynb")
    figure = page.locator("#rendered_cells .jp-RenderedMarkdown img").first
    natural = figure.evaluate("img => img.naturalWidth")
    assert figure.bounding_box()["width"] < 0.3 * natural  # shrunk to the column: its lettering tiny

    opener = page.get_by_role("button", name="Open the figure enlarged").first
    expect(opener).to_be_visible()
    opener.click()
    viewer = page.get_by_role("dialog", name="The figure, enlarged")
    expect(viewer).to_be_visible()
    big = viewer.locator("img")
    assert big.evaluate("img => img.getBoundingClientRect().width") >= FIGURE_SCALE * natural - 1
    assert big.get_attribute("alt") == figure.get_attribute("alt") and big.get_attribute("src") == figure.get_attribute("src")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # the viewer scrolls, not the page
    viewer.get_by_role("button", name="Close").click()
    expect(viewer).to_have_count(0)
    figure.click()  # a tap on the figure itself opens it too; Escape closes it
    expect(viewer).to_be_visible()
    page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    expect(figure).to_be_focused()  # back where the learner was


# --- every Submit, twice ---------------------------------------------------------------------


def test_double_clicking_every_submit_stores_one_attempt_and_shows_the_result(view: tuple[LearnerView, Page]) -> None:
    lv, page = view
    learner = "Double Clicker"
    lv.as_learner(learner)
    course = lv.course.course()
    welcome = bank_of(lv, "00_welcome.ipynb")
    lv.open(page, "00_welcome.ipynb", questions=len(welcome.questions))
    assert {q.type for q in welcome.questions} == {"single_choice", "true_false", "multiple_choice", "numeric", "ordering", "matching", "free_text"}
    for bank_q in welcome.questions:
        q = page.locator(f".quiz-q-{bank_q.id}")
        give_right_answer(q, bank_q)
        q.locator("button.quiz-submit").dblclick()
        verdict = "Saved for your trainer" if bank_q.type == "free_text" else "✔ Right."
        expect(q.locator(".quiz-feedback .quiz-verdict")).to_contain_text(verdict)
        expect(q.locator("button.quiz-submit")).to_be_disabled() if bank_q.type != "free_text" else None
    stored = lv.course.attempts()
    assert sorted(a.question for a in stored) == sorted(q.id for q in welcome.questions), "one attempt per question"
    assert all(a.correct is True for a in stored if a.question_type != "free_text")
    assert next(a for a in stored if a.question_type == "free_text").response == FREE_TEXT_ANSWER
    expect(page.locator(".quiz-error")).to_have_count(0)

    # The final assessment (opened early by a trainer's waiver): every answer right, submitted with a double click.
    waive(lv, learner)
    final = course.bank(FINAL)
    lv.open(page, "07_final_assessment.ipynb", questions=final.draw.count + final.draw.written)  # and the written scenario (issue 11)
    screenshot(page, 375, SCREENSHOTS.parent / "states" / "final_assessment-open-375.png")
    drawn = page.locator(".quiz-question")
    ids = [question_id(drawn.nth(i)) for i in range(drawn.count())]
    for qid in ids:
        give_right_answer(page.locator(f".quiz-q-{qid}"), course.question(qid)[1])
    page.locator("button.quiz-submit-assessment").dblclick()
    result = page.locator(".quiz-result-box")
    expect(result).to_contain_text("Awaiting a trainer's review")  # the written scenario waits for its score
    expect(result).to_contain_text("100%")
    expect(result).not_to_contain_text("already")
    expect(page.locator("button.quiz-submit-assessment")).to_be_disabled()
    page.wait_for_timeout(500)  # a second click, were it sent, would have been handled by now
    expect(result).to_contain_text("Awaiting a trainer's review")
    with lv.course.store() as store:
        sittings = store.sittings(learner, FINAL)
    assert len(sittings) == 1 and sittings[0].submitted_at is not None
    answers = [a for a in lv.course.attempts() if a.quiz == FINAL]
    assert sorted(a.question for a in answers) == sorted(ids) and {a.submission for a in answers} == {sittings[0].id}

    # A trainer scores the written scenario; opened again: the result (passed), not a new sitting.
    with lv.course.store() as store:
        written = next(a for a in answers if a.score is None)
        store.add_review(written.key, score=written.max_score, reviewer="Tess Trainer")
    lv.open(page, "07_final_assessment.ipynb", questions=final.draw.count + final.draw.written)
    expect(page.locator(".quiz-result-box")).to_contain_text("Passed")
    screenshot(page, 375, SCREENSHOTS.parent / "states" / "final_assessment-passed-375.png")
    with lv.course.store() as store:
        assert len(store.sittings(learner, FINAL)) == 1


# --- the name, once --------------------------------------------------------------------------


def test_a_new_learner_sets_the_name_on_the_course_home_and_answers_without_retyping(view: tuple[LearnerView, Page]) -> None:
    lv, page = view
    lv.as_learner(None)
    lv.open(page, HOME)
    form = page.locator(".quiz-learner-form")
    expect(form).to_be_visible()
    expect(page.locator("li.quiz-home-lesson")).to_have_count(0)
    form.get_by_role("textbox").fill("  Nadia   New ")
    form.get_by_role("button", name="Save name").click()
    expect(page.locator(".quiz-home")).to_contain_text("Nadia New")
    expect(page.locator("li.quiz-home-lesson")).to_have_count(len(LESSONS))

    page.locator("li.quiz-home-lesson[data-quiz=welcome]").get_by_role("link", name="Start").click()
    welcome = bank_of(lv, "00_welcome.ipynb")
    expect(page.locator(".quiz-question")).to_have_count(len(welcome.questions), timeout=60_000)
    expect(page.locator(".quiz-container .quiz-learner-form")).to_have_count(0)  # no quiz asks again
    expect(page.locator("#rendered_cells")).to_contain_text("Nadia New")  # who is answering
    bank_q = welcome.question("welcome-who-decides")
    q = page.locator(f".quiz-q-{bank_q.id}")
    give_right_answer(q, bank_q)
    q.locator("button.quiz-submit").click()
    expect(q.locator(".quiz-feedback .quiz-verdict")).to_contain_text("✔ Right.")
    lv.course.learner = "Nadia New"
    assert [(a.question, a.correct) for a in lv.course.attempts()] == [(bank_q.id, True)]


def test_setting_the_name_in_the_welcome_lesson_opens_every_quiz_on_the_page(view: tuple[LearnerView, Page]) -> None:
    lv, page = view
    lv.as_learner(None)
    lv.open(page, "00_welcome.ipynb")
    welcome = bank_of(lv, "00_welcome.ipynb")
    forms = page.locator(".quiz-learner-form")
    expect(forms).to_have_count(4)  # the lesson's own, and one in each of its three quizzes
    expect(page.locator(".quiz-question")).to_have_count(0)
    assert not axe.problems(page)  # the name forms pass the accessibility check (see test_every_page_passes_...)
    first = forms.first
    first.get_by_role("textbox").fill("Walter Welcome")
    first.get_by_role("button", name="Save name").click()
    expect(first).to_contain_text("Walter Welcome")
    expect(page.locator(".quiz-question")).to_have_count(len(welcome.questions))
    expect(page.locator(".quiz-container .quiz-learner-form")).to_have_count(0)

    bank_q = welcome.question("welcome-practice-retry")  # the next quiz on the page
    q = page.locator(f".quiz-q-{bank_q.id}")
    give_right_answer(q, bank_q)
    q.locator("button.quiz-submit").click()
    expect(q.locator(".quiz-feedback .quiz-verdict")).to_contain_text("✔ Right.")
    lv.course.learner = "Walter Welcome"
    assert [(a.question, a.correct) for a in lv.course.attempts()] == [(bank_q.id, True)]


# --- the final assessment, too early ---------------------------------------------------------


def test_the_final_assessment_says_which_lessons_to_do_first_until_a_trainer_waives_them(view: tuple[LearnerView, Page]) -> None:
    lv, page = view
    learner = "Early Bird"
    lv.as_learner(learner)
    course = lv.course.course()
    final = course.bank(FINAL)
    lessons = [b.title for b in sorted(course.banks.values(), key=lambda b: b.lesson) if b.quiz in final.draw.banks]
    assert len(lessons) == 6

    lv.open(page, "07_final_assessment.ipynb")
    locked = page.locator(".quiz-locked")
    expect(locked).to_be_visible()
    for title in lessons:
        expect(locked).to_contain_text(title)
    expect(page.locator(".quiz-question")).to_have_count(0)
    expect(page.locator("button.quiz-submit-assessment")).to_have_count(0)
    screenshot(page, 375, SCREENSHOTS.parent / "states" / "final_assessment-locked-375.png")
    assert not axe.problems(page)  # locked, it passes the accessibility check too

    lv.open(page, HOME)
    expect(page.locator("li.quiz-home-lesson[data-quiz=final_assessment]")).to_contain_text("locked")

    waive(lv, learner)
    lv.open(page, "07_final_assessment.ipynb", questions=final.draw.count + final.draw.written)  # and the written scenario (issue 11)
    expect(page.locator(".quiz-locked")).to_have_count(0)
    expect(page.locator("button.quiz-submit-assessment")).to_be_enabled()
