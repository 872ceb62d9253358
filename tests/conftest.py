"""Shared fixtures: real SQLite and PostgreSQL databases for the results store.

- ``pg_url``: a PostgreSQL server for the whole session (see :mod:`pgserver`). Where it cannot
  be had, the tests that need it are skipped, or fail when ``CI=true``.
- ``sqlite_url``: a SQLite file in the test's temporary folder (not created yet).
- ``store_url``: one test, two runs: on SQLite and on a fresh PostgreSQL database.
- ``store``: a :class:`course.store.ResultsStore` on ``store_url`` with its own outbox.
- ``env``: a lesson kernel's setting for driving the quiz widgets (scratch store, a learner).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).parent))

import ci  # noqa: E402
import pgserver  # noqa: E402

from course.store import ResultsStore  # noqa: E402


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """SQLAlchemy URL (postgresql+psycopg) of a real PostgreSQL server for this session."""
    server = pgserver.start_or_skip()
    try:
        yield server.url
    finally:
        server.remove()


@pytest.fixture(scope="session")
def _pg_admin(pg_url: str) -> Iterator[Engine]:
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def new_pg_database(admin: Engine, pg_url: str) -> str:
    """Create an empty database on the session server; return its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return pg_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file URL in a folder that does not exist yet (the store creates it)."""
    return f"sqlite:///{tmp_path / 'data' / 'results.sqlite'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty results database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    pg_url = request.getfixturevalue("pg_url")
    return new_pg_database(request.getfixturevalue("_pg_admin"), pg_url)


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[ResultsStore]:
    """A results store on ``store_url``, with an outbox in the test's folder."""
    results = ResultsStore(store_url, outbox=tmp_path / "outbox.jsonl")
    yield results
    results.close()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A lesson kernel's setting: a scratch data folder (SQLite store), the learner "Ann Nurse",
    the course's own banks; afterwards, no exception may have been caught in a widget callback."""
    from course import widgets

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "var"))
    for name in ("COURSE_DB_URL", "COURSE_QUIZZES_DIR", "JUPYTERHUB_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COURSE_LEARNER", "Ann Nurse")
    monkeypatch.setattr(widgets, "_store", None)
    widgets.callback_errors.clear()
    yield tmp_path
    if widgets._store is not None:
        widgets._store.close()
    assert not widgets.callback_errors, f"exceptions inside callbacks: {widgets.callback_errors!r}"


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    """One headless Chromium for the whole session (Debian's, installed as root if missing), shared by
    the browser tests and the hub tests: Playwright's sync API runs one instance per thread, so a
    second one started while the first lives fails ("Sync API inside the asyncio loop")."""
    from browser import chromium

    def unavailable(message: str) -> None:
        ci.unavailable(message, f"{message} (CI=true: the browser tests must run)")

    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install -e '.[test]')")
    try:
        executable = chromium.ensure()
    except chromium.BrowserUnavailable as error:
        unavailable(str(error))
    playwright = sync_playwright().start()
    try:
        try:
            chrome = playwright.chromium.launch(executable_path=str(executable), headless=True, args=chromium.LAUNCH_ARGS)
        except PlaywrightError as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            unavailable(f"Chromium at {executable} cannot be launched ({first}). To run the browser tests: {chromium.HOW_TO_ENABLE}")
        expect.set_options(timeout=15_000)
        yield chrome
        chrome.close()
    finally:
        playwright.stop()
