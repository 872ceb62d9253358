"""The checks pydantic cannot express, made on a question's raw YAML so that they are reported
alongside missing or mistyped fields: ids and texts used twice, a choice question's right options,
an ordering's items, a matching's pairs, and the one definition of a numeric key that can grade
(:func:`numeric_key_problems`, which :class:`~course.bank.models.Numeric` applies to itself)."""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping


# --- checks pydantic cannot express -----------------------------------------------------------


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dups: list[str] = []
    for v in values:
        key = v.casefold()
        if key in seen and v not in dups:
            dups.append(v)
        seen.add(key)
    return dups


def _entries(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _texts(entries: list[dict[str, Any]], key: str) -> list[str]:
    return [str(e[key]).strip() for e in entries if isinstance(e.get(key), (str, int, float)) and str(e[key]).strip()]


def _number(value: Any) -> float | None:
    """The number pydantic would read from ``value`` (a YAML number, or text such as "1970" or
    "nan"), or None when it is not one (pydantic says so: "must be a number")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _yaml_number(value: Any) -> str:
    """A non-finite number as YAML writes it (.nan, .inf, -.inf), anything else as repr."""
    number = _number(value)
    if number is not None and math.isnan(number):
        return ".nan"
    if number is not None and math.isinf(number):
        return ".inf" if number > 0 else "-.inf"
    return repr(value)


_NUMERIC_KEY = "numeric_key"
"""The pydantic error type of :meth:`Numeric._key_can_grade` (the loader reports the same
problems field by field from :func:`numeric_key_problems`, so it skips this one)."""

def _why_not_ordinary(name: str, number: float) -> str:
    if name == "tolerance":
        return "every number would count as right" if number > 0 else "no number would ever count as right"
    if name == "answer":
        return "no typed number could ever equal it, so nobody could answer right"
    return "a range needs ordinary numbers at both ends"


def numeric_key_problems(q: Mapping[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """(field path, message) for every reason the key of a numeric question cannot grade.

    The one definition of a valid numeric key: either ``answer`` (with an optional
    ``tolerance`` of at least 0) or both ``min`` and ``max`` with ``min <= max``; every one of
    them an ordinary number (not true/false, not .nan, not .inf); ``unit_aliases`` only with
    a ``unit``. A field written as ``null`` counts as not given. ``q`` is the question's raw
    YAML mapping, or a model's fields (:class:`Numeric` checks itself with this).
    """
    out: list[tuple[tuple[Any, ...], str]] = []
    given = {k for k in ("answer", "tolerance", "min", "max") if q.get(k) is not None}
    numbers: dict[str, float] = {}
    for name in ("answer", "tolerance", "min", "max"):
        if name not in given:
            continue
        value = q[name]
        if isinstance(value, bool):
            out.append(((name,), f"must be a number (got {str(value).lower()})"))
            continue
        number = _number(value)
        if number is None:
            continue  # not a number at all: the model's type check says so
        if not math.isfinite(number):
            out.append(((name,), f"must be an ordinary number, not {_yaml_number(number)}: {_why_not_ordinary(name, number)}"))
            continue
        numbers[name] = number
    has_range = "min" in given or "max" in given
    if "answer" not in given and not has_range:
        out.append((("answer",), "is required (or give min and max for a range)"))
    if "answer" in given and has_range:
        out.append((("answer",), "give either answer (with tolerance) or min and max, not both"))
    if has_range and ("min" not in given or "max" not in given):
        missing = "min" if "min" not in given else "max"
        out.append(((missing,), "is required when a range is given (give both min and max)"))
    low, high, tolerance = numbers.get("min"), numbers.get("max"), numbers.get("tolerance")
    if low is not None and high is not None and low > high:
        out.append((("min",), f"min ({low:g}) is above max ({high:g})"))
    if tolerance is not None and tolerance < 0:
        out.append((("tolerance",), f"must not be negative (got {tolerance:g})"))
    if "tolerance" in given and has_range and "answer" not in given:
        out.append((("tolerance",), "applies to answer, not to a min..max range"))
    if q.get("unit_aliases") and not q.get("unit"):
        out.append((("unit_aliases",), "needs a unit"))
    return out


def _rule_problems(q: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """(field path, message) for each rule about a question's key that is broken.

    These rules work on the raw YAML data, so they are reported even when the question also has
    a missing or mistyped field: an author sees every problem of a question at once.
    """
    out: list[tuple[tuple[Any, ...], str]] = []
    kind = q.get("type")
    if kind in ("single_choice", "multiple_choice"):
        options = _entries(q.get("options"))
        for d in _duplicates(_texts(options, "id")):
            out.append((("options",), f"option id {d!r} is used twice"))
        for d in _duplicates(_texts(options, "text")):
            out.append((("options",), f"option text {d!r} is used twice"))
        correct = _texts([o for o in options if o.get("correct") is True], "id")
        if options and not correct:
            out.append((("options",), "no option is marked correct: true"))
        if kind == "multiple_choice" and len(options) >= 2 and len(correct) == len(options):
            out.append(
                (
                    ("options",),
                    "every option is marked correct: true, so ticking them all earns full marks without "
                    "reading the question; add at least one option that is wrong",
                )
            )
        if kind == "single_choice" and len(correct) > 1:
            out.append(
                (
                    ("options",),
                    f"a single_choice question has exactly one correct option, but {len(correct)} are "
                    f"({', '.join(correct)}); use multiple_choice for 'select all that apply'",
                )
            )
    elif kind == "numeric":
        out.extend(numeric_key_problems(q))
    elif kind == "ordering":
        items = _entries(q.get("items"))
        if len(items) < 2:
            out.append((("items",), f"an ordering needs at least 2 items (got {len(items)})"))
        for d in _duplicates(_texts(items, "id")):
            out.append((("items",), f"item id {d!r} is used twice"))
        for d in _duplicates(_texts(items, "text")):
            out.append((("items",), f"item text {d!r} is used twice"))
    elif kind == "matching":
        pairs = _entries(q.get("pairs"))
        distractors = _entries(q.get("distractors"))
        for d in _duplicates(_texts(pairs, "id") + _texts(distractors, "id")):
            out.append((("pairs",), f"id {d!r} is used twice among the pairs and distractors"))
        for d in _duplicates(_texts(pairs, "left")):
            out.append((("pairs",), f"left item {d!r} is used twice"))
        for d in _duplicates(_texts(pairs, "right") + _texts(distractors, "text")):
            out.append((("pairs",), f"right item {d!r} is used twice"))
    return out
