"""Markdown from the question banks, rendered to HTML safely.

Raw HTML in a bank is escaped, never passed through, and links may only use safe schemes
(markdown-it's ``js-default`` preset: no raw HTML, and ``validateLink`` refuses
``javascript:``, ``vbscript:``, ``file:`` and most ``data:`` URLs).
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # on the first text rendered, not at import (issue 13)

    return MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})


def markdown(text: str) -> str:
    """HTML for a Markdown text from a bank; raw HTML in it comes out escaped."""
    return _parser().render(text or "").strip()


def inline(text: str) -> str:
    """HTML for a short Markdown text (no surrounding paragraph)."""
    return _parser().renderInline(text or "")


def escape(text: object) -> str:
    """Plain text made safe to put inside HTML (learner names, answers)."""
    return html.escape(str(text), quote=True)
