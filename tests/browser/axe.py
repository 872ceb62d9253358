"""An accessibility check of a page in Chromium: axe-core (Deque's rules engine, the one browsers'
own audits use), run in the page as it is shown.

axe-core comes from npm, installed once into ``~/.cache/ketamine-course-tests`` (as the hub tests
install configurable-http-proxy). Where Node.js, npm or the registry cannot be had the tests that
use it are skipped, and fail with ``CI=true``.

:func:`problems` runs every rule axe runs by default (WCAG 2.0-2.2 A and AA, and its best
practices) and returns one line per rule broken, with its impact and up to three of the elements.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import ci

AXE_VERSION = "4.14.1"
CACHE = Path.home() / ".cache" / "ketamine-course-tests"

_source: str | None = None

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => `[${v.impact}] ${v.id}: ${v.help} (${v.nodes.length}): `
    + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
}"""


def axe_source() -> str:
    """axe.min.js (installed by npm on first use)."""
    global _source
    if _source is not None:
        return _source
    folder = CACHE / f"axe-core-{AXE_VERSION}"
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if not ((folder / ".installed").exists() and script.exists()):
        npm = shutil.which("npm")
        if npm is None:
            ci.unavailable("the accessibility check needs npm for axe-core (apt-get install nodejs npm)")
        CACHE.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="axe-", dir=CACHE))
        try:
            result = subprocess.run(
                [npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund", "--loglevel=error", f"axe-core@{AXE_VERSION}"],
                capture_output=True, text=True, timeout=300, cwd=staging,
            )  # fmt: skip
            if result.returncode != 0:
                ci.unavailable(f"npm install axe-core@{AXE_VERSION} failed: {result.stderr.strip()[-1500:]}")
            (staging / ".installed").write_text(AXE_VERSION + "\n")
            shutil.rmtree(folder, ignore_errors=True)
            staging.rename(folder)
        except subprocess.TimeoutExpired as error:
            ci.unavailable(f"npm install axe-core timed out: {error}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    _source = script.read_text(encoding="utf-8")
    return _source


def problems(page: Any) -> list[str]:
    """The accessibility rules the page breaks as it is now shown (empty: none)."""
    source = axe_source()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=source)
    return page.evaluate(_RUN)
