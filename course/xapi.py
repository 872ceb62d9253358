"""The stored answers as xAPI 1.0.3 statements, for a clinic's Learning Record Store (LRS).

- One ``answered`` statement per stored attempt: the question is a ``cmi.interaction`` activity
  (``{homepage}/quiz/{quiz}/question/{id}``) with the learner's response in the xAPI response
  format of its interaction type, and a score (left out while a free-text answer waits for a
  trainer).
- One ``passed`` or ``failed`` statement per assessment sitting (submission), scored by the same
  rule as the progress view (:mod:`course.progress`), timestamped when the sitting was submitted.
- One ``completed`` statement per practice lesson whose questions have all been answered,
  timestamped at the answer that completed it.

Statement ids are UUIDs derived (uuid5) from the homepage and the attempt key, the submission id,
or the learner and quiz, so exporting again gives the same ids and an LRS keeps each statement
once. What an LRS compares for "same statement" leaves out activity definitions, the verb's
display and the timestamp, so an edited question text does not make a re-export conflict;
changing a bank's pass mark does change a sitting's verb, and an LRS answers such a re-sent
statement with 409 Conflict (statements are immutable: void and re-issue if that is intended).

The learner is an Agent with an ``account`` (homePage: the course homepage, name: the learner's
name), the only inverse functional identifier the store can give. No external libraries: this
module can run wherever the store runs.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from course.bank import Bank, Course, Matching, MultipleChoice, Numeric, Ordering, Question, SingleChoice, TrueFalse
from course.certificate import COURSE_TITLE
from course.files import replace_file
from course.grading import UngradableResponse, parse_number
from course.progress import FinalResult, _score_sitting
from course.records import Attempt, submissions_of
from course.store import ResultsStore

__all__ = [
    "DEFAULT_HOMEPAGE",
    "VERBS",
    "INTERACTION_TYPES",
    "from_attempts",
    "statements",
    "response_string",
    "write",
]

DEFAULT_HOMEPAGE = "https://clinic.example/course"
LANGUAGE = "en-US"
PLATFORM = "Jupyter"

_ADL_VERB = "http://adlnet.gov/expapi/verbs/"
VERBS: dict[str, str] = {name: _ADL_VERB + name for name in ("answered", "passed", "failed", "completed")}
"""The ADL verb ids used, by display name."""

_ADL_ACTIVITY = "http://adlnet.gov/expapi/activities/"
INTERACTION = _ADL_ACTIVITY + "cmi.interaction"
ASSESSMENT = _ADL_ACTIVITY + "assessment"
LESSON = _ADL_ACTIVITY + "lesson"
COURSE = _ADL_ACTIVITY + "course"

INTERACTION_TYPES: dict[str, str] = {
    "single_choice": "choice",
    "multiple_choice": "choice",
    "true_false": "true-false",
    "numeric": "numeric",
    "ordering": "sequencing",
    "matching": "matching",
    "free_text": "long-fill-in",
}
"""The course's question types and the xAPI interactionType each is exported as."""

_NAME_LENGTH = 80


# --- public API -------------------------------------------------------------------------------


def statements(store: ResultsStore, course: Course, *, homepage: str = DEFAULT_HOMEPAGE, since: datetime | None = None) -> list[dict[str, Any]]:
    """Every stored attempt of every learner as xAPI statements, oldest first (see :func:`from_attempts`)."""
    return from_attempts(store.attempts(), course, homepage=homepage, since=since)


def from_attempts(attempts: Iterable[Attempt], course: Course, *, homepage: str = DEFAULT_HOMEPAGE, since: datetime | None = None) -> list[dict[str, Any]]:
    """The statements for ``attempts`` (any learners, any order), oldest first. Pure: no I/O.

    Sittings and completions are worked out from all the attempts given, so pass every attempt
    of a learner's quiz; ``since`` (timezone-aware) then keeps only the statements whose
    timestamp is at or after it. Raises ValueError for a homepage that is not an absolute
    http(s) IRL or a naive ``since``.
    """
    home = _homepage(homepage)
    if since is not None and since.tzinfo is None:
        raise ValueError(f"since must be timezone-aware, not {since!r}")
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, home)
    ordered = sorted(attempts, key=lambda a: a.answered_at)
    by_quiz: dict[tuple[str, str], list[Attempt]] = defaultdict(list)
    for a in ordered:
        by_quiz[(a.learner, a.quiz)].append(a)

    # What follows an attempt: the sitting it closes, the lesson it completes (all stamped at its time).
    after: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (_learner, quiz), quiz_attempts in by_quiz.items():
        bank = course.banks.get(quiz)
        if bank is None:
            continue  # a bank no longer in the course: its answers are exported, its verdicts cannot be
        if bank.mode == "assessment":
            for number, submission in enumerate(submissions_of(quiz_attempts), 1):
                result = _score_sitting(course, bank, quiz_attempts, submission, number)
                closing = [a for a in quiz_attempts if a.submission == submission][-1]
                after[closing.key].append(_sitting_statement(result, bank, home, namespace))
        else:
            closing = _completing_attempt(bank, quiz_attempts)
            if closing is not None:
                after[closing.key].append(_completed_statement(closing, bank, home, namespace))

    out: list[dict[str, Any]] = []
    for a in ordered:
        if since is not None and a.answered_at < since:
            continue
        out.append(_answered_statement(a, course, home, namespace))
        out.extend(after.get(a.key, ()))
    return out


def write(statements: list[dict[str, Any]], path: Path | str) -> Path:
    """Write the statements as one JSON array (UTF-8), replacing ``path`` atomically; return the path."""
    path = Path(path)
    text = json.dumps(statements, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    return replace_file(path, text.encode("utf-8"))


def response_string(question_type: str, response: Any, question: Question | None = None) -> str:
    """A stored response in the xAPI response format of its interaction type.

    choice: ids joined by ``[,]``; true-false: ``true``/``false``; numeric: the number as text
    (read as the grader reads typed text, units dropped); sequencing: ids in the learner's order
    joined by ``[,]``; matching: ``source[.]target`` pairs joined by ``[,]``; long-fill-in: the text.
    """
    if question_type in ("single_choice", "multiple_choice", "ordering"):
        if isinstance(response, str):
            return response.strip()
        return "[,]".join(str(r).strip() for r in _items(response))
    if question_type == "true_false":
        if isinstance(response, str):
            return "true" if response.strip().lower() == "true" else "false"
        return "true" if response is True else "false"
    if question_type == "numeric":
        return _numeric_response(response, question)
    if question_type == "matching":
        if not isinstance(response, Mapping):
            return str(response)
        order = [p.id for p in question.pairs] if isinstance(question, Matching) else []
        keys = [k for k in order if k in response] + sorted(k for k in response if k not in order)
        return "[,]".join(f"{k}[.]{response[k]}" for k in keys if response[k] not in (None, ""))
    return response if isinstance(response, str) else json.dumps(response, ensure_ascii=False)


# --- statements -------------------------------------------------------------------------------


def _answered_statement(a: Attempt, course: Course, home: str, namespace: uuid.UUID) -> dict[str, Any]:
    bank = course.banks.get(a.quiz)
    try:
        question: Question | None = course.question(a.question)[1]
    except KeyError:
        question = None
    if question is not None and question.type != a.question_type:
        question = None  # the bank changed the question's type since: describe what was answered
    result: dict[str, Any] = {}
    if a.score is not None:
        result["score"] = _score(a.score, a.max_score)
        if a.correct is not None:
            result["success"] = a.correct
    result["completion"] = True
    result["response"] = response_string(a.question_type, a.response, question)
    context: dict[str, Any] = {}
    if a.submission:
        context["registration"] = _registration(a.submission, namespace)
    context["revision"] = a.bank_version
    context["platform"] = PLATFORM
    context["language"] = LANGUAGE
    context["contextActivities"] = {
        "parent": [_quiz_activity(a.quiz, bank, home, a.mode)],
        "grouping": [_course_activity(home)],
    }
    return {
        "id": str(uuid.uuid5(namespace, f"answered\0{a.key}")),
        "actor": _actor(a.learner, home),
        "verb": _verb("answered"),
        "object": _question_activity(a, question, home),
        "result": result,
        "context": context,
        "timestamp": _timestamp(a.answered_at),
    }


def _sitting_statement(r: FinalResult, bank: Bank, home: str, namespace: uuid.UUID) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if r.maximum > 0:
        result["score"] = _score(r.total, r.maximum)
    result["success"] = r.passed
    result["completion"] = True
    result["extensions"] = {
        f"{home}/xapi/extensions/pass-mark": r.pass_mark,
        f"{home}/xapi/extensions/critical-missed": list(r.critical_missed),
        f"{home}/xapi/extensions/sitting": r.sitting,
    }
    return {
        "id": str(uuid.uuid5(namespace, f"sitting\0{r.learner}\0{r.quiz}\0{r.submission}")),
        "actor": _actor(r.learner, home),
        "verb": _verb("passed" if r.passed else "failed"),
        "object": _quiz_activity(bank.quiz, bank, home, bank.mode),
        "result": result,
        "context": {
            "registration": _registration(r.submission, namespace),
            "platform": PLATFORM,
            "language": LANGUAGE,
            "contextActivities": {"grouping": [_course_activity(home)]},
        },
        "timestamp": _timestamp(r.date),
    }


def _completed_statement(a: Attempt, bank: Bank, home: str, namespace: uuid.UUID) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(namespace, f"completed\0{a.learner}\0{bank.quiz}")),
        "actor": _actor(a.learner, home),
        "verb": _verb("completed"),
        "object": _quiz_activity(bank.quiz, bank, home, bank.mode),
        "result": {"completion": True},
        "context": {
            "platform": PLATFORM,
            "language": LANGUAGE,
            "contextActivities": {"grouping": [_course_activity(home)]},
        },
        "timestamp": _timestamp(a.answered_at),
    }


def _completing_attempt(bank: Bank, attempts: list[Attempt]) -> Attempt | None:
    """The answer after which every question of the bank had been answered (as the progress view counts 'done')."""
    ids = {q.id for q in bank.questions}
    if not ids:
        return None
    answered: set[str] = set()
    for a in attempts:
        if a.question in ids:
            answered.add(a.question)
            if answered == ids:
                return a
    return None


# --- parts ------------------------------------------------------------------------------------


def _homepage(homepage: str) -> str:
    home = homepage.strip().rstrip("/")
    parts = urlsplit(home)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in home):
        raise ValueError(f"the homepage must be an absolute http(s) address, not {homepage!r}")
    return home


def _verb(name: str) -> dict[str, Any]:
    return {"id": VERBS[name], "display": {LANGUAGE: name}}


def _actor(learner: str, home: str) -> dict[str, Any]:
    return {"objectType": "Agent", "name": learner, "account": {"homePage": home, "name": learner}}


def _segment(text: str) -> str:
    return quote(text, safe="")


def _quiz_iri(quiz: str, home: str) -> str:
    return f"{home}/quiz/{_segment(quiz)}"


def _quiz_activity(quiz: str, bank: Bank | None, home: str, mode: str) -> dict[str, Any]:
    kind = ASSESSMENT if (bank.mode if bank else mode) == "assessment" else LESSON
    return {
        "objectType": "Activity",
        "id": _quiz_iri(quiz, home),
        "definition": {"name": {LANGUAGE: bank.title if bank else quiz}, "type": kind},
    }


def _course_activity(home: str) -> dict[str, Any]:
    return {"objectType": "Activity", "id": home, "definition": {"name": {LANGUAGE: COURSE_TITLE}, "type": COURSE}}


def _question_activity(a: Attempt, question: Question | None, home: str) -> dict[str, Any]:
    definition: dict[str, Any] = {"name": {LANGUAGE: a.question}}
    if question is not None:
        prompt = " ".join(question.prompt.split())
        definition = {"name": {LANGUAGE: _excerpt(prompt)}, "description": {LANGUAGE: prompt}}
    definition["type"] = INTERACTION
    definition["interactionType"] = INTERACTION_TYPES.get(a.question_type, "other")
    if question is not None:
        definition.update(_interaction_parts(question))
    return {
        "objectType": "Activity",
        "id": f"{_quiz_iri(a.quiz, home)}/question/{_segment(a.question)}",
        "definition": definition,
    }


def _interaction_parts(q: Question) -> dict[str, Any]:
    """correctResponsesPattern and the component lists (choices, source, target) of a question."""

    def component(cid: str, text: str) -> dict[str, Any]:
        return {"id": cid, "description": {LANGUAGE: " ".join(text.split())}}

    if isinstance(q, (SingleChoice, MultipleChoice)):
        return {
            "correctResponsesPattern": ["[,]".join(o.id for o in q.options if o.correct)],
            "choices": [component(o.id, o.text) for o in q.options],
        }
    if isinstance(q, TrueFalse):
        return {"correctResponsesPattern": ["true" if q.answer else "false"]}
    if isinstance(q, Numeric):
        if q.answer is not None:
            if q.tolerance:
                pattern = f"{_number(q.answer - q.tolerance)}[:]{_number(q.answer + q.tolerance)}"
            else:
                pattern = _number(q.answer)
        else:
            pattern = f"{_number(q.min)}[:]{_number(q.max)}"
        return {"correctResponsesPattern": [pattern]}
    if isinstance(q, Ordering):
        return {
            "correctResponsesPattern": ["[,]".join(i.id for i in q.items)],
            "choices": [component(i.id, i.text) for i in q.items],
        }
    if isinstance(q, Matching):
        return {
            "correctResponsesPattern": ["[,]".join(f"{p.id}[.]{p.id}" for p in q.pairs)],
            "source": [component(p.id, p.left) for p in q.pairs],
            "target": [component(i.id, i.text) for i in q.right_items()],
        }
    return {}  # free text: any answer may be right, so no pattern (xAPI: omit it)


def _score(raw: float, maximum: float) -> dict[str, float]:
    maximum = float(maximum)
    raw = min(max(float(raw), 0.0), maximum)
    score: dict[str, float] = {"raw": raw, "min": 0.0, "max": maximum}
    if maximum > 0:
        score = {"scaled": raw / maximum, **score}
    return score


def _registration(submission: str, namespace: uuid.UUID) -> str:
    return str(uuid.uuid5(namespace, f"submission\0{submission}"))


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"an answer's time must be timezone-aware, not {moment!r}")
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _excerpt(text: str) -> str:
    if len(text) <= _NAME_LENGTH:
        return text
    cut = text[: _NAME_LENGTH - 1]
    if " " in cut[_NAME_LENGTH // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def _items(response: Any) -> list[Any]:
    if isinstance(response, (list, tuple, set, frozenset)):
        return list(response)
    return [response]


def _number(value: float | None) -> str:
    """A number as xAPI text: ``6`` not ``6.0``, ``0.3`` not ``0.30000000000000004``, never an exponent."""
    if value is None:
        return ""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.10f}".rstrip("0").rstrip(".")


_LEADING_NUMBER = re.compile(r"^\s*([-+−]?(?:\d[\d,.\s]*\d|\d)(?:[eE][-+]?\d+)?)")


def _numeric_response(response: Any, question: Question | None) -> str:
    if isinstance(response, (int, float)) and not isinstance(response, bool):
        return _number(response) if math.isfinite(response) else str(response)
    if not isinstance(response, str):
        return str(response)
    units: list[str] = []
    if isinstance(question, Numeric) and question.unit:
        units = [question.unit, *question.unit_aliases]
    try:
        return _number(parse_number(response, units=units))
    except UngradableResponse:
        pass
    match = _LEADING_NUMBER.match(response)  # a unit the bank no longer lists: keep the number
    if match:
        try:
            return _number(parse_number(match.group(1)))
        except UngradableResponse:
            pass
    return response.strip()
