"""The trainer's dashboard served by Voilà shows the answers a learner just gave in JupyterLab.

The learner answers in the welcome lesson in JupyterLab (the same page the lesson tests use);
then Voilà serves ``notebooks/trainer_dashboard.ipynb`` of the scratch copy, with the same
environment and so the same results database, and the page must show the learner and the answers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import CourseEnv, console_log, require_playwright, watch
from .servers import Server, ServerError, free_port

expect = require_playwright().expect
pytestmark = pytest.mark.browser

DASHBOARD = "trainer_dashboard.ipynb"
FREE_TEXT_ANSWER = "Dashboard check: I am a nurse and I want to learn how dissociation is monitored."
VOILA_TIMEOUT_MS = 120_000


def answer_in_the_lesson(page, course_env: CourseEnv) -> None:
    """In JupyterLab: a wrong single-choice answer and a free-text answer, each submitted by clicking."""
    bank = course_env.course().bank("welcome")
    choice = bank.question("welcome-who-decides")
    wrong = next(o for o in choice.options if not o.correct)
    q = page.locator(f".quiz-q-{choice.id}")
    q.get_by_role("radio", name=wrong.text, exact=True).check()
    q.locator("button.quiz-submit").click()
    expect(q.locator(".quiz-verdict.quiz-wrong")).to_be_visible()
    q = page.locator(".quiz-q-welcome-hopes")
    q.get_by_role("textbox").fill(FREE_TEXT_ANSWER)
    q.locator("button.quiz-submit").click()
    expect(q.locator(".quiz-verdict.quiz-pending")).to_be_visible()
    assert [a.response for a in course_env.attempts()] == [wrong.id, FREE_TEXT_ANSWER]


def dashboard_notebook(course_env: CourseEnv) -> Path:
    """The dashboard in the session's copy of the course."""
    copy = course_env.notebooks / DASHBOARD
    assert copy.exists(), f"notebooks/{DASHBOARD} is missing from the course"
    return copy


@pytest.fixture
def dashboard(request: pytest.FixtureRequest, browser, course_env: CourseEnv):
    """A fresh page and Voilà serving the dashboard of the scratch copy (stopped after the test)."""
    notebook = dashboard_notebook(course_env)
    port = free_port()
    command = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    server = Server("Voilà", command, port=port, env=course_env.env, cwd=notebook.parent, log=course_env.root / "voila.log")
    context = None
    try:
        server.wait_until_listening(timeout=60)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
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


def test_dashboard_shows_the_learner_and_the_answers_just_given(welcome, dashboard, course_env: CourseEnv) -> None:
    answer_in_the_lesson(welcome, course_env)
    page, server = dashboard
    # Voilà runs the notebook when the page is asked for, and sends it while (or after) it runs.
    page.goto(server.url, wait_until="commit", timeout=VOILA_TIMEOUT_MS)
    body = page.locator("body")
    expect(body).to_contain_text(course_env.learner, timeout=VOILA_TIMEOUT_MS)
    expect(body).to_contain_text(FREE_TEXT_ANSWER, timeout=VOILA_TIMEOUT_MS)  # in the review queue
    expect(page.locator(".dash-matrix")).to_contain_text("in progress")  # the welcome lesson, begun
    expect(page.locator(".quiz-error, .dash-error")).to_have_count(0)
