"""Find (or, as root, install) the Chromium that Playwright drives in the browser tests.

Playwright cannot download its own browsers here, so the tests use Debian's ``chromium``
(``/usr/bin/chromium``). :func:`ensure` returns its path, installs it with apt-get when the tests
run as root, and otherwise raises :class:`BrowserUnavailable` with a message that says how to
enable the tests. The caller decides whether that skips (a developer's machine) or fails (CI).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DEFAULT_PATH = Path("/usr/bin/chromium")
HOW_TO_ENABLE = "apt-get install chromium, or run as root so the tests install it"

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]



class BrowserUnavailable(RuntimeError):
    """Chromium is missing and could not be installed, or cannot be launched."""


def find() -> Path | None:
    """The Chromium executable, or None."""
    if DEFAULT_PATH.is_file() and os.access(DEFAULT_PATH, os.X_OK):
        return DEFAULT_PATH
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def install() -> str:
    """Install Debian's chromium with apt-get (as root only); return what happened."""
    import debian  # tests/debian.py (tests/ is on sys.path: tests/conftest.py)

    return debian.install("chromium")


def ensure() -> Path:
    """The Chromium executable, installed first if missing and possible."""
    path = find()
    if path is not None:
        return path
    report = install()
    path = find()
    if path is None:
        raise BrowserUnavailable(f"Chromium is not installed ({report}). To run the browser tests: {HOW_TO_ENABLE}.")
    return path
