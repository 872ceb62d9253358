"""Fixtures for the hub tests: a real JupyterHub deployment with learners as separate OS users.

One deployment per test session: set up when the first test of tests/hub/ needs it, removed
right after the last one (package scope: the rest of the suite runs with the checkout's mode
restored and no test users), also after a failure:

- ``hub_deployment`` (package): a :class:`~hub.deployment.Deployment`: the layout in a temporary
  folder (``service/`` 0700 with the hub's state and the banks with keys, ``notebooks/``, the
  learner environment ``env/``, ``logs/``), the OS users ``kc-ann``, ``kc-bob`` (learners) and
  ``kc-tess`` (trainer), the checkout chmod 0700, PostgreSQL requiring passwords with the
  database ``course`` of the role ``course_service``, configurable-http-proxy from npm.
- ``hub_settings`` (function, override it in a module or a conftest): a
  :class:`~hub.deployment.HubSettings`: the service's command and environment, the trainer
  group, the servers' default URL. The default runs ``python -m course serve``.
- ``hub``: the running hub for ``hub_settings`` (a :class:`~hub.deployment.HubProcess`, with the
  client helpers of :class:`~hub.client.HubClient`). Started on first use and kept for the
  session; a module with other settings gets a hub of its own (the previous one is stopped).
  Servers are spawned once per user (``hub.start_server(user)``) and reused.
- ``hub_browser`` (session): headless Chromium, for :func:`hub.pages.server_page`.

Using it, in a test module of tests/hub/ (a sub-folder with an ``__init__.py`` would be a
package of its own, with a deployment of its own)::

    @pytest.fixture
    def hub_settings() -> HubSettings:            # only to change the defaults
        return HubSettings(service_environment={"COURSE_SERVICE_THREADS": "2"})

    def test_something(hub):
        result = hub.run_in_kernel("kc-ann", "print(1)")   # stdout, stderr, result, error
        token = hub.token_for("kc-bob")                    # a user's API token
        session = hub.login("kc-tess")                     # requests.Session, logged in
        old = hub.kill_service(); hub.wait_for_service_restart(old)

``hub.deployment`` has the paths (``service_dir``, ``quizzes``, ``notebooks``, ``logs``), the
database URLs (``service_db_url``, ``pg_admin_url``) and the users; ``hub.url`` is the proxy,
``hub.service_url`` the service as kernels reach it (their ``COURSE_SERVICE_URL``).

Where the harness cannot run (not root, no useradd, no Node.js or PostgreSQL) the tests are
skipped with the reason; with ``CI=true`` they fail instead. On a failure, the hub's, the
proxy's, the service's and the single-user servers' logs are copied to
``test-artifacts/hub/<test>/``. The tests here are marked ``hub`` automatically.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ci  # tests/ci.py (tests/ is on sys.path: tests/conftest.py)
import pytest

from . import system
from .client import HubClientError
from .deployment import ROOT, Deployment, DeploymentError, HubProcess, HubSettings, Unavailable, build_deployment

HERE = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "test-artifacts" / "hub"
HOW_TO_ENABLE = (
    "The hub tests need root (they create OS users), useradd/userdel, Node.js with npm "
    "(apt-get install nodejs npm) and PostgreSQL (installed by the tests as root); "
    "with CI=true they fail instead of skipping."
)


def unavailable(message: str) -> None:
    """Skip on a developer's machine; fail in CI, where the hub tests must run."""
    ci.unavailable(f"{message}. {HOW_TO_ENABLE}", f"{message} (CI=true: the hub tests must run)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.hub)


def _missing_prerequisite() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root (the hub tests create OS users and run servers as them)"
    for program in ("useradd", "userdel", "runuser"):
        if shutil.which(program) is None:
            return f"{program} is missing"
    for program in ("node", "npm"):
        if shutil.which(program) is None:
            return f"{program} is missing (Node.js runs configurable-http-proxy)"
    return None


# --- the deployment -------------------------------------------------------------------------

_state: dict[str, Any] = {"logs": None, "timings": {}}


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt meanwhile, so that teardown still runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="package")
def hub_deployment() -> Iterator[Deployment]:
    missing = _missing_prerequisite()
    if missing:
        unavailable(missing)
    with contextlib.ExitStack() as stack:
        stack.enter_context(_sigterm_unwinds())
        try:
            stack.enter_context(system.exclusive())
        except system.SystemError_ as error:
            pytest.fail(str(error), pytrace=False)
        for line in system.recover():
            print(f"hub tests: {line} (left by an earlier run)")
        ledger = system.Ledger(uuid.uuid4().hex[:12])
        stack.callback(ledger.close)  # last: everything else is undone by then
        teardown: dict[str, float] = {}
        stack.callback(lambda: _state["timings"].__setitem__("teardown", time.monotonic() - teardown["start"]) if teardown else None)
        try:
            deployment = build_deployment(stack, ledger)
        except Unavailable as error:
            unavailable(str(error))
        except (DeploymentError, system.SystemError_, OSError) as error:
            pytest.fail(f"the hub deployment could not be set up: {error}", pytrace=False)
        _state["logs"] = deployment.logs
        _state["timings"].update(deployment.timings)
        yield deployment
        _state["logs"] = None
        teardown["start"] = time.monotonic()


class HubPool:
    """One running hub at a time, for the settings last asked for."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.current: HubProcess | None = None
        self.failed: list[tuple[HubSettings, str]] = []  # not tried again: each try costs seconds

    def get(self, settings: HubSettings) -> HubProcess:
        current = self.current
        if current is not None and current.settings == settings and current.process is not None and current.process.poll() is None:
            return current
        for failed_settings, message in self.failed:
            if failed_settings == settings:
                pytest.fail(f"(as for an earlier test) {message}", pytrace=False)
        self.close()
        hub = HubProcess(self.deployment, settings)
        self.current = hub
        try:
            hub.start()
            # Every user's server at once (reused by every test): cheaper than one after another.
            seconds = hub.start_servers(self.deployment.users)
        except (DeploymentError, HubClientError) as error:
            message = f"JupyterHub did not start: {error}"
            self.failed.append((settings, message))
            pytest.fail(message, pytrace=False)
        _state["timings"].update(hub.timings)
        _state["timings"][f"{len(self.deployment.users)} servers at once"] = seconds
        return hub

    def close(self) -> None:
        if self.current is not None:
            started = time.monotonic()
            self.current.stop()
            self.current = None
            _state["timings"]["hub stop"] = time.monotonic() - started


@pytest.fixture(scope="package")
def hub_pool(hub_deployment: Deployment) -> Iterator[HubPool]:
    pool = HubPool(hub_deployment)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def hub_settings() -> HubSettings:
    """The hub's settings for this test: override in a module or a conftest."""
    return HubSettings()


@pytest.fixture
def hub(hub_pool: HubPool, hub_settings: HubSettings) -> HubProcess:
    return hub_pool.get(hub_settings)


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hub_browser(chromium_browser: Any) -> Any:
    """Headless Chromium for :func:`hub.pages.server_page` (tests/conftest.py: one for the session)."""
    return chromium_browser


# --- failure artifacts and the start-up summary ---------------------------------------------

_saved: list[Path] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    logs = _state["logs"]
    if report.failed and report.when in ("setup", "call") and logs is not None and HERE in Path(str(item.path)).parents:
        folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(logs, folder)
        _saved.append(folder)
        report.sections.append(("hub logs", f"the hub's, proxy's, service's and servers' logs kept in {folder}"))
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    timings = _state["timings"]
    if timings:
        terminalreporter.write_sep("-", "hub harness start-up")
        terminalreporter.write_line(", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()))
    if _saved:
        terminalreporter.write_sep("-", "hub test logs")
        for folder in _saved:
            terminalreporter.write_line(str(folder))
