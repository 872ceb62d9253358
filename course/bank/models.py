"""The question bank as typed models: the pydantic classes of a bank's header, its questions (a
discriminated union on ``type``: :data:`Question`, :data:`QUESTION_TYPES`) and an assessment's
draw (:class:`Draw`, :class:`Blueprint`), and :class:`Bank`, a loaded bank file."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping, Union

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, TypeAdapter, model_validator
from pydantic_core import PydanticCustomError

from course.bank.problems import _field_name
from course.bank.rules import _NUMERIC_KEY, numeric_key_problems
from course.roles import ROLES


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
