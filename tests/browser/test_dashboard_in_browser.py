"""The trainer's dashboard served by Voilà, in Chromium.

- It shows the answers a learner just gave: the learner answers in the welcome lesson in the
  learner's view (``make lab``); then Voilà serves ``notebooks/trainer_dashboard.ipynb`` of the
  scratch copy (``make dashboard``) with the same environment and so the same results database,
  and the page must show the learner and the answers.
- On a seeded store, on a phone-sized screen, it loads with no failed request and no console
  error, and its tables scroll sideways inside their boxes instead of widening the page; and it
  passes axe-core's accessibility rules (the plots have their text, a table that scrolls takes
  the keyboard's focus).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from course import learner_view

from . import axe
from .conftest import CourseEnv, LearnerView, console_log, require_playwright, watch
from .servers import Server, ServerError, free_port

expect = require_playwright().expect
pytestmark = pytest.mark.browser

DASHBOARD = "trainer_dashboard.ipynb"
FREE_TEXT_ANSWER = "Dashboard check: I am a nurse and I want to learn how dissociation is monitored."
VOILA_TIMEOUT_MS = 120_000
# The dashboard is served as `make dashboard` serves it: Voilà with the course's template
# (share/jupyter/voila/templates/course), which drops the two Font Awesome stylesheets Voilà's own
# template links from a CDN (they fail without internet access, here and in many clinics; Voilà's
# bundle already carries the font) and gives the page its wide column.


def answer_in_the_lesson(page, course_env: CourseEnv) -> None:
    """A wrong single-choice answer and a free-text answer, each submitted by clicking."""
    bank = course_env.course().bank("welcome")
    choice = bank.question("welcome-who-decides")
    wrong = next(o for o in choice.options if not o.correct)
    q = page.locator(f".quiz-q-{choice.id}")
    q.get_by_role("radio", name=wrong.text, exact=True).check()
    q.locator("button.quiz-submit").click()
    expect(q.locator(".quiz-wrong .quiz-verdict, .quiz-verdict.quiz-wrong")).to_be_visible()
    q = page.locator(".quiz-q-welcome-hopes")
    q.get_by_role("textbox").fill(FREE_TEXT_ANSWER)
    q.locator("button.quiz-submit").click()
    expect(q.locator(".quiz-pending .quiz-verdict, .quiz-verdict.quiz-pending")).to_be_visible()
    assert [a.response for a in course_env.attempts()] == [wrong.id, FREE_TEXT_ANSWER]


def dashboard_notebook(course_env: CourseEnv) -> Path:
    """The dashboard in the session's copy of the course."""
    copy = course_env.notebooks / DASHBOARD
    assert copy.exists(), f"notebooks/{DASHBOARD} is missing from the course"
    return copy


@contextmanager
def voila_page(request: pytest.FixtureRequest, browser, course_env: CourseEnv, env: dict[str, str], *, width: int, log: str) -> Iterator[tuple]:
    """Voilà serving the dashboard of the scratch copy with ``env``, and a fresh page ``width`` px wide (stopped after)."""
    notebook = dashboard_notebook(course_env)
    port = free_port()
    command = [sys.executable, "-m", "voila", str(notebook), "--template=course", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    server = Server("Voilà", command, port=port, env=learner_view.environment(env), cwd=notebook.parent, log=course_env.root / log)
    context = None
    try:
        server.wait_until_listening(timeout=60)
        context = browser.new_context(viewport={"width": width, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(VOILA_TIMEOUT_MS)
        watch(request, "voila", page, console_log(page), [server.log])
        yield page, server
    except ServerError as error:
        pytest.fail(str(error), pytrace=False)
    finally:
        if context is not None:
            context.close()
        server.stop()


def test_dashboard_shows_the_learner_and_the_answers_just_given(request, browser, view: tuple[LearnerView, object]) -> None:
    lv, lesson = view
    lv.as_learner("Dashboard Learner")
    lv.open(lesson, "00_welcome.ipynb", questions=len(lv.course.course().bank("welcome").questions))
    answer_in_the_lesson(lesson, lv.course)
    course_env = lv.course
    with voila_page(request, browser, course_env, course_env.env, width=1280, log="voila.log") as dashboard:
        see_the_answers(dashboard, course_env)


def see_the_answers(dashboard, course_env: CourseEnv) -> None:
    page, server = dashboard
    # Voilà runs the notebook when the page is asked for, and sends it while (or after) it runs.
    page.goto(server.url, wait_until="commit", timeout=VOILA_TIMEOUT_MS)
    body = page.locator("body")
    expect(body).to_contain_text(course_env.learner, timeout=VOILA_TIMEOUT_MS)
    expect(body).to_contain_text(FREE_TEXT_ANSWER, timeout=VOILA_TIMEOUT_MS)  # in the review queue
    expect(page.locator(".dash-matrix")).to_contain_text("In progress")  # the welcome lesson, begun
    expect(page.locator(".quiz-error, .dash-error")).to_have_count(0)
    # 1280 px: the wide column holds the learners table whole (a lesson's 50rem column would cut it)
    expect(page.locator(".dash-learners-table")).to_be_visible()
    fits = page.locator(".dash-learners-table").evaluate("t => [t.getBoundingClientRect().width, t.closest('.dash-scroll')?.clientWidth ?? innerWidth]")
    assert fits[0] <= fits[1] + 1, fits


def test_on_a_phone_the_dashboard_loads_cleanly_and_only_its_tables_scroll_sideways(request, browser, course_env: CourseEnv, tmp_path) -> None:
    import seed  # tests/seed.py: five learners, two cohorts, a pass and a fail

    from course.store import ResultsStore

    data = tmp_path / "var"
    with ResultsStore(f"sqlite:///{data / 'results.sqlite'}", outbox=data / "outbox.jsonl") as store:
        seed.seed(store, course_env.course())
    env = {**course_env.env, "COURSE_DATA_DIR": str(data), "COURSE_TIMEZONE": "Europe/London"}
    with voila_page(request, browser, course_env, env, width=375, log="voila-phone.log") as (page, server):
        failed: list[str] = []
        errors: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("console", lambda m: errors.append(f"{m.text} ({m.location.get('url')})") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.goto(server.url, wait_until="commit", timeout=VOILA_TIMEOUT_MS)
        expect(page.locator(".dash-learners button", has_text="Set cohort")).to_be_visible(timeout=VOILA_TIMEOUT_MS)  # the last section
        page.wait_for_load_state("networkidle")
        assert not failed, failed
        assert not errors, errors
        assert page.locator(".dash-filters button", has_text="Refresh").locator("i.fa-refresh").evaluate(
            "i => getComputedStyle(i, '::before').fontFamily"
        ).find("Font Awesome") >= 0  # Voilà's own Font Awesome: the CDN stylesheets the template drops are not missed

        # What a trainer reads: headings in words, no raw column names, times to the minute.
        body = page.locator("#rendered_cells")
        expect(page.locator(".dash-learners-table th").first).to_have_text("Learner")
        expect(body).to_contain_text("First-try score")
        expect(body).to_contain_text("No cohort")
        text = body.inner_text()
        assert "mean_score" not in text and "score_pct" not in text and "None" not in text
        assert re.search(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d\b", text) and not re.search(r"\d\d:\d\d:\d\d", text)

        # 375 px: the page itself never scrolls sideways; a wide table scrolls inside its own box.
        sizes = page.evaluate("""() => {
            const cells = document.querySelector('#rendered_cells');
            const boxes = [...document.querySelectorAll('.dash-filters, .dash-section')];
            const scrolls = [...document.querySelectorAll('.dash-scroll')];
            return {
                page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
                cells: [cells.scrollWidth, cells.clientWidth],
                boxes: boxes.filter(b => b.scrollWidth > b.clientWidth + 1 || b.getBoundingClientRect().right > innerWidth)
                            .map(b => b.className),
                scrolling: scrolls.filter(s => s.scrollWidth > s.clientWidth).length,
                outside: scrolls.filter(s => s.getBoundingClientRect().right > innerWidth).length,
            };
        }""")
        assert sizes["page"][0] <= sizes["page"][1] and sizes["cells"][0] <= sizes["cells"][1], sizes
        assert not sizes["boxes"] and not sizes["outside"], sizes
        assert sizes["scrolling"] >= 2, sizes  # e.g. the learners table and the progress matrix: scrolled within, not cut

        # For a trainer who uses a screen reader or only the keyboard: no rule of axe-core's broken.
        assert not axe.problems(page)
