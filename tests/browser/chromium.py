"""Find (or, as root, install) the Chromium that Playwright drives in the browser tests.

Playwright cannot download its own browsers here, so the tests use Debian's ``chromium``
(``/usr/bin/chromium``). :func:`ensure` returns its path, installs it with apt-get when the tests
run as root, and otherwise raises :class:`BrowserUnavailable` with a message that says how to
enable the tests. The caller decides whether that skips (a developer's machine) or fails (CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
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

APT_TIMEOUT = 600  # seconds for each apt-get call


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


def _apt_get(*args: str) -> tuple[bool, str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        done = subprocess.run(
            ["apt-get", *args], env=env, capture_output=True, text=True, timeout=APT_TIMEOUT, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"apt-get {' '.join(args)} failed: {error}"
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
    return done.returncode == 0, f"apt-get {' '.join(args)} exited with {done.returncode}: {tail}"


def install() -> str:
    """Install Debian's chromium with apt-get (as root only); return what happened."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root, so chromium was not installed"
    if shutil.which("apt-get") is None:
        return "apt-get is not available to install chromium"
    ok, report = _apt_get("install", "-y", "--no-install-recommends", "chromium")
    if not ok:  # the package lists may be empty or stale
        _apt_get("update")
        ok, report = _apt_get("install", "-y", "--no-install-recommends", "chromium")
    return "chromium installed" if ok else report


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
