"""What a bank reads from its lesson notebook: the ``##`` headings its questions' sections name
(:func:`lesson_headings`) and the roles that need each section (:func:`section_roles`, from the
notebook's ``metadata.course.sections``), with every problem in them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from course.bank.problems import Problem, _display
from course.roles import ROLES


def lesson_headings(notebook: Path) -> list[str]:
    """The text of every ``##`` heading in a notebook's Markdown cells."""
    return _headings(json.loads(notebook.read_text(encoding="utf-8")))


LESSON_LEVEL = "(lesson)"
SECTIONS_FIELD = "metadata.course.sections"


def section_roles(notebook: Path, *, strict: bool = True) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    """The roles that need each section of a lesson (its ``metadata.course.sections``), and every
    problem with them: a listed heading that is not a ``##`` heading of the lesson, a role that is
    not one of :data:`course.roles.ROLES`, a value that is not a list of roles. A lesson without
    that metadata is for every role (no problem). With ``strict=False`` (loading the course to run
    it) the problems are left out and only sound entries are kept.
    """
    name = _display(notebook)
    text = notebook.read_text(encoding="utf-8")
    data = json.loads(text)
    lines = text.splitlines()

    def line_of(needle: str, after: int = 0) -> int | None:
        for number, line in enumerate(lines[after:], after + 1):
            if needle in line:
                return number
        return None

    problems: list[Problem] = []
    meta = (data.get("metadata") or {}).get("course") if isinstance(data.get("metadata"), dict) else None
    if meta is None:
        return {}, problems
    top = line_of('"course":')
    if not isinstance(meta, dict):
        problems.append(Problem(name, LESSON_LEVEL, "metadata.course", "must be a mapping (objectives, sections)", top))
        return {}, problems if strict else []
    sections = meta.get("sections")
    if sections is None:
        return {}, problems
    if not isinstance(sections, dict):
        problems.append(Problem(name, LESSON_LEVEL, SECTIONS_FIELD, "must be a mapping of '## heading': [roles]", line_of('"sections":')))
        return {}, problems if strict else []
    headings = _headings(data)
    found: dict[str, tuple[str, ...]] = {}
    start = line_of('"sections":') or 0
    for heading, roles in sections.items():
        where = line_of(json.dumps(heading, ensure_ascii=False) + ":", max(0, start - 1)) or line_of(json.dumps(heading) + ":", max(0, start - 1)) or start or None
        sound = True
        if heading not in headings:
            shown = "; ".join(repr(h) for h in headings) or "none"
            problems.append(Problem(name, LESSON_LEVEL, SECTIONS_FIELD, f"{heading!r} is not a '##' heading of this lesson (its headings: {shown})", where))
            sound = False
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
            problems.append(Problem(name, LESSON_LEVEL, SECTIONS_FIELD, f"{heading!r}: must be a list of roles, some of: {', '.join(ROLES)} (got {roles!r})", where))
            continue
        unknown = [r for r in roles if r not in ROLES]
        for role in unknown:
            problems.append(Problem(name, LESSON_LEVEL, SECTIONS_FIELD, f"{heading!r}: {role!r} is not a role; the roles are: {', '.join(ROLES)}", line_of(f'"{role}"', (where or 1) - 1) or where))
        if sound and not unknown:
            found[heading] = tuple(r for r in ROLES if r in roles)
    return found, problems if strict else []


def _headings(data: Any) -> list[str]:
    headings: list[str] = []
    for cell in data.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        for line in text.splitlines():
            if line.startswith("## "):
                headings.append(line[3:].strip())
    return headings
