"""Grading: score a learner's response to a question. Pure functions: no I/O, no widgets.

Responses, by question type:

- ``single_choice``: the chosen option's id.
- ``multiple_choice``: a collection of option ids.
- ``true_false``: a bool.
- ``numeric``: a number, or the text a learner typed (``"6"``, ``" 6.0 "``, ``"1 970"``,
  ``"0,5"``, ``"40 min"`` when ``min`` is the question's unit or one of its aliases); text
  that reads two ways (``"1.970"``, ``"1,500"``) is asked again (see :func:`parse_number`).
- ``ordering``: the item ids in the learner's order.
- ``matching``: a mapping of pair id (left item) → the id of the chosen right item.
- ``free_text``: the text; it is kept for a trainer to score (``pending``), never scored 0.

Partial credit (all other types are all or nothing):

- ``multiple_choice``: (right options chosen − wrong options chosen) ÷ number of right options,
  floored at 0.
- ``ordering``: the share of item pairs that are in the right relative order.
- ``matching``: the share of pairs matched right.

A response that cannot be graded (an option that does not exist, text that is not a number,
an incomplete ordering) raises :class:`UngradableResponse`, whose message can be shown to the
learner as it is. It is never scored 0 silently.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from course.bank import (
    FreeText,
    Matching,
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    SingleChoice,
    TrueFalse,
)

_EPSILON = 1e-9


class UngradableResponse(ValueError):
    """The response cannot be graded; the message says what to do, in a learner's words."""


@dataclass(frozen=True)
class Grade:
    """The result of grading one response."""

    question_id: str
    score: float
    max_score: float
    correct: bool
    """True only when the response earned full marks."""
    feedback: tuple[str, ...] = ()
    """Feedback for what the learner chose (e.g. why a distractor is wrong)."""
    explanation: str = ""
    pending: bool = False
    """True for a free-text answer waiting for a trainer's score (score is 0 until then)."""
    critical: bool = False
    out_of_place: tuple[str, ...] = ()
    """Ordering: the items to move to reach the right order (the fewest); matching: the left
    items matched wrongly. Their texts, so the learner sees what to look at again."""

    @property
    def fraction(self) -> float:
        """Score as a share of the maximum, 0..1."""
        return self.score / self.max_score if self.max_score else 0.0


def grade(question: Question, response: Any) -> Grade:
    """Grade ``response`` to ``question``; raise :class:`UngradableResponse` if it cannot be graded."""
    if isinstance(question, SingleChoice):
        return _single_choice(question, response)
    if isinstance(question, MultipleChoice):
        return _multiple_choice(question, response)
    if isinstance(question, TrueFalse):
        return _true_false(question, response)
    if isinstance(question, Numeric):
        return _numeric(question, response)
    if isinstance(question, Ordering):
        return _ordering(question, response)
    if isinstance(question, Matching):
        return _matching(question, response)
    if isinstance(question, FreeText):
        return _free_text(question, response)
    raise TypeError(f"cannot grade a {type(question).__name__}")


def _result(q: Question, fraction: float, feedback: Iterable[str] = (), *, pending: bool = False, out_of_place: Iterable[str] = ()) -> Grade:
    fraction = min(1.0, max(0.0, fraction))
    correct = not pending and fraction >= 1.0 - _EPSILON
    return Grade(
        question_id=q.id,
        score=q.points * (1.0 if correct else fraction),
        max_score=q.points,
        correct=correct,
        feedback=tuple(f for f in feedback if f),
        explanation=q.explanation,
        pending=pending,
        critical=q.critical,
        out_of_place=tuple(out_of_place),
    )


# --- choices ----------------------------------------------------------------------------------


def _single_choice(q: SingleChoice, response: Any) -> Grade:
    if response is None or (isinstance(response, str) and not response.strip()):
        raise UngradableResponse("Please choose an answer before you submit.")
    if not isinstance(response, str):
        raise UngradableResponse("Please choose one answer.")
    options = {o.id: o for o in q.options}
    chosen = options.get(response.strip())
    if chosen is None:
        raise UngradableResponse("That answer is not one of the options; please choose again.")
    return _result(q, 1.0 if chosen.correct else 0.0, [chosen.feedback or ""])


def _multiple_choice(q: MultipleChoice, response: Any) -> Grade:
    if isinstance(response, str) or not isinstance(response, Collection):
        raise UngradableResponse("Please tick every answer that applies.")
    chosen = {str(r).strip() for r in response}
    if not chosen:
        raise UngradableResponse("Please tick at least one answer before you submit.")
    options = {o.id: o for o in q.options}
    unknown = chosen - options.keys()
    if unknown:
        raise UngradableResponse("One of the ticked answers is not an option; please choose again.")
    right = {o.id for o in q.options if o.correct}
    hits = len(chosen & right)
    wrong = len(chosen - right)
    feedback = [options[o.id].feedback or "" for o in q.options if o.id in chosen]
    return _result(q, (hits - wrong) / len(right), feedback)


def _true_false(q: TrueFalse, response: Any) -> Grade:
    if isinstance(response, str) and response.strip().lower() in ("true", "false"):
        response = response.strip().lower() == "true"
    if not isinstance(response, bool):
        raise UngradableResponse("Please choose True or False before you submit.")
    right = response == q.answer
    return _result(q, 1.0 if right else 0.0, [] if right else [q.feedback or ""])


# --- numbers ----------------------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*(?P<number>[-+−]?(?:\d[\d,.\s]*\d|\d)(?:[eE][-+]?\d+)?)\s*(?P<unit>[^\d\s].*?)?\s*$")
_THOUSANDS_SPACE = re.compile(r"^\d{1,3}(?:\s\d{3})+(?:[.,]\d+)?$")
_EXPONENT = re.compile(r"[eE][-+]?\d+$")
_LONGEST = 64
"""Longer input is not a number anyone types (and is never echoed back whole)."""
_ECHO = 20
"""At most this many characters of what the learner typed are quoted back in a message."""


def _echo(text: str) -> str:
    """A short, one-line prefix of the learner's text, to quote back."""
    line = " ".join(text.split())
    return line if len(line) <= _ECHO else line[: _ECHO - 1].rstrip() + "…"


def _groups(digits: str, separator: str) -> bool:
    """True when ``digits`` is grouped by ``separator`` in threes: 1,234,567."""
    return re.fullmatch(rf"\d{{1,3}}(?:{re.escape(separator)}\d{{3}})+", digits) is not None


def _plain_number(mantissa: str, typed: str, sign: str = "") -> str:
    """The number's digits with a '.' for the decimal separator, thousands separators removed.

    Unambiguous forms: ``1970``, ``1 970``, ``1,234,567``, ``1.234.567``, ``1,234.5``,
    ``1.234,5``, ``0,5``, ``12.75``. One separator followed by exactly three digits after one to
    three digits (``1.970``, ``1,500``) is a decimal point in some countries and a thousands
    separator in others: the learner is asked again instead of being graded on a guess, and
    the question never depends on the key (an answer key must not show through a message).
    """
    if any(ch.isspace() for ch in mantissa):
        if not _THOUSANDS_SPACE.match(mantissa):
            raise UngradableResponse(f"“{_echo(typed)}” is not a number I can read. Please type digits, for example 40.")
        return re.sub(r"\s", "", mantissa).replace(",", ".")
    commas, dots = mantissa.count(","), mantissa.count(".")
    if not commas and not dots:
        return mantissa
    if commas and dots:
        decimal = "," if mantissa.rfind(",") > mantissa.rfind(".") else "."
        grouping = "." if decimal == "," else ","
        whole, _, fraction = mantissa.rpartition(decimal)
        if mantissa.count(decimal) != 1 or not _groups(whole, grouping):
            raise UngradableResponse(f"“{_echo(typed)}” is not a number I can read. Please type digits, for example 40.")
        return whole.replace(grouping, "") + "." + fraction
    separator = "," if commas else "."
    if commas + dots > 1:
        if not _groups(mantissa, separator):
            raise UngradableResponse(f"“{_echo(typed)}” is not a number I can read. Please type digits, for example 40.")
        return mantissa.replace(separator, "")
    whole, fraction = mantissa.split(separator)
    if len(fraction) == 3 and len(whole) <= 3 and not whole.startswith("0"):
        shown = "-" if sign == "-" else ""
        as_thousands, as_decimal = shown + whole + fraction, shown + f"{whole}.{fraction}".rstrip("0").rstrip(".")
        raise UngradableResponse(
            f"“{_echo(typed)}” can be read as {as_thousands} or as {as_decimal}. "
            f"Please type it again without a thousands separator: {as_thousands} or {as_decimal}."
        )
    return f"{whole}.{fraction}"


def parse_number(text: str, *, units: Collection[str] = ()) -> float:
    """Read the number a learner typed; raise :class:`UngradableResponse` if it is not one.

    Accepts ``"6"``, ``" 6.0 "``, ``"-2"``, thousands separators that cannot be a decimal point
    (``"1 970"``, ``"1,234,567"``, ``"1.234,5"``, ``"1,234.5"``), a decimal comma (``"0,5"``,
    ``"12,75"``) and a trailing unit when it is one of ``units`` (compared without case;
    ``"%"`` works as a unit). A number that reads two ways (``"1.970"``, ``"1,500"``: one
    separator, then three digits) is not guessed: the learner is asked which they meant.
    A message quotes at most a short prefix of what was typed.
    """
    if not text.strip():
        raise UngradableResponse("Please type a number before you submit.")
    if len(text.strip()) > _LONGEST:
        raise UngradableResponse("That is too long for a number. Please type just the number, for example 40.")
    match = _NUMBER.match(text.replace("\u00a0", " "))
    if not match:
        raise UngradableResponse(f"“{_echo(text)}” is not a number. Please type digits, for example 40.")
    number = match.group("number").replace("−", "-").strip()
    unit = (match.group("unit") or "").strip()
    if unit:
        allowed = {u.casefold() for u in units}
        if unit.casefold().rstrip(".") not in allowed and unit.casefold() not in allowed:
            if allowed:
                expected = next(iter(units))
                raise UngradableResponse(f"Please give the answer in {expected} (you wrote “{_echo(unit)}”).")
            raise UngradableResponse(f"Please type just the number, without “{_echo(unit)}”.")
    sign = number[0] if number[0] in "+-" else ""
    body = number[len(sign):]
    exponent = _EXPONENT.search(body)
    if exponent:  # scientific notation: its separator is a decimal point
        mantissa = body[: exponent.start()]
        if mantissa.count(",") + mantissa.count(".") > 1 or any(ch.isspace() for ch in mantissa):
            raise UngradableResponse(f"“{_echo(text)}” is not a number I can read. Please type digits, for example 40.")
        plain = mantissa.replace(",", ".") + exponent.group()
    else:
        plain = _plain_number(body, text, sign)
    try:
        value = float(sign + plain)
    except ValueError:
        raise UngradableResponse(f"“{_echo(text)}” is not a number I can read. Please type digits, for example 40.") from None
    if not math.isfinite(value):
        raise UngradableResponse("Please type an ordinary number.")
    return value


def _numeric(q: Numeric, response: Any) -> Grade:
    if isinstance(response, bool):
        raise UngradableResponse("Please type a number.")
    if isinstance(response, (int, float)):
        value = float(response)
        if not math.isfinite(value):
            raise UngradableResponse("Please type an ordinary number.")
    elif isinstance(response, str):
        units = [q.unit, *q.unit_aliases] if q.unit else []
        value = parse_number(response, units=units)
    else:
        raise UngradableResponse("Please type a number.")
    if q.answer is not None:
        right = abs(value - q.answer) <= q.tolerance + _EPSILON * max(1.0, abs(q.answer))
    else:
        assert q.min is not None and q.max is not None
        right = q.min - _EPSILON <= value <= q.max + _EPSILON
    return _result(q, 1.0 if right else 0.0)


# --- ordering and matching --------------------------------------------------------------------


def _ordering(q: Ordering, response: Any) -> Grade:
    if isinstance(response, (str, bytes)) or not isinstance(response, Sequence):
        raise UngradableResponse("Please put the items in order before you submit.")
    given = [str(r) for r in response]
    expected = [i.id for i in q.items]
    if sorted(given) != sorted(expected):
        raise UngradableResponse("Please place every item exactly once before you submit.")
    position = {item: n for n, item in enumerate(given)}
    pairs = list(combinations(expected, 2))
    in_order = sum(1 for a, b in pairs if position[a] < position[b])
    keep = _longest_in_order(given, {item: n for n, item in enumerate(expected)})
    texts = {i.id: i.text for i in q.items}
    return _result(q, in_order / len(pairs), out_of_place=[texts[i] for i in given if i not in keep])


def _longest_in_order(given: Sequence[str], rank: Mapping[str, int]) -> set[str]:
    """The largest set of items of ``given`` already in the right relative order (the others
    are the fewest to move): a longest increasing subsequence of their right positions."""
    ranks = [rank[item] for item in given]
    best: list[list[int]] = []  # best[k]: indexes of an increasing run of length k + 1 ending lowest
    tails: list[int] = []
    for index, r in enumerate(ranks):
        length = bisect_left(tails, r)
        run = (best[length - 1] if length else []) + [index]
        if length == len(tails):
            tails.append(r)
            best.append(run)
        else:
            tails[length] = r
            best[length] = run
    return {given[i] for i in (best[-1] if best else [])}


def _matching(q: Matching, response: Any) -> Grade:
    if not isinstance(response, Mapping):
        raise UngradableResponse("Please choose a match for every item before you submit.")
    answers = {str(k): (None if v is None else str(v)) for k, v in response.items()}
    lefts = [p.id for p in q.pairs]
    if set(answers) - set(lefts):
        raise UngradableResponse("One of the matches is for an item that is not in the question.")
    if any(answers.get(left) in (None, "") for left in lefts):
        raise UngradableResponse("Please choose a match for every item before you submit.")
    rights = {r.id for r in q.right_items()}
    if any(answers[left] not in rights for left in lefts):
        raise UngradableResponse("One of the matches is not among the choices; please choose again.")
    hits = sum(1 for left in lefts if answers[left] == left)
    return _result(q, hits / len(lefts), out_of_place=[p.left for p in q.pairs if answers[p.id] != p.id])


def _free_text(q: FreeText, response: Any) -> Grade:
    if not isinstance(response, str) or not response.strip():
        raise UngradableResponse("Please write your answer before you submit.")
    if q.max_length is not None and len(response) > q.max_length:
        raise UngradableResponse(f"Please keep your answer under {q.max_length} characters (it has {len(response)}).")
    return _result(q, 0.0, pending=True)


# --- a whole quiz -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizScore:
    """A quiz's result: totals, percent, and whether it is passed."""

    total: float
    maximum: float
    percent: float
    passed: bool
    pass_mark: float | None
    critical_missed: tuple[str, ...] = ()
    unanswered: tuple[str, ...] = ()
    pending: tuple[str, ...] = field(default=())
    """Free-text questions waiting for a trainer: left out of total and maximum until scored."""


def score_quiz(questions: Iterable[Question], grades: Mapping[str, Grade], pass_mark: float | None = None) -> QuizScore:
    """Add up ``grades`` (by question id) over ``questions``.

    An unanswered question scores 0 of its points. A pending free-text answer counts in neither
    total nor maximum until a trainer scores it. ``passed`` is true when the percent reaches
    ``pass_mark`` (when one is given), every critical question is fully correct, and no answer
    waits for a trainer (a result is not final until then).
    """
    total = maximum = 0.0
    missed: list[str] = []
    unanswered: list[str] = []
    pending: list[str] = []
    for q in questions:
        g = grades.get(q.id)
        if g is None:
            unanswered.append(q.id)
            maximum += q.points
            if q.critical:
                missed.append(q.id)
            continue
        if g.pending:
            pending.append(q.id)
            continue
        total += g.score
        maximum += g.max_score
        if q.critical and not g.correct:
            missed.append(q.id)
    percent = 100.0 * total / maximum if maximum else 0.0
    reached = pass_mark is None or percent + _EPSILON >= pass_mark
    return QuizScore(
        total=total,
        maximum=maximum,
        percent=percent,
        passed=reached and not missed and not pending and maximum > 0,
        pass_mark=pass_mark,
        critical_missed=tuple(missed),
        unanswered=tuple(unanswered),
        pending=tuple(pending),
    )
