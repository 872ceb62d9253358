"""Text from a learner, made safe for where it goes: a terminal and a spreadsheet here (HTML in course.render).

A written answer or a name may hold terminal escape sequences (``\\x1b]0;...\\x07``, ``\\x1b[2J``)
that would retitle or clear a trainer's terminal and fake what it shows. :func:`for_terminal`
shows every control character as a visible escape instead, keeping newlines and tabs only where
asked; :func:`json_for_terminal` does the same inside JSON, with JSON's own escapes.

A cell such as ``=HYPERLINK("http://evil","x")`` or ``+cmd|' /C calc'!A0`` is run as a formula
by the spreadsheet a trainer opens a CSV export in. :func:`for_spreadsheet` is the OWASP rule
for CSV injection, applied by :func:`course.report.to_csv` to every text cell of every CSV the
course writes.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any


def for_terminal(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with every control or format character (C0, DEL, C1, bidi overrides) shown as ``\\xNN``/``\\uNNNN``."""
    out = []
    for ch in str(text):
        if keep_newlines and ch in "\n\t":
            out.append(ch)
        elif _shown_in_terminal(ch):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _shown_in_terminal(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf") or ch in "\u2028\u2029"


def json_for_terminal(value: Any, **dumps: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **dumps)`` with every character :func:`for_terminal`
    would escape written as a JSON ``\\uXXXX`` escape: the same data, and nothing a terminal acts on."""
    text = json.dumps(value, ensure_ascii=False, **dumps)
    # json.dumps escapes C0 controls inside strings itself; outside strings only its own layout
    # (newlines, spaces) appears. DEL, C1 and format characters it leaves: escape those.
    return "".join(_json_escape(ch) if ord(ch) >= 0x7F and _shown_in_terminal(ch) else ch for ch in text)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP: a UTF-16 surrogate pair, as JSON writes it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a CSV cell as a formula (OWASP, CSV injection)."""


def for_spreadsheet(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: text starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a single quote in front (OWASP); any other value
    (numbers, dates, missing values) is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
