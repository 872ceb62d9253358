"""The stored answers as xAPI 1.0.3 statements, for a clinic's Learning Record Store (LRS).

- One ``answered`` statement per stored attempt: the question is a ``cmi.interaction`` activity
  (``{homepage}/quiz/{quiz}/question/{id}``) with the learner's response in the xAPI response
  format of its interaction type, and a score (left out while a free-text answer waits for a
  trainer).
- One ``passed`` or ``failed`` statement per assessment sitting (submission), scored by the same
  rule as the progress view (:mod:`course.progress`), timestamped when the sitting was submitted.
- One ``completed`` statement per practice lesson whose questions have all been answered,
  timestamped at the answer that completed it.

- One ``scored`` statement per trainer's review of a written answer, stamped when it was
  reviewed, whose ``context.statement`` refers to the statement it follows (the answer, or the
  review before it): a review is a new event, not a correction of the answer, so it is a new
  statement (xAPI 1.0.3, 2.4.6 Context, ``statement``), never the answer re-sent with a score.

Statement ids are UUIDs derived (uuid5) from the homepage and what the statement is about, so
exporting again gives the same ids and an LRS keeps each statement once: an export is idempotent.
A statement never changes under its id (an LRS refuses a changed one with 409 Conflict):

- a sitting's ``passed``/``failed`` waits until every written answer of it has been scored
  (a sitting awaiting a trainer has no verdict yet);
- when a later review changes a verdict already given, the earlier verdict is voided
  (verb ``voided``, object a ``StatementRef`` to it: xAPI 1.0.3, 2.3.2 Voided; it was a verdict
  that no longer holds) and the new verdict is a new statement, stamped at that review;
- a verdict's id includes the pass mark it was reached under, so a changed pass mark gives a new
  verdict statement beside the old one instead of flipping its verb; every statement's context
  records the course version, and a verdict's the pass mark and the bank version used
  (``context.extensions``).

The learner is an Agent identified by an ``account`` on the course homepage, never by the real
name unless the clinic asks (:class:`Actors`): by default the account name is a keyed hash
(HMAC-SHA256) of the learner's name, stable from one export to the next and meaningless without
the key (``COURSE_XAPI_KEY``, else one made once and kept in the results database); ``account``
uses the name as stored (on JupyterHub: the hub user name), without a ``name`` property; ``name``
adds the real name. Statements are built one at a time (:func:`iter_statements`), so an export
can be written as it is made. No external libraries: this module can run wherever the store runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from course.bank import Bank, Course, Matching, MultipleChoice, Numeric, Ordering, Question, SingleChoice, TrueFalse
from course.certificate import COURSE_TITLE
from course.files import replace_file
from course.grading import UngradableResponse, parse_number
from course.progress import FinalResult, _score_sitting
from course.records import Attempt, Review, submissions_of
from course.store import ResultsStore

__all__ = [
    "ACTOR_MODES",
    "Actors",
    "DEFAULT_HOMEPAGE",
    "actors_for",
    "iter_statements",
    "VERBS",
    "INTERACTION_TYPES",
    "from_attempts",
    "statements",
    "response_string",
    "write",
    "chunks",
]

DEFAULT_HOMEPAGE = "https://clinic.example/course"
LANGUAGE = "en-US"
PLATFORM = "Jupyter"

_ADL_VERB = "http://adlnet.gov/expapi/verbs/"
VERBS: dict[str, str] = {name: _ADL_VERB + name for name in ("answered", "passed", "failed", "completed", "scored", "voided")}
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


ACTOR_MODES = ("hash", "account", "name")
"""How a learner is named in the statements: a keyed hash (default), the account name as stored, or with the real name."""


@dataclass(frozen=True)
class Actors:
    """How learners (and reviewers) appear as xAPI Agents: an ``account`` on the course homepage.

    ``hash`` (default): the account name is ``HMAC-SHA256(key, name)`` (32 hex digits): opaque,
    stable across exports with the same key. ``account``: the name as stored (on JupyterHub, the
    hub user name). ``name``: that, and the real name as the Agent's ``name`` (the clinic's choice).
    """

    mode: str = "hash"
    key: bytes = b""

    def __post_init__(self) -> None:
        if self.mode not in ACTOR_MODES:
            raise ValueError(f"the actor must be one of {', '.join(ACTOR_MODES)}, not {self.mode!r}")
        if self.mode == "hash" and len(self.key) < 16:
            raise ValueError("a hashed actor needs a key of at least 16 bytes (COURSE_XAPI_KEY)")

    def account_name(self, person: str) -> str:
        if self.mode == "hash":
            return hmac.new(self.key, person.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
        return person

    def agent(self, person: str, home: str) -> dict[str, Any]:
        agent: dict[str, Any] = {"objectType": "Agent"}
        if self.mode == "name":
            agent["name"] = person
        agent["account"] = {"homePage": home, "name": self.account_name(person)}
        return agent


def actors_for(store: ResultsStore, mode: str = "hash") -> Actors:
    """The actors of an export from ``store``: for ``hash``, the key ``COURSE_XAPI_KEY`` (text) if
    set, else the one kept in the results database (made once, at the first export)."""
    if mode != "hash":
        return Actors(mode)
    given = os.environ.get("COURSE_XAPI_KEY", "").strip()
    key = given.encode("utf-8") if given else store.kept_secret("xapi_actor_key").encode("ascii")
    return Actors("hash", key)


def statements(store: ResultsStore, course: Course, *, homepage: str = DEFAULT_HOMEPAGE, since: datetime | None = None, actors: Actors | None = None) -> list[dict[str, Any]]:
    """Every statement for the store's attempts and reviews, as a list (see :func:`iter_statements`)."""
    return list(iter_statements(store, course, homepage=homepage, since=since, actors=actors))


def iter_statements(store: ResultsStore, course: Course, *, homepage: str = DEFAULT_HOMEPAGE, since: datetime | None = None, actors: Actors | None = None) -> Iterator[dict[str, Any]]:
    """Every stored attempt and review of every learner as xAPI statements, oldest first, one at a time."""
    actors = actors or actors_for(store)
    return iter_from_attempts(store.attempts(), course, homepage=homepage, since=since, reviews=store.reviews(), actors=actors)


def from_attempts(attempts: Iterable[Attempt], course: Course, *, homepage: str = DEFAULT_HOMEPAGE, since: datetime | None = None, reviews: Iterable[Review] = (), actors: Actors | None = None) -> list[dict[str, Any]]:
    """:func:`iter_from_attempts` as a list."""
    return list(iter_from_attempts(attempts, course, homepage=homepage, since=since, reviews=reviews, actors=actors))


def iter_from_attempts(
    attempts: Iterable[Attempt], course: Course, *, homepage: str = DEFAULT_HOMEPAGE, since: datetime | None = None,
    reviews: Iterable[Review] = (), actors: Actors | None = None,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """The statements for ``attempts`` and the trainers' ``reviews`` of them (any learners, any
    order), oldest first, one at a time. Pure: no I/O.

    Sittings and completions are worked out from all the attempts given, so pass every attempt
    of a learner's quiz; ``since`` (timezone-aware) then keeps only the statements whose
    timestamp is at or after it. ``actors`` (default: the learner's name as the account name,
    without the real name; the export uses :func:`actors_for`). Raises ValueError for a homepage
    that is not an absolute http(s) IRL or a naive ``since``.
    """
    actors = actors or Actors("account")
    home = _homepage(homepage)
    if since is not None and since.tzinfo is None:
        raise ValueError(f"since must be timezone-aware, not {since!r}")
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, home)
    ordered = sorted(attempts, key=lambda a: a.answered_at)
    by_key = {a.key: a for a in ordered}
    by_quiz: dict[tuple[str, str], list[Attempt]] = defaultdict(list)
    for a in ordered:
        by_quiz[(a.learner, a.quiz)].append(a)
    reviewed: dict[str, list[Review]] = defaultdict(list)
    for r in sorted(reviews, key=lambda r: r.reviewed_at):
        if r.attempt_key in by_key:
            reviewed[r.attempt_key].append(r)
    ctx = _Context(course, home, namespace, actors)

    # Everything but the answers, each with its moment: reviews, verdicts (and their voiding), completions.
    later: list[tuple[datetime, int, dict[str, Any]]] = []
    for key, found in reviewed.items():
        previous = _answered_id(by_key[key], namespace)
        for n, r in enumerate(found):
            statement = _scored_statement(by_key[key], r, n, previous, ctx)
            later.append((r.reviewed_at, len(later), statement))
            previous = statement["id"]
    for (_learner, quiz), quiz_attempts in by_quiz.items():
        bank = course.banks.get(quiz)
        if bank is None:
            continue  # a bank no longer in the course: its answers are exported, its verdicts cannot be
        if bank.mode == "assessment":
            for number, submission in enumerate(submissions_of(quiz_attempts), 1):
                for moment, statement in _verdicts(quiz_attempts, submission, number, bank, reviewed, ctx):
                    later.append((moment, len(later), statement))
        else:
            closing = _completing_attempt(bank, quiz_attempts)
            if closing is not None:
                later.append((closing.answered_at, len(later), _completed_statement(closing, bank, ctx)))
    later.sort(key=lambda item: (item[0], item[1]))

    # answers and the rest merged in time order (a verdict or completion right after the answer that made it)
    pending = iter(later)
    following = next(pending, None)
    for a in ordered:
        while following is not None and following[0] < a.answered_at:
            if since is None or following[0] >= since:
                yield following[2]
            following = next(pending, None)
        if since is None or a.answered_at >= since:
            yield _answered_statement(a, ctx)
    while following is not None:
        if since is None or following[0] >= since:
            yield following[2]
        following = next(pending, None)


def chunks(statements: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """The statements as one JSON array (UTF-8), a statement at a time (for a streamed write)."""
    yield b"["
    first = True
    for statement in statements:
        yield (b"\n  " if first else b",\n  ") + json.dumps(statement, ensure_ascii=False, allow_nan=False).encode("utf-8")
        first = False
    yield b"\n]\n" if not first else b"]\n"


def write(statements: Iterable[dict[str, Any]], path: Path | str) -> Path:
    """Write the statements as one JSON array (UTF-8), replacing ``path`` atomically; return the path.

    Written as they are built, about a MiB at a time: the file is never held whole in memory.
    """
    return replace_file(Path(path), _batched(chunks(statements)))


def _batched(pieces: Iterable[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """The pieces joined into blocks of about ``size`` bytes (fewer, larger writes)."""
    block: list[bytes] = []
    held = 0
    for piece in pieces:
        block.append(piece)
        held += len(piece)
        if held >= size:
            yield b"".join(block)
            block, held = [], 0
    if block:
        yield b"".join(block)


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


@dataclass(frozen=True)
class _Context:
    course: Course
    home: str
    namespace: uuid.UUID
    actors: Actors

    def extensions(self, **more: Any) -> dict[str, Any]:
        return {f"{self.home}/xapi/extensions/{name.replace('_', '-')}": value for name, value in more.items()}

    def course_activity(self) -> dict[str, Any]:
        """The course, its version in its definition: an LRS leaves definitions out when it compares
        statements, so a re-export after any bank changed is still the same statement."""
        activity = _course_activity(self.home)
        activity["definition"]["extensions"] = {f"{self.home}/xapi/extensions/course-version": self.course.version}
        return activity


def _answered_id(a: Attempt, namespace: uuid.UUID) -> str:
    return str(uuid.uuid5(namespace, f"answered\0{a.key}"))


def _statement_ref(statement_id: str) -> dict[str, str]:
    return {"objectType": "StatementRef", "id": statement_id}


def _answered_statement(a: Attempt, ctx: _Context) -> dict[str, Any]:
    course, home, namespace = ctx.course, ctx.home, ctx.namespace
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
        "grouping": [ctx.course_activity()],
    }
    return {
        "id": _answered_id(a, namespace),
        "actor": ctx.actors.agent(a.learner, home),
        "verb": _verb("answered"),
        "object": _question_activity(a, question, home),
        "result": result,
        "context": context,
        "timestamp": _timestamp(a.answered_at),
    }


def _scored_statement(a: Attempt, r: Review, number: int, follows: str, ctx: _Context) -> dict[str, Any]:
    """A trainer's review of a written answer: a new statement, following the one before it."""
    try:
        question: Question | None = ctx.course.question(a.question)[1]
    except KeyError:
        question = None
    if question is not None and question.type != a.question_type:
        question = None
    score = min(max(float(r.score), 0.0), float(a.max_score))
    return {
        "id": str(uuid.uuid5(ctx.namespace, f"scored\0{a.key}\0{number}")),
        "actor": ctx.actors.agent(a.learner, ctx.home),
        "verb": _verb("scored"),
        "object": _question_activity(a, question, ctx.home),
        "result": {"score": _score(score, a.max_score), "success": score >= a.max_score, "completion": True},
        "context": {
            **({"registration": _registration(a.submission, ctx.namespace)} if a.submission else {}),
            "instructor": ctx.actors.agent(r.reviewer, ctx.home),
            "revision": a.bank_version,
            "platform": PLATFORM,
            "language": LANGUAGE,
            "statement": _statement_ref(follows),
            "contextActivities": {"parent": [_quiz_activity(a.quiz, ctx.course.banks.get(a.quiz), ctx.home, a.mode)], "grouping": [ctx.course_activity()]},
            "extensions": ctx.extensions(review=number + 1),
        },
        "timestamp": _timestamp(r.reviewed_at),
    }


def _verdicts(quiz_attempts: list[Attempt], submission: str, number: int, bank: Bank, reviewed: Mapping[str, list[Review]], ctx: _Context) -> Iterator[tuple[datetime, dict[str, Any]]]:
    """A sitting's verdicts over time: none while a written answer waits; then passed or failed,
    and, each time a later review changes it, the earlier one voided and the new one given."""
    from dataclasses import replace as changed

    mine = [a for a in quiz_attempts if a.submission == submission]
    moments = sorted({r.reviewed_at for a in mine for r in reviewed.get(a.key, ())})
    closing = mine[-1].answered_at
    given: dict[str, Any] | None = None
    changes = 0
    for moment in [closing, *moments]:
        scored = []
        for a in quiz_attempts:
            if a.submission == submission and a.score is None:
                done = [r for r in reviewed.get(a.key, ()) if r.reviewed_at <= moment]
                if done:
                    a = changed(a, score=done[-1].score, correct=done[-1].score >= a.max_score)
            scored.append(a)
        result = _score_sitting(ctx.course, bank, scored, submission, number)
        if result.pending:
            continue  # awaiting a trainer: no verdict yet
        if given is not None and given["verb"]["id"] == VERBS["passed" if result.passed else "failed"]:
            continue
        statement = _sitting_statement(result, bank, ctx, moment, change=changes)
        if given is not None:
            yield moment, _voiding_statement(given, moment, ctx)
        yield moment, statement
        given, changes = statement, changes + 1


def _voiding_statement(voided: dict[str, Any], moment: datetime, ctx: _Context) -> dict[str, Any]:
    """Void a verdict that no longer holds (xAPI 1.0.3, 2.3.2): verb voided, object a StatementRef."""
    return {
        "id": str(uuid.uuid5(ctx.namespace, f"voided\0{voided['id']}")),
        "actor": {"objectType": "Agent", "account": {"homePage": ctx.home, "name": "course"}},
        "verb": _verb("voided"),
        "object": _statement_ref(voided["id"]),
        "timestamp": _timestamp(moment),
    }


def _sitting_statement(r: FinalResult, bank: Bank, ctx: _Context, moment: datetime | None = None, change: int = 0) -> dict[str, Any]:
    home, namespace = ctx.home, ctx.namespace
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
    verdict = "passed" if r.passed else "failed"
    # the id names what the verdict rests on: a changed pass mark or verdict is a new statement, never a
    # changed one; ``change`` counts the verdicts before it (failed, passed, failed again: three ids)
    again = f"\0{change}" if change else ""
    return {
        "id": str(uuid.uuid5(namespace, f"sitting\0{r.learner}\0{r.quiz}\0{r.submission}\0{verdict}\0{_number(r.pass_mark)}{again}")),
        "actor": ctx.actors.agent(r.learner, home),
        "verb": _verb(verdict),
        "object": _quiz_activity(bank.quiz, bank, home, bank.mode),
        "result": result,
        "context": {
            "registration": _registration(r.submission, namespace),
            "revision": bank.version,
            "platform": PLATFORM,
            "language": LANGUAGE,
            "contextActivities": {"grouping": [ctx.course_activity()]},
            "extensions": ctx.extensions(pass_mark=r.pass_mark, bank_version=bank.version),
        },
        "timestamp": _timestamp(max(r.date, moment) if moment is not None else r.date),
    }


def _completed_statement(a: Attempt, bank: Bank, ctx: _Context) -> dict[str, Any]:
    home, namespace = ctx.home, ctx.namespace
    return {
        "id": str(uuid.uuid5(namespace, f"completed\0{a.learner}\0{bank.quiz}")),
        "actor": ctx.actors.agent(a.learner, home),
        "verb": _verb("completed"),
        "object": _quiz_activity(bank.quiz, bank, home, bank.mode),
        "result": {"completion": True},
        "context": {
            "platform": PLATFORM,
            "language": LANGUAGE,
            "contextActivities": {"grouping": [ctx.course_activity()]},
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
