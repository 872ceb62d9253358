"""Text from a learner, made safe for where it goes: a terminal here (HTML in course.render, CSV in course.report).

A written answer or a name may hold terminal escape sequences (``\\x1b]0;...\\x07``, ``\\x1b[2J``)
that would retitle or clear a trainer's terminal and fake what it shows. :func:`for_terminal`
shows every control character as a visible escape instead, keeping newlines and tabs only where
asked.
"""

from __future__ import annotations

import unicodedata


def for_terminal(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with every control or format character (C0, DEL, C1, bidi overrides) shown as ``\\xNN``/``\\uNNNN``."""
    out = []
    for ch in str(text):
        if keep_newlines and ch in "\n\t":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf") or ch in "\u2028\u2029":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
