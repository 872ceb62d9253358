"""pydantic's validation errors in a course author's words (:func:`_message`): "is required",
"must be a number (got 'ten')", "unknown question type ...", rather than pydantic's own."""

from __future__ import annotations

from typing import Any

from course.bank.models import QUESTION_TYPES
from course.bank.rules import _yaml_number


# --- turning pydantic errors into an author's words -------------------------------------------


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field here (check the spelling)"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return f"{value!r} may use only letters, digits, '-', '_' and '.'"
    if kind in ("string_type",):
        return f"must be text (got {value!r})"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false (got {value!r})"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"):
        return f"must be a number (got {value!r})"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} entries (got {ctx.get('actual_length', 0)})"
    if kind == "list_type":
        return "must be a list (each entry starting with '-')"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a mapping of fields (key: value)"
    if kind == "union_tag_invalid":
        return f"unknown question type {ctx.get('tag')!r}; use one of: {', '.join(QUESTION_TYPES)}"
    if kind == "union_tag_not_found":
        return f"is required; use one of: {', '.join(QUESTION_TYPES)}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {value!r})"
    if kind == "finite_number":
        return f"must be an ordinary number, not {_yaml_number(value)}"
    if kind == "greater_than":
        return f"must be greater than {ctx.get('gt')} (got {value!r})"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')} (got {value!r})"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')} (got {value!r})"
    return str(error.get("msg", kind))
