"""What is wrong with a bank, as an author reads it: :class:`Problem` (``file:line: question-id:
field: message``), :class:`BankError` (raised with every problem), and the file and field named as
an author would write them (:func:`_display`, :func:`_field_name`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable


# --- problems ---------------------------------------------------------------------------------

BANK_LEVEL = "(bank)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a bank, located by file, line, question id and field."""

    file: str
    question: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.question}: {self.field}: {self.message}"


class BankError(Exception):
    """A bank (or several) could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _display(path: Path) -> str:
    """A path as an author would type it: relative to the working folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _field_name(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "type"
