"""Markdown from the question banks, rendered to HTML safely.

Raw HTML in a bank is escaped, never passed through, and links may only use safe schemes
(markdown-it's ``js-default`` preset: no raw HTML, and ``validateLink`` refuses
``javascript:``, ``vbscript:``, ``file:`` and most ``data:`` URLs).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


WHY = "**Why:** "
"""Before a question's explanation, in its feedback (course.views)."""
GOOD_ANSWER = "**What a good answer includes:** "
"""Before a written question's explanation (its model answer), in its feedback (course.views)."""

_known: dict[str, str] = {}
"""HTML already rendered by this very parser, by Markdown text (see :func:`remember`)."""


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # on the first text rendered, not at import (issue 13)

    return MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})


def markdown(text: str) -> str:
    """HTML for a Markdown text from a bank; raw HTML in it comes out escaped."""
    known = _known.get(text or "")
    return known if known is not None else _parser().render(text or "").strip()


def course_texts(banks: Iterable[Any]) -> dict[str, str]:
    """The HTML of what a lesson's page renders from its banks: each question's prompt and its
    explanation as the feedback shows it. Kept with the banks' disk cache (course.bank), so that a
    lesson kernel shows its questions without importing markdown-it (issue 13)."""
    texts: set[str] = set()
    for bank in banks:
        for q in bank.questions:
            texts.update((q.prompt, WHY + q.explanation, GOOD_ANSWER + q.explanation))
    return {text: _parser().render(text).strip() for text in sorted(texts)}


def remember(rendered: Mapping[str, str]) -> None:
    """Use this HTML for these texts from now on: it was rendered by :func:`course_texts`, with this
    module and this markdown-it (the disk cache is keyed by both)."""
    _known.update(rendered)


def inline(text: str) -> str:
    """HTML for a short Markdown text (no surrounding paragraph)."""
    return _parser().renderInline(text or "")


def escape(text: object) -> str:
    """Plain text made safe to put inside HTML (learner names, answers)."""
    return html.escape(str(text), quote=True)
