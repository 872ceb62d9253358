"""Install Debian packages the tests need (Chromium, poppler, zbar) with apt-get, as root only.

The tests that need a system program call :func:`install` when it is missing; without root or
apt-get it returns why nothing was installed, and the caller skips (a developer's machine, with
that how-to) or fails (``CI=true``, where every test must run).
"""

from __future__ import annotations

import os
import shutil
import subprocess

APT_TIMEOUT = 600  # seconds for each apt-get call


def _apt_get(*args: str) -> tuple[bool, str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        done = subprocess.run(["apt-get", *args], env=env, capture_output=True, text=True, timeout=APT_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"apt-get {' '.join(args)} failed: {error}"
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
    return done.returncode == 0, f"apt-get {' '.join(args)} exited with {done.returncode}: {tail}"


def install(*packages: str) -> str:
    """Install ``packages`` with apt-get (as root only); return what happened, in words."""
    names = " ".join(packages)
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return f"not running as root, so {names} was not installed"
    if shutil.which("apt-get") is None:
        return f"apt-get is not available to install {names}"
    ok, report = _apt_get("install", "-y", "--no-install-recommends", *packages)
    if not ok:  # the package lists may be empty or stale
        _apt_get("update")
        ok, report = _apt_get("install", "-y", "--no-install-recommends", *packages)
    return f"{names} installed" if ok else report
