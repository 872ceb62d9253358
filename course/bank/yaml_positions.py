"""Where in a bank file a problem is: the YAML parsed once into its nodes (with their lines) and
its data, the line of a field, keys written twice, the line of a YAML syntax error, and the lines
of questions and words found in the file's text after parsing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    import yaml


# --- YAML with positions ----------------------------------------------------------------------


def _line_of(node: yaml.Node | None, path: Iterable[Any]) -> int | None:
    """The 1-based line of the deepest node reached by following ``path`` from ``node``."""
    import yaml

    if node is None:
        return None
    line = node.start_mark.line + 1
    for step in path:
        child = None
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == step:
                    child = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            child = node.value[step]
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _duplicate_keys(node: yaml.Node, trail: tuple[Any, ...] = ()) -> Iterable[tuple[tuple[Any, ...], str, int]]:
    """Yield (path to the mapping, key, line) for every key written twice in one mapping."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    yield trail, key.value, key.start_mark.line + 1
                seen.add(key.value)
                yield from _duplicate_keys(value, trail + (key.value,))
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            yield from _duplicate_keys(value, trail + (i,))


_UNFINISHED = ("quoted scalar", "simple key", "flow sequence", "flow mapping")
"""What YAML reports 'while scanning/parsing' when something opened was never closed: a quote,
a key still waiting for its ':', a '[' or a '{'. Its mistake is where it was opened (the
context mark); the scanner only notices later, often on the next line or at the end of the file."""


def _yaml_error(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str]:
    """The line to report for a YAML syntax error, and its message.

    PyYAML gives two positions: where the problem was noticed, and the context it was noticed
    in. For an unfinished quote, key or bracket the mistake is at the context (where it was
    opened), not where the scanner gave up, which is often the next line or past the end of the
    file; otherwise it is where the problem was noticed. A line is never past the file's last.
    """
    last = max(1, len(text.splitlines()))
    noticed = exc.problem_mark.line + 1 if exc.problem_mark else None
    opened = exc.context_mark.line + 1 if exc.context_mark else None
    context = (exc.context or "").strip()
    what = " ".join(s for s in (context, (exc.problem or "").strip()) if s)
    line = noticed or opened
    if opened is not None and any(context.endswith(kind) for kind in _UNFINISHED) and (noticed is None or opened <= noticed):
        line = opened
        if noticed is not None and noticed > last:
            what += " (at the end of the file)"
        elif noticed is not None and noticed != opened:
            what += f" (noticed on line {noticed})"
    if line is not None:
        line = min(line, last)
    return line, f"invalid YAML: {what}"


def _parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse once: the node tree (for line numbers and duplicate keys) and the data built from it."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml when present: ~10x faster
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def _question_lines(path: Path) -> dict[str, int]:
    """The line of each question's ``id:`` in a bank file."""
    found: dict[str, int] = {}
    try:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            m = re.match(r"\s*-?\s*id:\s*['\"]?([A-Za-z0-9_.-]+)", line)
            if m and line.lstrip().startswith("- id:"):
                found.setdefault(m.group(1), number)
    except OSError:
        pass
    return found


def _find_line(path: Path, needle: str) -> int | None:
    """The first line of a file that mentions ``needle`` (for problems found after parsing)."""
    try:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if needle in line:
                return number
    except OSError:
        return None
    return None
