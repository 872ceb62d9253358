"""The trainer's dashboard served by Voilà reads the same scratch results database.

The test stores a learner's answers through the course's own code (a :class:`QuizSession` on the
scratch database, as a kernel would), starts Voilà on ``notebooks/trainer_dashboard.ipynb`` of the
scratch copy with the same environment, and expects the learner's name and an answer on the page.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from course.session import QuizSession

from .conftest import ROOT, CourseEnv, console_log, require_playwright, watch
from .servers import Server, ServerError, free_port

expect = require_playwright().expect
pytestmark = pytest.mark.browser

DASHBOARD = "trainer_dashboard.ipynb"
FREE_TEXT_ANSWER = "Dashboard check: I am a nurse and I want to learn how dissociation is monitored."
VOILA_TIMEOUT_MS = 120_000


def seed_answers(course_env: CourseEnv) -> None:
    """A wrong then a right single-choice answer and a free-text answer, stored as the lesson would."""
    course = course_env.course()
    bank = course.bank("welcome")
    with course_env.store() as store:
        session = QuizSession(bank, course_env.learner, store)
        choice = bank.question("welcome-who-decides")
        session.submit(choice, next(o.id for o in choice.options if not o.correct))
        session.submit(choice, next(o.id for o in choice.options if o.correct))
        session.submit(bank.question("welcome-hopes"), FREE_TEXT_ANSWER)


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


def test_dashboard_shows_the_learner_and_an_answer(dashboard, course_env: CourseEnv) -> None:
    page, server = dashboard
    seed_answers(course_env)
    # Voilà runs the notebook when the page is asked for, and sends it while (or after) it runs.
    page.goto(server.url, wait_until="commit", timeout=VOILA_TIMEOUT_MS)
    body = page.locator("body")
    expect(body).to_contain_text(course_env.learner, timeout=VOILA_TIMEOUT_MS)
    expect(body).to_contain_text(FREE_TEXT_ANSWER, timeout=VOILA_TIMEOUT_MS)
