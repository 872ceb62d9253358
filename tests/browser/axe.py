"""An accessibility check of a page in Chromium: axe-core (Deque's rules engine, the one browsers'
own audits use), run in the page as it is shown.

axe-core comes from npm, installed once into ``~/.cache/ketamine-course-tests`` (tests/npm_cache.py,
as configurable-http-proxy for the hub tests). Where Node.js, npm or the registry cannot be had the tests that
use it are skipped, and fail with ``CI=true``.

:func:`problems` runs every rule axe runs by default (WCAG 2.0-2.2 A and AA, and its best
practices) and returns one line per rule broken, with its impact and up to three of the elements.
"""

from __future__ import annotations

from typing import Any

import ci
import npm_cache

AXE_VERSION = "4.14.1"

_source: str | None = None

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => `[${v.impact}] ${v.id}: ${v.help} (${v.nodes.length}): `
    + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
}"""


def axe_source() -> str:
    """axe.min.js (installed by npm on first use)."""
    global _source
    if _source is None:
        try:
            folder = npm_cache.installed("axe-core", AXE_VERSION)
        except npm_cache.NpmUnavailable as error:
            ci.unavailable(f"the accessibility check needs axe-core: {error}")
        _source = (folder / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
    return _source


def problems(page: Any) -> list[str]:
    """The accessibility rules the page breaks as it is now shown (empty: none)."""
    source = axe_source()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=source)
    return page.evaluate(_RUN)
