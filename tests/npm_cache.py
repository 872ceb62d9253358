"""npm packages the tests need (configurable-http-proxy for the hub tests, axe-core for the
accessibility check), each installed once into ``~/.cache/ketamine-course-tests``."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CACHE = Path.home() / ".cache" / "ketamine-course-tests"


class NpmUnavailable(Exception):
    """Node.js, npm or the registry cannot be had here (the caller skips, or fails in CI)."""


def installed(package: str, version: str) -> Path:
    """The folder ``package@version`` is installed in (its ``node_modules`` inside), installed by
    npm on first use: into a staging folder, renamed into place once complete."""
    folder = CACHE / f"{package}-{version}"
    if (folder / ".installed").exists() and (folder / "node_modules" / package).is_dir():
        return folder
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        raise NpmUnavailable(f"Node.js and npm are needed for {package} (apt-get install nodejs npm)")
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{package}-", dir=CACHE))
    try:
        result = subprocess.run(
            [npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund", "--loglevel=error", f"{package}@{version}"],
            capture_output=True, text=True, timeout=300, cwd=staging,
        )  # fmt: skip
        if result.returncode != 0:
            raise NpmUnavailable(f"npm install {package}@{version} failed: {result.stderr.strip()[-1500:]}")
        (staging / ".installed").write_text(version + "\n")
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    except subprocess.TimeoutExpired as error:
        raise NpmUnavailable(f"npm install {package} timed out: {error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
