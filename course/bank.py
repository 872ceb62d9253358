"""Question banks: load the YAML files in ``quizzes/`` into typed models, or say exactly what is wrong.

A bank that is wrong fails loudly at load time. Every problem of a file is collected (not only
the first) and reported as ``file:line: question-id: field: message``, in words a course author
understands. The format itself is documented in ``docs/writing-questions.md``.

The models are pydantic v2 classes; the question types are a discriminated union on ``type``.
Each question is validated on its own, so a mistake in one question never hides the others.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Iterable, Literal, Mapping, Union

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, TypeAdapter, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from course import config
from course.roles import ROLES

if TYPE_CHECKING:
    import yaml

# PyYAML is imported where a bank file is parsed, and each model's validator is built the first
# time it validates (defer_build): a lesson kernel that gets its banks from the cache
# (:func:`course_cached`) never parses YAML nor builds a validator (issue 13).

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Flag = Annotated[bool, Strict()]
"""YAML's true or false only: a quoted "yes" or a 1 is a mistake, not a guess (the checks on
the raw YAML count ``correct: true`` the same way)."""
_IDENT_PATTERN = r"^[A-Za-z0-9_.-]+$"
Ident = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=_IDENT_PATTERN)]

QUESTION_TYPES = (
    "single_choice",
    "multiple_choice",
    "true_false",
    "numeric",
    "ordering",
    "matching",
    "free_text",
)


class _Model(BaseModel):
    """Strict about unknown fields (a typo is an error), forgiving about `text: 1970`."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True, defer_build=True)


# --- question parts ---------------------------------------------------------------------------


class Option(_Model):
    """A choice in a single- or multiple-choice question."""

    id: Ident
    text: Text
    correct: Flag = False
    feedback: Text | None = None


class Item(_Model):
    """An item to put in order."""

    id: Ident
    text: Text


class Pair(_Model):
    """A left item and the right item it matches; the right item is identified by the pair's id."""

    id: Ident
    left: Text
    right: Text


# --- questions --------------------------------------------------------------------------------


class _Question(_Model):
    id: Ident
    section: Text
    prompt: Text
    explanation: Text
    points: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    critical: Flag = False
    source: Text | None = None
    topic: Ident | None = None
    """What the question is about, as the final assessment's blueprint counts it (``safety``, ...)."""
    kind: Literal["recall", "scenario"] = "recall"
    """``scenario``: the learner applies what the lesson taught to a situation at work."""
    fact: Ident | None = None
    """A short name for the one fact the question turns on: two critical questions on the same
    fact drill it twice (``course validate`` warns)."""

    @property
    def gradable(self) -> bool:
        """False for questions a trainer scores (free text)."""
        return True


class SingleChoice(_Question):
    """One right option."""

    type: Literal["single_choice"]
    options: list[Option] = Field(min_length=2)


class MultipleChoice(_Question):
    """Select all that apply: partial credit, right minus wrong over the number of right options."""

    type: Literal["multiple_choice"]
    options: list[Option] = Field(min_length=2)


class TrueFalse(_Question):
    """A statement that is true or false; ``feedback`` is shown for the wrong answer."""

    type: Literal["true_false"]
    answer: Flag
    feedback: Text | None = None


class Numeric(_Question):
    """A number: ``answer`` (± ``tolerance``) or a range ``min``..``max``; optional ``unit``.

    What makes a key that can grade is decided by :func:`numeric_key_problems` alone: the
    loader reports its problems field by field, and this model refuses to hold such a key.
    """

    type: Literal["numeric"]
    answer: float | None = None
    tolerance: float = 0.0
    min: float | None = None
    max: float | None = None
    unit: Text | None = None
    unit_aliases: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _key_can_grade(self) -> Numeric:
        problems = numeric_key_problems({name: getattr(self, name) for name in self.model_fields_set})
        if problems:
            text = "; ".join(f"{_field_name(loc)}: {message}" for loc, message in problems)
            raise PydanticCustomError(_NUMERIC_KEY, "{problems}", {"problems": text})
        return self


class Ordering(_Question):
    """Items listed in the right order; the quiz shows them shuffled."""

    type: Literal["ordering"]
    items: list[Item]


class Matching(_Question):
    """Pair each left item with a right item; ``distractors`` are extra right items."""

    type: Literal["matching"]
    pairs: list[Pair] = Field(min_length=2)
    distractors: list[Item] = Field(default_factory=list)

    def right_items(self) -> list[Item]:
        """Every choice on the right: the pairs' right sides, then the distractors."""
        return [Item(id=p.id, text=p.right) for p in self.pairs] + list(self.distractors)


class FreeText(_Question):
    """A written answer kept for a trainer to score; the explanation is the model answer."""

    type: Literal["free_text"]
    max_length: int | None = Field(default=None, gt=0)

    @property
    def gradable(self) -> bool:
        return False


Question = Annotated[
    Union[SingleChoice, MultipleChoice, TrueFalse, Numeric, Ordering, Matching, FreeText],
    Field(discriminator="type"),
]


@cache
def _question_adapter() -> TypeAdapter[Question]:
    """The validator of one question (any type), built on first use."""
    return TypeAdapter(Question)


class Quota(_Model):
    """How many questions of one topic a draw holds: at least ``min``, at most ``max`` (no limit if not given)."""

    min: int = Field(default=0, ge=0)
    max: int | None = Field(default=None, ge=0)


class RoleBlueprint(_Model):
    """A role's changes to the blueprint: its topics' quotas replace the base's, topic by topic."""

    topics: dict[Ident, Quota] = Field(default_factory=dict)
    min_critical: int | None = Field(default=None, ge=0)


@dataclass(frozen=True)
class Blueprint:
    """The blueprint one role's draw follows (the base with the role's changes)."""

    count: int
    topics: Mapping[str, Quota]
    min_critical: int
    written: int
    min_per_bank: int
    overridden: frozenset[str] = frozenset()
    """The fields the role changed (``topics.<topic>``, ``min_critical``): where a problem is named."""


class Draw(_Model):
    """How an assessment draws its questions from other banks: its blueprint."""

    banks: list[Ident] = Field(min_length=1)
    count: int = Field(gt=0)
    min_per_bank: int = Field(default=0, ge=0)
    min_critical: int = Field(default=0, ge=0)
    """Exactly this many safety-critical questions in every draw (all learners face a safety test; no more than needed)."""
    topics: dict[Ident, Quota] = Field(default_factory=dict)
    """Per topic (a question's ``topic``), at least ``min`` and at most ``max`` of the ``count``."""
    written: int = Field(default=0, ge=0)
    """Free-text scenarios (scored by a trainer) drawn in addition to ``count``."""
    roles: dict[Ident, RoleBlueprint] = Field(default_factory=dict)
    """Per role (``course.roles.ROLES``), changes to ``topics`` and ``min_critical``."""

    def blueprint(self, role: str | None = None) -> Blueprint:
        """The blueprint for ``role`` (None: the base, for a learner who has not given a role)."""
        change = self.roles.get(role or "")
        topics = dict(self.topics)
        overridden: set[str] = set()
        min_critical = self.min_critical
        if change is not None:
            topics.update(change.topics)
            overridden.update(f"topics.{t}" for t in change.topics)
            if change.min_critical is not None:
                min_critical = change.min_critical
                overridden.add("min_critical")
        return Blueprint(self.count, topics, min_critical, self.written, self.min_per_bank, frozenset(overridden))


class _Header(_Model):
    quiz: Ident
    title: Text
    lesson: Text
    mode: Literal["practice", "assessment"]
    pass_mark: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    draw: Draw | None = None
    questions: list[Any] = Field(default_factory=list)


@dataclass(frozen=True)
class Bank:
    """A loaded question bank."""

    quiz: str
    title: str
    lesson: str
    mode: str
    pass_mark: float | None
    questions: tuple[Question, ...]
    draw: Draw | None
    path: Path
    version: str
    """A content hash of the bank file: stored with every answer."""
    section_roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The roles that need each section, from the lesson notebook's ``metadata.course.sections``;
    a section not named there is for every role."""

    def roles_of(self, q: Question) -> tuple[str, ...]:
        """The roles a question is for: those of its section (every role by default)."""
        return self.section_roles.get(q.section, tuple(ROLES))

    def for_role(self, role: str | None) -> list[Question]:
        """The questions for ``role``, in bank order (every question when the role is None)."""
        return [q for q in self.questions if role is None or role in self.roles_of(q)]

    def question(self, question_id: str) -> Question:
        """The question with this id; KeyError if the bank has none."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def section(self, name: str) -> list[Question]:
        """The questions that check one lesson section, in bank order."""
        return [q for q in self.questions if q.section == name]


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


# --- YAML with positions ----------------------------------------------------------------------


def _display(path: Path) -> str:
    """A path as an author would type it: relative to the working folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


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


# --- turning pydantic errors into an author's words -------------------------------------------


def _field_name(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "type"


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


# --- loading ----------------------------------------------------------------------------------

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


def check_bank(path: Path, *, notebooks: Path | None = None, roles_from: Path | None = None) -> tuple[Bank | None, list[Problem]]:
    """Load one bank file; return the bank (None if it has problems) and every problem found.

    When ``notebooks`` is given, the bank's lesson must exist there, every question's
    ``section`` must be a ``##`` heading of that lesson, and the lesson's section roles
    (:func:`section_roles`) must be sound. Without it, the section roles are read, leniently, from
    the lesson in ``roles_from`` when it is there (else every section is for every role).
    """
    import yaml

    path = Path(path)
    name = _display(path)
    problems: list[Problem] = []

    def problem(question: str, field: str, message: str, line: int | None = None) -> None:
        problems.append(Problem(name, question, field, message, line))

    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        problem(BANK_LEVEL, "file", f"cannot be read ({exc.strerror or exc})")
        return None, problems
    except UnicodeDecodeError:
        problem(BANK_LEVEL, "file", "is not UTF-8 text")
        return None, problems

    try:
        root, data = _parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        line, message = _yaml_error(exc, text)
        problem(BANK_LEVEL, "yaml", message, line)
        return None, problems
    except yaml.YAMLError as exc:
        problem(BANK_LEVEL, "yaml", f"invalid YAML: {exc}")
        return None, problems

    if not isinstance(data, dict):
        problem(BANK_LEVEL, "file", "must be a mapping with quiz, title, lesson, mode and questions", 1)
        return None, problems

    for trail, key, line in _duplicate_keys(root):
        qid = BANK_LEVEL
        if len(trail) >= 2 and trail[0] == "questions" and isinstance(trail[1], int):
            qdata = (data.get("questions") or [None] * (trail[1] + 1))[trail[1]]
            qid = _question_label(qdata, trail[1])
            trail = trail[2:]
        problem(qid, _field_name(trail + (key,)), "is written twice in the same place (the second would silently win)", line)

    header: _Header | None = None
    try:
        header = _Header.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if loc and loc[0] == "questions" and len(loc) > 1:
                continue  # questions are validated one by one below
            problem(BANK_LEVEL, _field_name(loc), _message(err), _line_of(root, loc))

    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list):
        raw_questions = []
    if header and header.mode == "assessment" and header.pass_mark is None:
        problem(BANK_LEVEL, "pass_mark", "an assessment needs a pass mark (percent, e.g. 80)", _line_of(root, ("mode",)))
    if header and header.draw is not None:
        d = header.draw
        if header.quiz in d.banks:
            problem(BANK_LEVEL, "draw.banks", "an assessment cannot draw from itself", _line_of(root, ("draw", "banks")))
        if d.min_per_bank * len(set(d.banks)) > d.count:
            problem(BANK_LEVEL, "draw.min_per_bank", f"{d.min_per_bank} from each of {len(set(d.banks))} banks is more than count ({d.count})", _line_of(root, ("draw", "min_per_bank")))
        if d.min_critical > d.count:
            problem(BANK_LEVEL, "draw.min_critical", f"{d.min_critical} critical questions is more than count ({d.count})", _line_of(root, ("draw", "min_critical")))
    if header and not raw_questions and header.draw is None:
        problem(BANK_LEVEL, "questions", "a bank needs at least one question (or a draw)", _line_of(root, ("questions",)))

    questions: list[Question] = []
    headings: list[str] | None = None
    roles_by_section: dict[str, tuple[str, ...]] = {}
    lesson = data.get("lesson")
    if notebooks is None and roles_from is not None and isinstance(lesson, str) and lesson.strip():
        try:
            roles_by_section, _ = section_roles(Path(roles_from) / lesson.strip(), strict=False)
        except (OSError, ValueError, AttributeError):
            roles_by_section = {}  # no lesson here (a trainer's copy of the banks): every role
    if notebooks is not None and isinstance(lesson, str) and lesson.strip():
        notebook = Path(notebooks) / lesson.strip()
        if notebook.is_file():
            headings = lesson_headings(notebook)
            try:
                roles_by_section, found = section_roles(notebook)
                problems.extend(found)
            except (ValueError, AttributeError) as exc:
                problem(LESSON_LEVEL, "metadata", f"{_display(notebook)} cannot be read as a notebook ({exc})")
        else:
            problem(BANK_LEVEL, "lesson", f"notebook {lesson!r} not found in {_display(Path(notebooks))}", _line_of(root, ("lesson",)))

    seen_ids: dict[str, int] = {}
    for index, qdata in enumerate(raw_questions):
        label = _question_label(qdata, index)
        base = ("questions", index)
        if label in seen_ids:
            problem(label, "id", f"is used twice in this bank (also question {seen_ids[label] + 1})", _line_of(root, base + ("id",)))
        seen_ids.setdefault(label, index)
        rules_broken: list[tuple[tuple[Any, ...], str]] = []
        if isinstance(qdata, dict):
            rules_broken = _rule_problems(qdata)
            for loc, message in rules_broken:
                problem(label, _field_name(loc), message, _line_of(root, base + loc))
            section = qdata.get("section")
            if headings is not None and isinstance(section, str) and section.strip() and section.strip() not in headings:
                shown = "; ".join(repr(h) for h in headings) or "none"
                problem(label, "section", f"{section.strip()!r} is not a '##' heading of {lesson} (its headings: {shown})", _line_of(root, base + ("section",)))
        try:
            questions.append(_question_adapter().validate_python(qdata))
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(err["loc"])
                if err["type"] == _NUMERIC_KEY:
                    if rules_broken:
                        continue  # reported field by field by numeric_key_problems above
                    loc = ("answer",)
                if loc and loc[0] in QUESTION_TYPES:
                    loc = loc[1:]
                if not loc and err["type"].startswith("union_tag"):
                    loc = ("type",)
                problem(label, _field_name(loc), _message(err), _line_of(root, base + loc))

    problems.sort(key=lambda p: p.line or 0)
    if problems or header is None:
        return None, problems
    bank = Bank(
        quiz=header.quiz,
        title=header.title,
        lesson=header.lesson,
        mode=header.mode,
        pass_mark=header.pass_mark,
        questions=tuple(questions),
        draw=header.draw,
        path=path,
        version=hashlib.sha256(raw).hexdigest()[:16],
        section_roles=roles_by_section,
    )
    return bank, problems


def _question_label(qdata: Any, index: int) -> str:
    """The question's id when it is a valid one, else "question N" (a problem line stays
    ``file:line: id: field: message`` even when the id itself is the mistake, e.g. ``a: b``)."""
    if isinstance(qdata, dict) and isinstance(qdata.get("id"), (str, int)) and not isinstance(qdata.get("id"), bool):
        text = str(qdata["id"]).strip()
        if re.fullmatch(_IDENT_PATTERN, text):
            return text
    return f"question {index + 1}"


def load_bank(path: Path | str, *, notebooks: Path | None = None, roles_from: Path | None = None) -> Bank:
    """Load one bank file, or raise :class:`BankError` naming every problem."""
    bank, problems = check_bank(Path(path), notebooks=notebooks, roles_from=roles_from)
    if problems or bank is None:
        raise BankError(problems)
    return bank


@dataclass(frozen=True)
class Course:
    """Every bank of the course, by quiz id."""

    banks: dict[str, Bank]

    def bank(self, quiz: str) -> Bank:
        """The bank with this quiz id; KeyError with the known ids if there is none."""
        try:
            return self.banks[quiz]
        except KeyError:
            raise KeyError(f"no quiz {quiz!r}; the course has: {', '.join(sorted(self.banks))}") from None

    def question(self, question_id: str) -> tuple[Bank, Question]:
        """The bank and the question for a question id."""
        for bank in self.banks.values():
            for q in bank.questions:
                if q.id == question_id:
                    return bank, q
        raise KeyError(question_id)

    @property
    def version(self) -> str:
        """A hash of every bank's version: changes whenever any bank changes."""
        joined = ",".join(f"{k}={b.version}" for k, b in sorted(self.banks.items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


def bank_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their ``*.yaml`` / ``*.yml`` files, sorted; keep files as they are."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(x for x in p.iterdir() if x.suffix in (".yaml", ".yml") and x.is_file()))
        else:
            out.append(p)
    return out


def check_course(paths: Iterable[Path], *, notebooks: Path | None = None, roles_from: Path | None = None) -> tuple[dict[str, Bank], list[Problem]]:
    """Check several bank files together: each file, then ids shared across files and draws
    (the blueprint of an assessment, role by role: :func:`course.assessment.blueprint_problems`)."""
    banks: dict[str, Bank] = {}
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for path in bank_files(paths):
        bank, found = check_bank(path, notebooks=notebooks, roles_from=roles_from)
        problems.extend(found)
        if bank is None:
            continue
        name = _display(path)
        if bank.quiz in banks:
            problems.append(Problem(name, BANK_LEVEL, "quiz", f"quiz id {bank.quiz!r} is already used by {_display(banks[bank.quiz].path)}", _find_line(path, "quiz")))
            continue
        clash = False
        for q in bank.questions:
            if q.id in owner:
                problems.append(Problem(name, q.id, "id", f"is already used by a question in {owner[q.id]}; ids are unique across the course", _find_line(path, q.id)))
                clash = True
        if clash:
            continue
        for q in bank.questions:
            owner[q.id] = name
        banks[bank.quiz] = bank
    for bank in banks.values():
        if bank.draw:
            for source in bank.draw.banks:
                if source not in banks:
                    problems.append(Problem(_display(bank.path), BANK_LEVEL, "draw.banks", f"no quiz {source!r} to draw from (no bank has that quiz id, or its bank has errors of its own)", _find_line(bank.path, source)))
            if bank.draw and all(s in banks for s in bank.draw.banks):
                available = sum(1 for s in bank.draw.banks for q in banks[s].questions if q.gradable)
                if available < bank.draw.count:
                    problems.append(Problem(_display(bank.path), BANK_LEVEL, "draw.count", f"asks for {bank.draw.count} questions but the banks hold only {available} that can be graded", _find_line(bank.path, "count")))
                for source in bank.draw.banks:
                    gradable = sum(1 for q in banks[source].questions if q.gradable)
                    if gradable < bank.draw.min_per_bank:
                        problems.append(Problem(_display(bank.path), BANK_LEVEL, "draw.min_per_bank", f"asks for {bank.draw.min_per_bank} from {source!r}, which holds only {gradable} that can be graded", _find_line(bank.path, "min_per_bank")))
                critical = sum(1 for s in bank.draw.banks for q in banks[s].questions if q.gradable and q.critical)
                if critical < bank.draw.min_critical:
                    problems.append(Problem(_display(bank.path), BANK_LEVEL, "draw.min_critical", f"asks for {bank.draw.min_critical} critical questions but the banks hold only {critical} that can be graded", _find_line(bank.path, "min_critical")))
                if not any(p.file == _display(bank.path) for p in problems):
                    from course.assessment import blueprint_problems  # the draw's own rules, checked role by role

                    problems.extend(blueprint_problems(banks, bank))
    return banks, problems


# --- authors' warnings: not mistakes, but questions that teach less than they could ----------------

WARNING = "warning"
LONGEST_RIGHT_SHARE = 0.5
"""Warn when the right option is the longest in more than this share of a bank's single-choice questions."""
NEVER_LONGEST_MIN = 6
"""Warn when a bank has at least this many single-choice questions and the right option is never the
longest in any: by chance it would be in about one of every (number of options), and learners
learn to rule the longest out as surely as to pick it."""
ABSOLUTE_WORDS = ("always", "never", "all", "none", "every", "everyone", "only", "fully", "completely")
"""Words that give a true/false prompt away (such a statement is nearly always false)."""
_ABSOLUTE = re.compile(r"\b(" + "|".join(ABSOLUTE_WORDS) + r")\b", re.IGNORECASE)


def course_warnings(banks: Mapping[str, Bank]) -> list[Problem]:
    """What a course author should look at, though nothing is wrong (``course validate`` prints
    these as ``file:line: question-id: warning: ...`` and still succeeds):

    - the right option is the longest in more than :data:`LONGEST_RIGHT_SHARE` of a bank's
      single-choice questions (learners learn to pick the longest), or never the longest in a bank
      of :data:`NEVER_LONGEST_MIN` or more (learners learn to rule the longest out);
    - a true/false prompt uses an absolute word (:data:`ABSOLUTE_WORDS`);
    - the same ``fact`` is critical in more than one question (across banks): one fact drilled
      as pass-or-fail several times;
    - a critical question names no ``fact``.
    """
    out: list[Problem] = []
    critical_facts: dict[str, list[tuple[Bank, Question]]] = {}
    for bank in sorted(banks.values(), key=lambda b: b.lesson):
        name = _display(bank.path)
        lines = _question_lines(bank.path)
        singles = [q for q in bank.questions if isinstance(q, SingleChoice)]
        longest = [q for q in singles if _right_is_longest(q)]
        if len(singles) >= 2 and len(longest) > LONGEST_RIGHT_SHARE * len(singles):
            out.append(Problem(
                name, BANK_LEVEL, WARNING,
                f"the right option is the longest in {len(longest)} of {len(singles)} single-choice questions "
                f"({100 * len(longest) / len(singles):.0f}%, more than {100 * LONGEST_RIGHT_SHARE:.0f}%): learners can pick it by its length "
                f"({', '.join(q.id for q in longest)})",
                _find_line(bank.path, "questions:"),
            ))  # fmt: skip
        if len(singles) >= NEVER_LONGEST_MIN and not longest:
            by_chance = sum(1 / len(q.options) for q in singles)
            out.append(Problem(
                name, BANK_LEVEL, WARNING,
                f"the right option is never the longest in the {len(singles)} single-choice questions (by chance it would be in about "
                f"{by_chance:.0f}): learners can rule the longest option out; let the right one be the longest in some",
                _find_line(bank.path, "questions:"),
            ))  # fmt: skip
        for q in bank.questions:
            if isinstance(q, TrueFalse):
                words = sorted({m.group(1).lower() for m in _ABSOLUTE.finditer(q.prompt)})
                if words:
                    out.append(Problem(name, q.id, WARNING, f"the true/false prompt says {', '.join(repr(w) for w in words)}: an absolute word gives the answer away (such a statement is nearly always false)", lines.get(q.id)))
            if q.critical and q.fact is None:
                out.append(Problem(name, q.id, WARNING, "a critical question names no fact (fact: ...), so the course cannot check that each critical fact is asked once", lines.get(q.id)))
            if q.critical and q.fact is not None:
                critical_facts.setdefault(q.fact, []).append((bank, q))
    for fact, found in critical_facts.items():
        if len(found) < 2:
            continue
        for bank, q in found:
            others = ", ".join(f"{o.id} ({_display(b.path)})" for b, o in found if o.id != q.id)
            out.append(Problem(_display(bank.path), q.id, WARNING, f"fact {fact!r} is critical in {len(found)} questions (also {others}): a learner fails on the same fact more than once; keep one critical", _question_lines(bank.path).get(q.id)))
    return out


def _right_is_longest(q: SingleChoice) -> bool:
    right = [o for o in q.options if o.correct]
    wrong = [o for o in q.options if not o.correct]
    return bool(right and wrong) and len(right[0].text) > max(len(o.text) for o in wrong)


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


def load_course(directory: Path | None = None, *, notebooks: Path | None = None, roles_from: Path | None = None) -> Course:
    """Load every bank in ``directory`` (default: ``quizzes/``), or raise :class:`BankError`.

    The sections' roles are read from the lessons in ``notebooks`` (checked) or ``roles_from``
    (default: the course's notebooks folder, read leniently: a lesson not there is for every role).
    """
    directory = Path(directory) if directory is not None else config.quizzes_dir()
    if notebooks is None and roles_from is None:
        roles_from = config.notebooks_dir()
    banks, problems = check_course([directory], notebooks=notebooks, roles_from=roles_from)
    if problems:
        raise BankError(problems)
    return Course(banks)


_cache: dict[str, tuple[tuple[tuple[str, float], ...], Course]] = {}


def course_cached(directory: Path | None = None) -> Course:
    """:func:`load_course`, reloaded only when a bank file changed (for lesson kernels).

    Within a process, the course is kept while no bank file nor lesson changes its modification
    time. A new process (each lesson's kernel) reads it from :func:`_disk_cache` when the banks,
    the lessons and the code that loads them are byte for byte those it was saved from.
    """
    directory = Path(directory) if directory is not None else config.quizzes_dir()
    stamp = tuple((p.name, p.stat().st_mtime) for p in bank_files([directory])) + _lessons_stamp()
    key = str(directory.resolve())
    hit = _cache.get(key)
    if hit and hit[0] == stamp:
        return hit[1]
    loaded = _load_through_disk_cache(directory)
    _cache[key] = (stamp, loaded)
    return loaded


def _lessons_stamp() -> tuple[tuple[str, float], ...]:
    """The lesson notebooks' modification times (their metadata names the sections' roles)."""
    try:
        return tuple((p.name, p.stat().st_mtime) for p in sorted(config.notebooks_dir().glob("*.ipynb")))
    except OSError:
        return ()


# --- the loaded course kept on disk -------------------------------------------------------------
#
# Loading the banks (YAML, then every question validated by pydantic) took about 0.1-0.2 s of a
# lesson kernel's first question, in every kernel (issue 13). The course loaded once is kept in
# the data folder (``<data>/bank-cache/``) as a pickle, with what it was loaded from: the bytes of
# every bank file, of every lesson notebook (the sections' roles) and of the modules that decide
# what a bank means. It is used only when all of those are exactly as they were (hashes, not
# modification times), so an edit, a reverted file or a new course version is never served stale.
# Only a file this user owns and no one else can write is read (a pickle runs code when loaded);
# anything unexpected in it means loading the banks as usual. A failure to write it only costs the
# next kernel the load.

_DISK_FORMAT = "course.bank disk cache 2"
_CODE = ("bank.py", "assessment.py", "roles.py", "render.py")
"""The modules whose rules decide what a loaded course is, and how its texts are rendered (the
cache keeps the HTML of each prompt and explanation: course.render.course_texts): a change to one
invalidates the cache, as does another markdown-it."""


def _disk_cache_file(directory: Path) -> Path:
    where = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:24]
    return config.data_dir() / "bank-cache" / f"{where}.pickle"


def _sources_digest(directory: Path) -> str | None:
    """A hash of everything a loaded course depends on; None when a file cannot be read."""
    import pydantic

    digest = hashlib.sha256(f"{_DISK_FORMAT}\0{pydantic.VERSION}\0{directory}\0".encode())
    here = Path(__file__).parent
    try:
        for name in _CODE:
            digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
        digest.update(b"markdown-it\0" + _markdown_it_version())
        for path in bank_files([directory]):
            digest.update(b"bank\0" + path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        lessons = config.notebooks_dir()
        digest.update(b"lessons\0" + str(lessons).encode() + b"\0")
        if lessons.is_dir():
            for path in sorted(lessons.glob("*.ipynb")):
                digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()


def _markdown_it_version() -> bytes:
    """markdown-it's own version line (its package's __init__.py), found without importing it."""
    from importlib.util import find_spec

    spec = find_spec("markdown_it")
    return Path(spec.origin).read_bytes() if spec is not None and spec.origin else b"none"


def _rendered(course: Course) -> dict[str, str]:
    from course import render

    return render.course_texts(course.banks.values())


def _load_through_disk_cache(directory: Path) -> Course:
    """:func:`load_course`, from the disk cache when it holds this very course."""
    digest = _sources_digest(directory)
    if digest is None:
        return load_course(directory)
    path = _disk_cache_file(directory)
    cached = _read_disk_cache(path, digest)
    if cached is not None:
        return cached
    loaded = load_course(directory)
    _write_disk_cache(path, digest, loaded)
    return loaded


def _read_disk_cache(path: Path, digest: str) -> Course | None:
    import pickle

    try:
        with open(path, "rb") as file:
            info = os.fstat(file.fileno())
            if info.st_uid != os.getuid() or info.st_mode & 0o022:
                return None  # someone else could have written it
            if file.readline().rstrip(b"\n") != f"{_DISK_FORMAT} {digest}".encode():
                return None  # another course, or this one before an edit
            course, rendered = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a cache that cannot be read is only a slower load
        return None
    if not isinstance(course, Course) or not isinstance(rendered, dict):
        return None
    from course import render

    render.remember(rendered)
    return course


def _write_disk_cache(path: Path, digest: str, course: Course) -> None:
    import pickle

    from course.files import replace_file  # atomic; its temporary file, and so the cache, is mode 0600

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        replace_file(path, [f"{_DISK_FORMAT} {digest}\n".encode(), pickle.dumps((course, _rendered(course)), protocol=pickle.HIGHEST_PROTOCOL)])
    except Exception:  # noqa: BLE001 - the next kernel loads the banks itself
        return
