"""Fixtures for the browser tests: a scratch copy of the course, JupyterLab, headless Chromium.

One JupyterLab server, one learner's view (Voilà on Jupyter Server), one Chromium serve the whole
session. In JupyterLab one lesson page serves every test, each from a clean slate (the learner's
answers removed from the scratch database, the notebook's outputs cleared and every cell run
again); in the learner's view each test opens its pages as a learner of its own.

- ``course_env``: ``notebooks/`` and ``quizzes/`` copied to a temporary folder, a scratch data
  folder (SQLite results database) and the environment every server and kernel gets.
- ``browser``: Chromium (``/usr/bin/chromium``, installed by apt-get when running as root).
  Where it cannot be had or launched the tests are skipped, or fail when ``CI=true``.
- ``lab_server``, ``lab_page``: JupyterLab on the copy; ``00_welcome.ipynb`` open, kernel idle.
- ``welcome``: that page with every cell run again on an empty database: the quiz rendered.
- ``learner_view``: the learner's view (``python -m course.learner_view``, as ``make lab``) on the
  copy, with a data folder of its own; a test chooses its learner with ``as_learner`` (the
  remembered name: each page's kernel reads it), or none, to be asked for a name.
- ``view``: a fresh page on the learner's view.

On a failure, a screenshot, the page's console errors and the server's log are kept in
``test-artifacts/browser/<test>/`` under the repository (the path is printed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ci  # tests/ci.py (tests/ is on sys.path: tests/conftest.py)
import pytest
from sqlalchemy import delete, select

from course.bank import Course, load_course
from course.store import ResultsStore
from course.store import attempts as attempts_table
from course.store import reviews as reviews_table

from .servers import Server, ServerError, free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
LEARNER = "Browser Tester"
LESSON = "00_welcome.ipynb"
IDLE = "Python 3 (ipykernel) | Idle"
QUESTIONS_IN_WELCOME = 7


def unavailable(message: str) -> None:
    """Skip on a developer's machine; fail in CI, where the browser tests must run."""
    ci.unavailable(message, f"{message} (CI=true: the browser tests must run)")


def require_playwright() -> Any:
    """``playwright.sync_api``; without it the module is skipped (fails when ``CI=true``)."""
    try:
        import playwright.sync_api as sync_api
    except ImportError:
        message = "Playwright is not installed (pip install -e '.[test]')"
        ci.unavailable(message, f"{message} (CI=true: the browser tests must run)", allow_module_level=True)
    return sync_api


# --- the scratch course ---------------------------------------------------------------------


@dataclass
class CourseEnv:
    """A temporary copy of the course and the environment its servers and kernels run with."""

    root: Path
    notebooks: Path
    quizzes: Path
    data_dir: Path
    env: dict[str, str]
    learner: str = LEARNER

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'results.sqlite'}"

    def store(self) -> ResultsStore:
        """The scratch results store the kernels write to (use it in a ``with``)."""
        return ResultsStore(self.db_url, outbox=self.root / "test-outbox.jsonl")

    def course(self) -> Course:
        return load_course(self.quizzes, notebooks=self.notebooks)

    def attempts(self, question: str | None = None) -> list[Any]:
        """The learner's stored attempts, oldest first (of one question if given)."""
        with self.store() as store:
            found = store.attempts(learner=self.learner)
        return [a for a in found if question is None or a.question == question]

    def forget_answers(self) -> None:
        """Remove the learner's answers (and reviews of them) from the scratch database."""
        with self.store() as store:
            store.schema_version()  # creates and migrates the database if it is new
            with store.engine.begin() as conn:
                keys = select(attempts_table.c.key).where(attempts_table.c.learner == self.learner)
                conn.execute(delete(reviews_table).where(reviews_table.c.attempt_key.in_(keys)))
                conn.execute(delete(attempts_table).where(attempts_table.c.learner == self.learner))


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture(scope="session")
def course_env(tmp_path_factory: pytest.TempPathFactory) -> CourseEnv:
    root = tmp_path_factory.mktemp("browser-course")
    notebooks = root / "notebooks"
    quizzes = root / "quizzes"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "quizzes", quizzes)
    data_dir = root / "var"
    jupyter = root / "jupyter"
    settings = jupyter / "lab-settings"
    # No "get notified about news?" prompt, no update check; every cell rendered (no windowing).
    _write_json(settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings", {"fetchNews": "false", "checkForUpdates": False})
    _write_json(settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings", {"windowingMode": "none"})
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTERHUB_USER", "COURSE_DB_URL", "JUPYTER_TOKEN", "JUPYTER_CONFIG_PATH")}
    env.update(
        COURSE_DATA_DIR=str(data_dir),
        COURSE_LEARNER=LEARNER,
        COURSE_QUIZZES_DIR=str(quizzes),
        COURSE_NOTEBOOKS_DIR=str(notebooks),
        JUPYTER_CONFIG_DIR=str(jupyter / "config"),
        JUPYTER_DATA_DIR=str(jupyter / "data"),
        JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(jupyter / "workspaces"),
        IPYTHONDIR=str(jupyter / "ipython"),
        PYTHONUNBUFFERED="1",
    )
    return CourseEnv(root=root, notebooks=notebooks, quizzes=quizzes, data_dir=data_dir, env=env)


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(chromium_browser: Any) -> Any:
    """Headless Chromium (tests/conftest.py: one for the session, shared with the hub tests)."""
    return chromium_browser


# --- failure artifacts ----------------------------------------------------------------------


@dataclass
class Watched:
    """A page whose screenshot and console errors are kept if the test fails."""

    label: str
    page: Any
    console: list[str]
    first: int = 0  # console entries before this one belong to earlier tests
    logs: list[Path] = field(default_factory=list)


WATCHED = pytest.StashKey[list[Watched]]()
_saved: list[Path] = []


def console_log(page: Any) -> list[str]:
    """Collect the page's console errors and uncaught exceptions into a list (kept up to date)."""
    entries: list[str] = []
    page.on("console", lambda m: entries.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: entries.append(f"pageerror: {e}"))
    return entries


def watch(request: pytest.FixtureRequest, label: str, page: Any, console: list[str], logs: list[Path] = ()) -> None:
    """Keep this page's screenshot and console if the current test fails."""
    request.node.stash.setdefault(WATCHED, []).append(Watched(label, page, console, len(console), list(logs)))


def _save_artifacts(item: pytest.Item) -> Path | None:
    watched = item.stash.get(WATCHED, [])
    if not watched:
        return None
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    for w in watched:
        try:
            if w.page.evaluate("!!document.querySelector('#rendered_cells')"):  # Voilà scrolls inside it: make the window the page's height
                from .layout import show_all

                show_all(w.page, (w.page.viewport_size or {"width": 1280})["width"])
            w.page.screenshot(path=str(folder / f"{w.label}.png"), full_page=True, timeout=30_000)
        except Exception as error:  # noqa: BLE001 - the page may be gone; keep the rest
            (folder / f"{w.label}.screenshot-failed.txt").write_text(repr(error))
        (folder / f"{w.label}.console.txt").write_text("\n".join(w.console[w.first :]) + "\n")
        for log in w.logs:
            if log.exists():
                shutil.copy(log, folder / log.name)
    return folder


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed and report.when in ("setup", "call"):
        folder = _save_artifacts(item)
        if folder is not None:
            _saved.append(folder)
            report.sections.append(("browser artifacts", f"screenshot and console errors kept in {folder}"))
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _saved:
        terminalreporter.write_sep("-", "browser test artifacts")
        for folder in _saved:
            terminalreporter.write_line(str(folder))


# --- JupyterLab -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def lab_server(course_env: CourseEnv) -> Iterator[Server]:
    port = free_port()
    command = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={course_env.notebooks}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    server = Server("JupyterLab", command, port=port, env=course_env.env, cwd=course_env.root, log=course_env.root / "jupyterlab.log")
    try:
        server.wait_until_answers("/api/status", timeout=60)
    except ServerError as error:
        server.stop()
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


@dataclass
class LabPage:
    page: Any
    console: list[str]
    server: Server

    def command(self, name: str) -> Any:
        return self.page.evaluate("name => window.jupyterapp.commands.execute(name)", name)


@pytest.fixture(scope="session")
def lab_page(browser: Any, lab_server: Server) -> Iterator[LabPage]:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    console = console_log(page)
    page.goto(f"{lab_server.url}/lab/tree/{LESSON}")
    # The status bar, not the toolbar's indicator: that one reads idle before the kernel is there.
    expect(page.locator("#jp-main-statusbar")).to_contain_text(IDLE, timeout=60_000)
    yield LabPage(page, console, lab_server)
    context.close()


@pytest.fixture
def welcome(request: pytest.FixtureRequest, lab_page: LabPage, course_env: CourseEnv) -> Any:
    """The welcome lesson with every cell run on an empty database: its quiz on the page."""
    from playwright.sync_api import expect

    page = lab_page.page
    watch(request, "lab", page, lab_page.console, [lab_page.server.log])
    course_env.forget_answers()
    lab_page.command("notebook:clear-all-cell-outputs")
    expect(page.locator(".quiz-question")).to_have_count(0)
    expect(page.locator("#jp-main-statusbar")).to_contain_text(IDLE)
    lab_page.command("notebook:run-all-cells")
    expect(page.locator(".quiz-question")).to_have_count(QUESTIONS_IN_WELCOME, timeout=60_000)
    for question in page.locator(".quiz-question").all():
        expect(question.locator("button.quiz-submit")).to_be_enabled()
    return page


# --- the learner's view (Voilà on Jupyter Server, as `make lab` serves it) ---------------------

READY = ".quiz-question button.quiz-submit, .quiz-submit-assessment, .quiz-locked, .quiz-home, .quiz-learner-form, .quiz-notice, .quiz-error"
"""Something of the course rendered by the page's widgets (a lesson with no quiz has none)."""
VIEW_TIMEOUT_MS = 60_000


@dataclass
class LearnerView:
    """The learner's view serving the scratch course, its own data folder, and who the learner is.

    The server runs without ``COURSE_LEARNER``: each page's kernel reads the remembered name
    (``learner.json`` in the data folder), so a test chooses its learner with :meth:`as_learner`
    (a name of its own keeps its answers apart from other tests'), or none, to be asked.
    """

    server: Server
    course: CourseEnv

    def url(self, notebook: str) -> str:
        return f"{self.server.url}/voila/render/{notebook}"

    def as_learner(self, name: str | None) -> None:
        """Remember ``name`` as the learner's (None: nobody yet, the course asks for a name)."""
        path = self.course.data_dir / "learner.json"
        if name is None:
            path.unlink(missing_ok=True)
        else:
            _write_json(path, {"name": name})
        self.course.learner = name or ""

    def open(self, page: Any, notebook: str, *, questions: int | None = None) -> Any:
        """Open a page of the course and wait until its widgets are there (``questions`` of them, if given)."""
        from playwright.sync_api import expect

        page.goto(self.url(notebook), wait_until="commit", timeout=VIEW_TIMEOUT_MS)
        expect(page.locator(READY).first).to_be_attached(timeout=VIEW_TIMEOUT_MS)
        if questions is not None:
            expect(page.locator(".quiz-question")).to_have_count(questions, timeout=VIEW_TIMEOUT_MS)
        return page


@pytest.fixture(scope="session")
def learner_view(course_env: CourseEnv) -> Iterator[LearnerView]:
    """``python -m course.learner_view`` on the scratch course, with a data folder of its own."""
    data_dir = course_env.root / "learner-var"
    env = {k: v for k, v in course_env.env.items() if k != "COURSE_LEARNER"}
    env["COURSE_DATA_DIR"] = str(data_dir)
    course = CourseEnv(root=course_env.root, notebooks=course_env.notebooks, quizzes=course_env.quizzes, data_dir=data_dir, env=env, learner="")
    port = free_port()
    command = [
        sys.executable, "-m", "course.learner_view", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
        "--IdentityProvider.token=", "--ServerApp.password=",
        # The kernel of a closed page is ended after 30 idle seconds, not 10 minutes: a session opens dozens.
        "--MappingKernelManager.cull_idle_timeout=30", "--MappingKernelManager.cull_interval=5",
    ]  # fmt: skip
    server = Server("the learner's view", command, port=port, env=env, cwd=course_env.root, log=course_env.root / "learner-view.log")
    try:
        server.wait_until_answers("/api/status", timeout=60)
    except ServerError as error:
        server.stop()
        pytest.fail(str(error), pytrace=False)
    yield LearnerView(server, course)
    server.stop()


@pytest.fixture
def view(request: pytest.FixtureRequest, browser: Any, learner_view: LearnerView) -> Iterator[tuple[LearnerView, Any]]:
    """A fresh browser page (1280 × 900) on the learner's view (its kernels are culled once it is closed)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    watch(request, "learner-view", page, console_log(page), [learner_view.server.log])
    yield learner_view, page
    context.close()
