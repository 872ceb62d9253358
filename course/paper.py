"""A learner's paper: each question as a learner's page shows it, and nothing that gives the answer away.

A page (the quiz widgets) never holds a bank. A :class:`PaperQuestion` has the prompt and the
choices, but no option marked right, no explanation and no feedback (those come back with a
grade), the items of an ordering never in their right order, and the two sides of a matching
not paired. Its choices carry opaque ids — ``"1"``, ``"2"``, … in the order shown — so a bank's
own ids (often words such as ``protocol``) tell nothing either.

The order shown is a shuffle seeded by the question, the learner and a secret of the course
service (none in single-user mode, where the learner has the banks anyway): the same learner
sees the same order every time, and without the secret the order says nothing about the bank's
(an ordering's bank order *is* its key). :meth:`Paper.to_bank` turns a response given on the
paper into the bank's ids before grading; :meth:`Paper.from_bank` turns a stored response into the
paper's, to show an earlier answer again.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from course.bank import FreeText, Matching, MultipleChoice, Numeric, Ordering, Question, SingleChoice, TrueFalse
from course.grading import UngradableResponse


@dataclass(frozen=True)
class Choice:
    """Something to choose, order or match: an opaque id (its position as shown) and its text."""

    id: str
    text: str


@dataclass(frozen=True)
class PaperQuestion:
    """One question as the learner's page shows it (no key)."""

    id: str
    type: str
    quiz: str
    number: int
    """Its position among the questions of its lesson (or of a sitting), from 1."""
    count: int
    """How many questions the lesson (or the sitting) has."""
    prompt: str
    """Markdown."""
    section: str
    points: float = 1.0
    critical: bool = False
    options: tuple[Choice, ...] = ()
    """Single and multiple choice."""
    items: tuple[Choice, ...] = ()
    """Ordering: the items, in the order first shown (never the right one)."""
    lefts: tuple[Choice, ...] = ()
    """Matching: the items to match."""
    rights: tuple[Choice, ...] = ()
    """Matching: what they can be matched with (including distractors)."""
    unit: str | None = None
    units: tuple[str, ...] = field(default=())
    """Numeric: the units a typed answer may carry (the unit and its aliases)."""
    max_length: int | None = None
    """Free text: the longest answer accepted, if any."""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (what the course service sends to a page)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PaperQuestion:
        """The question back from :meth:`to_json`'s data; ValueError if it is not one."""
        try:
            choices = {name: tuple(Choice(str(c["id"]), str(c["text"])) for c in data.get(name) or ()) for name in ("options", "items", "lefts", "rights")}
            return cls(
                id=str(data["id"]), type=str(data["type"]), quiz=str(data["quiz"]), number=int(data["number"]), count=int(data["count"]),
                prompt=str(data["prompt"]), section=str(data["section"]), points=float(data.get("points", 1.0)), critical=bool(data.get("critical", False)),
                unit=data.get("unit"), units=tuple(str(u) for u in data.get("units") or ()), max_length=data.get("max_length"), **choices,
            )  # fmt: skip
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a paper question: {error}") from error


class Paper:
    """Makes paper questions for a learner, and translates responses between the paper and the bank."""

    def __init__(self, secret: bytes = b"") -> None:
        self.secret = secret

    # --- what the page shows -------------------------------------------------------------------

    def question(self, q: Question, learner: str, *, quiz: str, number: int, count: int) -> PaperQuestion:
        """``q`` as ``learner`` sees it, the ``number``-th of ``count`` questions."""
        common = dict(id=q.id, type=q.type, quiz=quiz, number=number, count=count, prompt=q.prompt, section=q.section, points=q.points, critical=q.critical)
        if isinstance(q, (SingleChoice, MultipleChoice)):
            return PaperQuestion(**common, options=self._shown(q, learner, [(o.id, o.text) for o in q.options]))
        if isinstance(q, Ordering):
            return PaperQuestion(**common, items=self._shown(q, learner, [(i.id, i.text) for i in q.items], never_as_given=True))
        if isinstance(q, Matching):
            lefts = tuple(Choice(str(n), p.left) for n, p in enumerate(q.pairs, 1))
            return PaperQuestion(**common, lefts=lefts, rights=self._shown(q, learner, [(r.id, r.text) for r in q.right_items()]))
        if isinstance(q, Numeric):
            return PaperQuestion(**common, unit=q.unit, units=tuple([q.unit, *q.unit_aliases]) if q.unit else ())
        if isinstance(q, FreeText):
            return PaperQuestion(**common, max_length=q.max_length)
        assert isinstance(q, TrueFalse)
        return PaperQuestion(**common)

    # --- responses -----------------------------------------------------------------------------

    def to_bank(self, q: Question, learner: str, response: Any) -> Any:
        """A response given on the paper, in the bank's ids (ready for :func:`course.grading.grade`).

        Raises :class:`UngradableResponse` for a choice that is not on the paper. An empty
        response goes through as it is, for grading to say what is missing.
        """
        if isinstance(q, SingleChoice):
            if response is None or (isinstance(response, str) and not response.strip()):
                return response
            return self._bank_id(q, learner, response, [o.id for o in q.options])
        if isinstance(q, MultipleChoice):
            if isinstance(response, (str, bytes)) or not isinstance(response, (list, tuple, set, frozenset)):
                return response
            return [self._bank_id(q, learner, r, [o.id for o in q.options]) for r in response]
        if isinstance(q, Ordering):
            if isinstance(response, (str, bytes)) or not isinstance(response, (list, tuple)):
                return response
            return [self._bank_id(q, learner, r, [i.id for i in q.items], never_as_given=True) for r in response]
        if isinstance(q, Matching):
            if not isinstance(response, Mapping):
                return response
            lefts = {str(n): p.id for n, p in enumerate(q.pairs, 1)}
            rights = [r.id for r in q.right_items()]
            out: dict[str, Any] = {}
            for left, right in response.items():
                if str(left) not in lefts:
                    raise UngradableResponse("One of the matches is for an item that is not in the question.")
                out[lefts[str(left)]] = None if right in (None, "") else self._bank_id(q, learner, right, rights)
            return out
        return response

    def from_bank(self, q: Question, learner: str, response: Any) -> Any:
        """A stored response (bank ids) as the paper shows it; choices no longer in the bank are left out."""
        if isinstance(q, (SingleChoice, MultipleChoice)):
            shown = self._positions(q, learner, [o.id for o in q.options])
            if isinstance(q, SingleChoice):
                return shown.get(response) if isinstance(response, str) else None
            return [shown[r] for r in response if r in shown] if isinstance(response, list) else None
        if isinstance(q, Ordering):
            shown = self._positions(q, learner, [i.id for i in q.items], never_as_given=True)
            if not isinstance(response, list) or sorted(map(str, response)) != sorted(shown):
                return None
            return [shown[r] for r in response]
        if isinstance(q, Matching):
            if not isinstance(response, Mapping):
                return None
            shown = self._positions(q, learner, [r.id for r in q.right_items()])
            lefts = {p.id: str(n) for n, p in enumerate(q.pairs, 1)}
            return {lefts[k]: shown.get(v) for k, v in response.items() if k in lefts}
        return response

    # --- inside --------------------------------------------------------------------------------

    def _order(self, q: Question, learner: str, count: int, *, never_as_given: bool = False) -> list[int]:
        """The shuffled positions 0..count-1 for this question and learner (the same every time)."""
        digest = hashlib.sha256(b"\0".join([self.secret, q.id.encode(), learner.encode()])).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        order = list(range(count))
        rng.shuffle(order)
        while never_as_given and count > 1 and order == sorted(order):
            rng.shuffle(order)
        return order

    def _shown(self, q: Question, learner: str, choices: Sequence[tuple[str, str]], *, never_as_given: bool = False) -> tuple[Choice, ...]:
        order = self._order(q, learner, len(choices), never_as_given=never_as_given)
        return tuple(Choice(str(n), choices[i][1]) for n, i in enumerate(order, 1))

    def _positions(self, q: Question, learner: str, ids: Sequence[str], *, never_as_given: bool = False) -> dict[str, str]:
        """Bank id → the paper's id."""
        order = self._order(q, learner, len(ids), never_as_given=never_as_given)
        return {ids[i]: str(n) for n, i in enumerate(order, 1)}

    def _bank_id(self, q: Question, learner: str, paper_id: Any, ids: Sequence[str], *, never_as_given: bool = False) -> str:
        order = self._order(q, learner, len(ids), never_as_given=never_as_given)
        try:
            position = int(str(paper_id).strip())
        except ValueError:
            position = 0
        if not 1 <= position <= len(order):
            raise UngradableResponse("That answer is not one of the choices; please choose again.")
        return ids[order[position - 1]]
