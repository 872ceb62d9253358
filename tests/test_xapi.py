"""xAPI export: every statement checked against the xAPI 1.0.3 rules, on answers stored in a real SQLite results store.

The validator below is written from the specification (adlnet/xAPI-Spec, xAPI-Data.md, part two:
2.4 Statement properties, 2.4.2 Actor, 2.4.3 Verb, 2.4.4 Object and Interaction Activities,
2.4.5 Result and Score, 2.4.6 Context, 4.2 Language maps, 4.5 Timestamps), not from the exporter.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import seed
from course.session import CourseSession

from course import xapi
from course.bank import load_course
from course.grading import grade
from course.progress import final_result, learner_progress
from course.records import Attempt
from course.store import ResultsStore
from sample_banks import FINAL

ROOT = Path(__file__).resolve().parent.parent
HOME = "https://clinic.example/course"
ADL = "http://adlnet.gov/expapi/verbs/"

BASICS = """\
quiz: basics
title: The basics
lesson: 01_basics.ipynb
mode: practice
questions:
  - id: b-single
    type: single_choice
    section: One
    prompt: Which one is right?
    options:
      - {id: a, text: The right one, correct: true}
      - {id: b, text: The wrong one}
    explanation: Because.
  - id: b-multi
    type: multiple_choice
    section: One
    prompt: Select all that apply.
    options:
      - {id: x, text: Ex, correct: true}
      - {id: y, text: Why, correct: true}
      - {id: z, text: Zed}
    explanation: Because.
  - id: b-tf
    type: true_false
    section: One
    prompt: This is true.
    answer: true
    explanation: Because.
  - id: b-num
    type: numeric
    section: Two
    prompt: How many minutes?
    answer: 40
    unit: min
    unit_aliases: [minutes]
    explanation: Because.
  - id: b-order
    type: ordering
    section: Two
    prompt: Put these in order.
    items:
      - {id: first, text: First}
      - {id: second, text: Second}
      - {id: third, text: Third}
    explanation: Because.
  - id: b-match
    type: matching
    section: Two
    prompt: Match them.
    pairs:
      - {id: p1, left: Left one, right: Right one}
      - {id: p2, left: Left two, right: Right two}
    distractors:
      - {id: d1, text: Not a match}
    explanation: Because.
  - id: b-free
    type: free_text
    section: Two
    prompt: In your own words, what would you tell a patient who asks whether the treatment is safe for them, and why would you say it that way?
    explanation: A model answer.
"""


RIGHT_BASICS = {
    "b-single": "a",
    "b-multi": ["x", "y"],
    "b-tf": True,
    "b-num": "40 min",
    "b-order": ["first", "second", "third"],
    "b-match": {"p1": "p1", "p2": "p2"},
    "b-free": "I would explain the monitoring, in plain words.",
}
RIGHT_FINAL = {"f-safe": True, "f-one": "a", "f-two": False, "f-three": 10, "f-four": "c"}


@pytest.fixture
def course(tmp_path):
    quizzes = tmp_path / "quizzes"
    quizzes.mkdir()
    (quizzes / "basics.yaml").write_text(BASICS, encoding="utf-8")
    (quizzes / "final.yaml").write_text(FINAL, encoding="utf-8")
    return load_course(quizzes)


@pytest.fixture
def store(tmp_path):
    results = ResultsStore(f"sqlite:///{tmp_path / 'data' / 'results.sqlite'}", outbox=tmp_path / "outbox.jsonl")
    yield results
    results.close()


def practise(course, store, learner, responses):
    seed.practise(store, course, learner, "basics", responses)


def sit(course, store, learner, responses):
    return seed.sit(store, course, learner, "final", responses)


@pytest.fixture
def recorded(course, store):
    """Ann practises every basics question and passes the final; Bob misses a critical question and fails, then passes a retake."""
    practise(course, store, "Ann Nurse", {"b-single": "b"})  # wrong first
    practise(course, store, "Ann Nurse", RIGHT_BASICS)
    sit(course, store, "Ann Nurse", RIGHT_FINAL)
    practise(course, store, "Bob Front-Desk", {"b-single": "a", "b-tf": False})
    sit(course, store, "Bob Front-Desk", {**RIGHT_FINAL, "f-safe": False})
    store.allow_retake("Bob Front-Desk", "final", trainer="Tess Trainer")
    sit(course, store, "Bob Front-Desk", RIGHT_FINAL)
    return store


# --- the validator, from the specification ----------------------------------------------------

STATEMENT_KEYS = {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version", "attachments"}
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
INTERACTION_TYPES = {"true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing", "likert", "numeric", "other"}
COMPONENT_LISTS = {"choice": {"choices"}, "sequencing": {"choices"}, "likert": {"scale"}, "matching": {"source", "target"}, "performance": {"steps"}}
DEFINITION_KEYS = {"name", "description", "type", "moreInfo", "extensions", "interactionType", "correctResponsesPattern", "choices", "scale", "source", "target", "steps"}
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")  # RFC 5646, loosely
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def is_iri(value):
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme or "")) and bool(parts.netloc or parts.path)


def is_irl(value):
    return is_iri(value) and urlsplit(value).scheme in ("http", "https") and bool(urlsplit(value).netloc)


def is_uuid(value):
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value and uuid.UUID(value).variant == uuid.RFC_4122
    except ValueError:
        return False


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def language_map(value, where, errors):
    if not isinstance(value, dict) or not value:
        errors.append(f"{where}: a language map must be a non-empty object")
        return
    for tag, text in value.items():
        if not LANGUAGE_TAG.match(tag) or not isinstance(text, str):
            errors.append(f"{where}: {tag!r}: {text!r} is not a language tag and a string")


def extensions(value, where, errors):
    if not isinstance(value, dict) or not all(is_iri(k) for k in value):
        errors.append(f"{where}: extension keys must be IRIs")


def agent(value, where, errors):
    if not isinstance(value, dict):
        errors.append(f"{where}: must be an object")
        return
    if value.get("objectType", "Agent") != "Agent":
        errors.append(f"{where}: objectType must be Agent")
    ifis = [k for k in IFIS if k in value]
    if len(ifis) != 1:
        errors.append(f"{where}: an Agent has exactly one inverse functional identifier, not {ifis}")
    if set(value) - {"objectType", "name", *IFIS}:
        errors.append(f"{where}: unknown properties {set(value) - {'objectType', 'name', *IFIS}}")
    if "name" in value and not isinstance(value["name"], str):
        errors.append(f"{where}.name: must be a string")
    if "account" in value:
        account = value["account"]
        if not isinstance(account, dict) or set(account) != {"homePage", "name"}:
            errors.append(f"{where}.account: needs exactly homePage and name")
        elif not is_irl(account["homePage"]) or not isinstance(account["name"], str) or not account["name"]:
            errors.append(f"{where}.account: homePage must be an IRL and name a string")


def activity(value, where, errors):
    if not isinstance(value, dict):
        errors.append(f"{where}: must be an object")
        return
    if value.get("objectType", "Activity") != "Activity":
        errors.append(f"{where}: objectType must be Activity")
    if set(value) - {"objectType", "id", "definition"}:
        errors.append(f"{where}: unknown properties")
    if not is_iri(value.get("id")):
        errors.append(f"{where}.id: {value.get('id')!r} is not an absolute IRI")
    definition = value.get("definition")
    if definition is None:
        return
    if not isinstance(definition, dict) or set(definition) - DEFINITION_KEYS:
        errors.append(f"{where}.definition: unknown properties")
        return
    for key in ("name", "description"):
        if key in definition:
            language_map(definition[key], f"{where}.definition.{key}", errors)
    if "type" in definition and not is_iri(definition["type"]):
        errors.append(f"{where}.definition.type: not an IRI")
    if "extensions" in definition:
        extensions(definition["extensions"], f"{where}.definition.extensions", errors)
    kind = definition.get("interactionType")
    lists = {k for k in ("choices", "scale", "source", "target", "steps") if k in definition}
    if kind is None:
        if lists or "correctResponsesPattern" in definition:
            errors.append(f"{where}.definition: interaction properties without an interactionType")
        return
    if kind not in INTERACTION_TYPES:
        errors.append(f"{where}.definition.interactionType: {kind!r} is not valid")
    if lists - COMPONENT_LISTS.get(kind, set()):
        errors.append(f"{where}.definition: {lists} are not component lists of {kind}")
    pattern = definition.get("correctResponsesPattern")
    if pattern is not None and (not isinstance(pattern, list) or not all(isinstance(p, str) for p in pattern)):
        errors.append(f"{where}.definition.correctResponsesPattern: must be an array of strings")
    for name in lists:
        components = definition[name]
        ids = [c.get("id") for c in components]
        if len(set(ids)) != len(ids) or not all(isinstance(i, str) and i and not re.search(r"\s", i) for i in ids):
            errors.append(f"{where}.definition.{name}: component ids must be distinct strings without whitespace")
        for c in components:
            if set(c) - {"id", "description"}:
                errors.append(f"{where}.definition.{name}: unknown component properties")
            if "description" in c:
                language_map(c["description"], f"{where}.definition.{name}[{c.get('id')}].description", errors)


def result(value, errors):
    if not isinstance(value, dict) or set(value) - {"score", "success", "completion", "response", "duration", "extensions"}:
        errors.append("result: unknown properties")
        return
    for key in ("success", "completion"):
        if key in value and not isinstance(value[key], bool):
            errors.append(f"result.{key}: must be a boolean")
    if "response" in value and not isinstance(value["response"], str):
        errors.append("result.response: must be a string")
    if "extensions" in value:
        extensions(value["extensions"], "result.extensions", errors)
    score = value.get("score")
    if score is None:
        return
    if not isinstance(score, dict) or set(score) - {"scaled", "raw", "min", "max"}:
        errors.append("result.score: unknown properties")
        return
    if not all(is_number(v) for v in score.values()):
        errors.append("result.score: every value must be a number")
        return
    if "scaled" in score and not -1 <= score["scaled"] <= 1:
        errors.append("result.score.scaled: must be between -1 and 1")
    if "min" in score and "max" in score and not score["min"] < score["max"]:
        errors.append("result.score: min must be less than max")
    if "raw" in score and not (score.get("min", float("-inf")) <= score["raw"] <= score.get("max", float("inf"))):
        errors.append("result.score.raw: must be between min and max")


def context(value, object_is_activity, errors):
    allowed = {"registration", "instructor", "team", "contextActivities", "revision", "platform", "language", "statement", "extensions"}
    if not isinstance(value, dict) or set(value) - allowed:
        errors.append("context: unknown properties")
        return
    if "registration" in value and not is_uuid(value["registration"]):
        errors.append("context.registration: must be a UUID")
    for key in ("revision", "platform"):
        if key in value and (not object_is_activity or not isinstance(value[key], str)):
            errors.append(f"context.{key}: a string, only when the object is an Activity")
    if "language" in value and not (isinstance(value["language"], str) and LANGUAGE_TAG.match(value["language"])):
        errors.append("context.language: must be an RFC 5646 tag")
    if "extensions" in value:
        extensions(value["extensions"], "context.extensions", errors)
    if "instructor" in value:
        agent(value["instructor"], "context.instructor", errors)
    if "statement" in value:
        statement_ref(value["statement"], "context.statement", errors)
    activities = value.get("contextActivities", {})
    if set(activities) - {"parent", "grouping", "category", "other"}:
        errors.append("context.contextActivities: keys are parent, grouping, category, other")
    for key, items in activities.items():
        if not isinstance(items, list):
            errors.append(f"context.contextActivities.{key}: should be an array")
            continue
        for n, item in enumerate(items):
            activity(item, f"context.contextActivities.{key}[{n}]", errors)


def statement_ref(value, where, errors):
    """2.4.4.3: a Statement Reference is objectType StatementRef and the id (a UUID) of a statement."""
    if not isinstance(value, dict) or set(value) != {"objectType", "id"} or value.get("objectType") != "StatementRef":
        errors.append(f"{where}: a StatementRef is exactly objectType 'StatementRef' and id")
    elif not is_uuid(value["id"]):
        errors.append(f"{where}.id: must be a UUID")


def validate(statement):
    """Every way ``statement`` breaks an xAPI 1.0.3 rule, as messages (empty when it is valid)."""
    errors: list[str] = []
    if not isinstance(statement, dict):
        return ["a statement is a JSON object"]
    if set(statement) - STATEMENT_KEYS:
        errors.append(f"unknown properties {set(statement) - STATEMENT_KEYS}")
    for required in ("actor", "verb", "object"):
        if required not in statement:
            errors.append(f"{required} is required")
    if "id" in statement and not is_uuid(statement["id"]):
        errors.append(f"id: {statement['id']!r} is not a UUID in standard form")
    if "actor" in statement:
        agent(statement["actor"], "actor", errors)
    verb = statement.get("verb")
    if verb is not None:
        if not isinstance(verb, dict) or set(verb) - {"id", "display"} or not is_iri(verb.get("id")):
            errors.append("verb: needs an absolute IRI id (and optionally display)")
        elif "display" in verb:
            language_map(verb["display"], "verb.display", errors)
    if "object" in statement:
        if isinstance(statement["object"], dict) and statement["object"].get("objectType") == "StatementRef":
            statement_ref(statement["object"], "object", errors)
        else:
            activity(statement["object"], "object", errors)
    if isinstance(verb, dict) and verb.get("id") == ADL + "voided":  # 2.3.2: a voiding statement's object is a StatementRef
        if not isinstance(statement.get("object"), dict) or statement["object"].get("objectType") != "StatementRef":
            errors.append("object: a voiding statement's object must be a StatementRef")
    if "result" in statement:
        result(statement["result"], errors)
    if "context" in statement:
        context(statement["context"], statement.get("object", {}).get("objectType", "Activity") == "Activity", errors)
    if "timestamp" in statement:
        stamp = statement["timestamp"]
        if not isinstance(stamp, str) or not RFC3339.match(stamp):
            errors.append(f"timestamp: {stamp!r} is not ISO 8601 (RFC 3339) with a time zone")
        else:
            moment = datetime.fromisoformat(stamp)
            if moment.tzinfo is None:
                errors.append("timestamp: has no time zone")
            elif moment > datetime.now(timezone.utc) + timedelta(seconds=5):
                errors.append("timestamp: must not be in the future")
    try:
        if json.loads(json.dumps(statement, allow_nan=False)) != statement:
            errors.append("does not round-trip through JSON")
    except (TypeError, ValueError) as exc:
        errors.append(f"is not JSON: {exc}")
    return errors


def test_the_validator_catches_broken_statements():
    good = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "name": "A", "account": {"homePage": HOME, "name": "A"}},
        "verb": {"id": ADL + "answered", "display": {"en-US": "answered"}},
        "object": {"objectType": "Activity", "id": HOME + "/quiz/q"},
        "result": {"score": {"scaled": 0.5, "raw": 1, "min": 0, "max": 2}},
        "timestamp": "2024-05-03T12:00:00.000+00:00",
    }
    assert validate(good) == []
    broken = [
        {k: v for k, v in good.items() if k != "actor"},
        {**good, "id": "not-a-uuid"},
        {**good, "actor": {**good["actor"], "mbox": "mailto:a@example.org"}},
        {**good, "actor": {"objectType": "Agent", "name": "A"}},
        {**good, "verb": {"id": "answered"}},
        {**good, "verb": {"id": ADL + "answered", "display": "answered"}},
        {**good, "object": {"id": "quiz q"}},
        {**good, "result": {"score": {"scaled": 1.5}}},
        {**good, "result": {"score": {"raw": 3, "min": 0, "max": 2}}},
        {**good, "result": {"success": "yes"}},
        {**good, "timestamp": "2024-05-03T12:00:00"},
        {**good, "context": {"registration": "nope"}},
        {**good, "object": {"id": HOME, "definition": {"interactionType": "essay"}}},
        {**good, "verb": {"id": ADL + "voided"}},  # voiding an activity
        {**good, "verb": {"id": ADL + "voided"}, "object": {"objectType": "StatementRef", "id": "nope"}},
        {**good, "context": {"statement": {"objectType": "StatementRef", "id": str(uuid.uuid4()), "x": 1}}},
        {**good, "context": {"instructor": {"objectType": "Agent", "name": "T"}}},
    ]
    for statement in broken:
        assert validate(statement), statement


# --- the export -------------------------------------------------------------------------------


def by_verb(statements, verb):
    return [s for s in statements if s["verb"]["id"] == ADL + verb]


def test_every_statement_meets_the_spec(course, recorded):
    statements = xapi.statements(recorded, course)
    problems = {s["id"]: validate(s) for s in statements}
    assert {k: v for k, v in problems.items() if v} == {}
    attempts = recorded.attempts()
    assert len(by_verb(statements, "answered")) == len(attempts)
    assert {s["verb"]["id"] for s in statements} == {ADL + v for v in ("answered", "passed", "failed", "completed")}
    for s in statements:
        assert s["verb"]["display"] == {"en-US": s["verb"]["id"].rsplit("/", 1)[1]}
        assert "name" not in s["actor"] and s["actor"]["account"]["homePage"] == HOME  # no real name by default
        assert re.fullmatch(r"[0-9a-f]{32}", s["actor"]["account"]["name"])
    stamps = [datetime.fromisoformat(s["timestamp"]) for s in statements]
    assert stamps == sorted(stamps)


def test_answered_statements_describe_the_question_and_its_quiz(course, recorded):
    statements = by_verb(xapi.statements(recorded, course), "answered")
    attempts = {a.key: a for a in recorded.attempts()}
    assert len(statements) == len(attempts)
    kinds = {}
    for s in statements:
        obj = s["object"]
        quiz, question = re.fullmatch(rf"{HOME}/quiz/([^/]+)/question/([^/]+)", obj["id"]).groups()
        definition = obj["definition"]
        assert definition["type"] == "http://adlnet.gov/expapi/activities/cmi.interaction"
        kinds[question] = definition["interactionType"]
        (parent,) = s["context"]["contextActivities"]["parent"]
        assert parent["id"] == f"{HOME}/quiz/{quiz}"
        assert parent["definition"]["type"].endswith("/assessment" if quiz == "final" else "/lesson")
        assert parent["definition"]["name"]["en-US"] == course.bank(quiz).title
        assert definition["description"]["en-US"] == course.question(question)[1].prompt
        assert len(definition["name"]["en-US"]) <= 80
    assert kinds == {
        "b-single": "choice", "b-multi": "choice", "b-tf": "true-false", "b-num": "numeric",
        "b-order": "sequencing", "b-match": "matching", "b-free": "long-fill-in",
        "f-safe": "true-false", "f-one": "choice", "f-two": "true-false", "f-three": "numeric", "f-four": "choice",
    }
    matching = next(s for s in statements if s["object"]["id"].endswith("/b-match"))["object"]["definition"]
    assert [c["id"] for c in matching["source"]] == ["p1", "p2"] and [c["id"] for c in matching["target"]] == ["p1", "p2", "d1"]
    assert matching["correctResponsesPattern"] == ["p1[.]p1[,]p2[.]p2"]
    free = next(s for s in statements if s["object"]["id"].endswith("/b-free"))["object"]["definition"]
    assert "correctResponsesPattern" not in free and free["name"]["en-US"].endswith("…")


def test_scores_follow_the_stored_grades(course, recorded):
    statements = {s["id"]: s for s in by_verb(xapi.statements(recorded, course), "answered")}
    for a in recorded.attempts():
        s = statements[str(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, HOME), f"answered\0{a.key}"))]
        assert s["timestamp"] == a.answered_at.isoformat(timespec="milliseconds")
        assert s["context"]["revision"] == a.bank_version
        if a.score is None:
            continue
        assert s["result"]["score"] == {"scaled": a.score / a.max_score, "raw": a.score, "min": 0, "max": a.max_score}
        assert s["result"]["success"] is a.correct and s["result"]["completion"] is True
        if a.submission:
            assert s["context"]["registration"] == str(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, HOME), f"submission\0{a.submission}"))
        else:
            assert "registration" not in s["context"]


def test_ids_are_stable_across_exports(course, recorded, tmp_path):
    first = xapi.statements(recorded, course)
    again = ResultsStore(recorded.url, outbox=tmp_path / "other-outbox.jsonl")
    try:
        second = xapi.statements(again, course)
    finally:
        again.close()
    assert [s["id"] for s in first] == [s["id"] for s in second]
    assert first == second
    assert len({s["id"] for s in first}) == len(first)
    other_home = xapi.statements(recorded, course, homepage="https://other.example/course/")
    assert not {s["id"] for s in first} & {s["id"] for s in other_home}
    assert other_home[0]["actor"]["account"]["homePage"] == "https://other.example/course"


def test_a_passed_and_a_failed_sitting(course, recorded):
    statements = xapi.statements(recorded, course, actors=xapi.Actors("name"))
    sittings = [s for s in statements if s["object"]["id"] == f"{HOME}/quiz/final" and s["verb"]["id"] != ADL + "answered"]
    assert [(s["actor"]["name"], s["verb"]["id"].rsplit("/", 1)[1]) for s in sittings] == [
        ("Ann Nurse", "passed"), ("Bob Front-Desk", "failed"), ("Bob Front-Desk", "passed"),
    ]
    ann, bob_failed, bob_passed = sittings
    assert ann["result"]["success"] is True and ann["result"]["score"] == {"scaled": 1.0, "raw": 5.0, "min": 0, "max": 5.0}
    assert bob_failed["result"]["success"] is False and bob_failed["result"]["score"]["scaled"] == pytest.approx(0.8)
    assert bob_failed["result"]["extensions"][f"{HOME}/xapi/extensions/critical-missed"] == ["f-safe"]
    assert ann["object"]["definition"] == {"name": {"en-US": "Final assessment"}, "type": "http://adlnet.gov/expapi/activities/assessment"}
    # the sitting's registration ties it to its answers, and it is stamped when the last answer was given
    for sitting in sittings:
        answers = [s for s in by_verb(statements, "answered") if s.get("context", {}).get("registration") == sitting["context"]["registration"]]
        assert len(answers) == 5 and {a["actor"]["name"] for a in answers} == {sitting["actor"]["name"]}
        assert sitting["timestamp"] == max(a["timestamp"] for a in answers)
    # the same verdict as the learner's progress view and final_result
    for name, sitting in (("Ann Nurse", ann), ("Bob Front-Desk", bob_passed)):
        row = next(r for r in learner_progress(course, recorded, name) if r.quiz == "final")
        latest = final_result(course, recorded, name)
        assert row.passed is latest.passed is sitting["result"]["success"]
        assert sitting["result"]["score"]["scaled"] == pytest.approx(latest.percent / 100)


def test_a_completed_lesson(course, recorded):
    statements = xapi.statements(recorded, course, actors=xapi.Actors("name"))
    completed = by_verb(statements, "completed")
    assert [s["actor"]["name"] for s in completed] == ["Ann Nurse"]  # Bob answered 2 of 7
    (done,) = completed
    assert done["object"]["id"] == f"{HOME}/quiz/basics"
    assert done["object"]["definition"] == {"name": {"en-US": "The basics"}, "type": "http://adlnet.gov/expapi/activities/lesson"}
    assert done["result"] == {"completion": True}
    last_new = [a for a in recorded.attempts(learner="Ann Nurse", quiz="basics") if a.question == "b-free"][0]
    assert done["timestamp"] == last_new.answered_at.isoformat(timespec="milliseconds")
    assert next(r for r in learner_progress(course, recorded, "Ann Nurse") if r.quiz == "basics").done
    # answering again later adds answers, not another completion; the completion keeps its id and time
    practise(course, recorded, "Ann Nurse", {"b-single": "a"})
    later = by_verb(xapi.statements(recorded, course, actors=xapi.Actors("name")), "completed")
    assert later == completed


def test_pending_free_text_has_no_score(course, recorded):
    statements = by_verb(xapi.statements(recorded, course), "answered")
    (free,) = [s for s in statements if s["object"]["id"].endswith("/b-free")]
    assert "score" not in free["result"] and "success" not in free["result"]
    assert free["result"]["response"] == RIGHT_BASICS["b-free"] and free["result"]["completion"] is True


def attempt(course, qid, response, *, when, learner="Ann Nurse", submission=None):
    bank, question = course.question(qid)
    g = grade(question, response)
    return Attempt(
        learner=learner, quiz=bank.quiz, question=qid, question_type=question.type, bank_version=bank.version,
        mode=bank.mode, response=response, score=None if g.pending else g.score, max_score=g.max_score,
        correct=None if g.pending else g.correct, key=f"{learner}-{qid}-{when:%H%M%S}", submission=submission, answered_at=when,
    )


def test_response_strings_per_interaction_type(course):
    when = datetime(2024, 5, 3, 9, 0, tzinfo=timezone.utc)
    cases = [
        ("b-single", "b", "b"),
        ("b-multi", ["x", "z"], "x[,]z"),
        ("b-multi", ["y"], "y"),
        ("b-tf", True, "true"),
        ("b-tf", False, "false"),
        ("b-num", "40 min", "40"),
        ("b-num", " 1 970 minutes", "1970"),
        ("b-num", "0,5", "0.5"),
        ("b-num", 41.0, "41"),
        ("b-order", ["third", "first", "second"], "third[,]first[,]second"),
        ("b-match", {"p2": "d1", "p1": "p2"}, "p1[.]p2[,]p2[.]d1"),
        ("b-free", "Ask the clinician [in charge].", "Ask the clinician [in charge]."),
    ]
    attempts = [attempt(course, qid, response, when=when + timedelta(minutes=n)) for n, (qid, response, _) in enumerate(cases)]
    statements = xapi.from_attempts(attempts, course)
    assert [s["result"]["response"] for s in by_verb(statements, "answered")] == [expected for *_, expected in cases]
    patterns = {s["object"]["id"].rsplit("/", 1)[1]: s["object"]["definition"].get("correctResponsesPattern") for s in by_verb(statements, "answered")}
    assert patterns == {
        "b-single": ["a"], "b-multi": ["x[,]y"], "b-tf": ["true"], "b-num": ["40"],
        "b-order": ["first[,]second[,]third"], "b-match": ["p1[.]p1[,]p2[.]p2"], "b-free": None,
    }
    assert all(validate(s) == [] for s in statements)


def test_since_keeps_later_statements_and_sittings_still_count_every_answer(course):
    start = datetime(2024, 5, 3, 9, 0, tzinfo=timezone.utc)
    attempts = [
        attempt(course, qid, response, when=start + timedelta(minutes=n), submission="s1")
        for n, (qid, response) in enumerate({**RIGHT_FINAL, "f-two": True}.items())
    ]
    everything = xapi.from_attempts(attempts, course)
    later = xapi.from_attempts(attempts, course, since=start + timedelta(minutes=3))
    assert later == [s for s in everything if s["timestamp"] >= "2024-05-03T09:03"]
    assert [s["verb"]["display"]["en-US"] for s in later] == ["answered", "answered", "passed"]
    assert later[-1]["result"]["score"]["raw"] == 4.0  # scored from all five answers
    with pytest.raises(ValueError, match="timezone-aware"):
        xapi.from_attempts(attempts, course, since=datetime(2024, 5, 3))
    with pytest.raises(ValueError, match="homepage"):
        xapi.from_attempts(attempts, course, homepage="clinic.example/course")


def test_answers_to_a_question_no_longer_in_the_course_are_still_exported(course):
    gone = Attempt(
        learner="Ann Nurse", quiz="retired", question="old-q", question_type="ordering", bank_version="0" * 16,
        mode="practice", response=["b", "a"], score=0.0, max_score=1.0, correct=False, key="k-gone",
        answered_at=datetime(2024, 1, 1, tzinfo=timezone.utc),
    )
    (s,) = xapi.from_attempts([gone], course)
    assert validate(s) == []
    assert s["object"]["id"] == f"{HOME}/quiz/retired/question/old-q"
    assert s["object"]["definition"] == {"name": {"en-US": "old-q"}, "type": "http://adlnet.gov/expapi/activities/cmi.interaction", "interactionType": "sequencing"}
    assert s["result"]["response"] == "b[,]a"


def test_write_is_a_utf8_json_array(course, store, tmp_path):
    practise(course, store, "Zoë Ağaoğlu", {"b-single": "a"})
    sit(course, store, "José Núñez", RIGHT_FINAL)
    statements = xapi.statements(store, course, actors=xapi.Actors("name"))  # the clinic asked for real names
    path = xapi.write(statements, tmp_path / "statements.json")
    raw = path.read_bytes()
    assert "Zoë Ağaoğlu".encode() in raw and "José Núñez".encode() in raw
    assert json.loads(raw.decode("utf-8")) == statements
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".statements")] == []


def test_the_repo_welcome_bank_exports_valid_statements(tmp_path, store):
    """The course's own welcome bank (one question of every type), answered right from its keys."""
    quizzes = tmp_path / "repo-quizzes"
    quizzes.mkdir()
    shutil.copy(ROOT / "quizzes" / "00_welcome.yaml", quizzes)
    course = load_course(quizzes)
    bank = course.bank("welcome")
    session = CourseSession(course, store, "Ann Nurse")
    for q in bank.questions:
        response = {
            "single_choice": lambda: next(o.id for o in q.options if o.correct),
            "multiple_choice": lambda: [o.id for o in q.options if o.correct],
            "true_false": lambda: q.answer,
            "numeric": lambda: q.answer if q.answer is not None else q.min,
            "ordering": lambda: [i.id for i in q.items],
            "matching": lambda: {p.id: p.id for p in q.pairs},
            "free_text": lambda: "A written answer.",
        }[q.type]()
        session.answer(bank.quiz, q.id, session.paper.from_bank(q, "Ann Nurse", response))
    statements = xapi.statements(store, course)
    assert all(validate(s) == [] for s in statements), [validate(s) for s in statements]
    assert len(by_verb(statements, "answered")) == len(bank.questions) and len(by_verb(statements, "completed")) == 1
    assert {s["result"].get("success") for s in by_verb(statements, "answered")} <= {True, None}


# --- privacy, reviews and verdicts that change (issue 14) ---------------------------------------


WRITTEN_FINAL = FINAL.replace("""  - id: f-four
    type: single_choice""", """  - id: f-essay
    type: free_text
    section: Safety
    prompt: Say what you would do.
    points: 3
    explanation: Because.
  - id: f-four
    type: single_choice""")


def test_no_real_name_by_default_and_the_same_opaque_id_each_time(course, recorded, monkeypatch):
    statements = xapi.statements(recorded, course)
    text = json.dumps(statements, ensure_ascii=False)
    assert "Ann Nurse" not in text and "Bob Front-Desk" not in text and "Tess Trainer" not in text
    ids = {s["actor"]["account"]["name"] for s in statements}
    assert len(ids) == 2  # Ann and Bob, each always the same opaque account
    assert xapi.statements(recorded, course) == statements  # the key is kept in the records: stable
    monkeypatch.setenv("COURSE_XAPI_KEY", "another clinic's key, long enough")
    assert not {s["actor"]["account"]["name"] for s in xapi.statements(recorded, course)} & ids
    hub = xapi.statements(recorded, course, actors=xapi.Actors("account"))
    assert {s["actor"]["account"]["name"] for s in hub} == {"Ann Nurse", "Bob Front-Desk"} and not any("name" in s["actor"] for s in hub)
    with pytest.raises(ValueError, match="the actor must be one of"):
        xapi.Actors("email")


def test_the_export_records_the_course_version_and_the_pass_mark(course, recorded):
    statements = xapi.statements(recorded, course)
    for s in statements:  # in the course activity's definition (which an LRS leaves out when it compares)
        (grouping,) = s["context"]["contextActivities"]["grouping"]
        assert grouping["definition"]["extensions"] == {f"{HOME}/xapi/extensions/course-version": course.version}
    verdicts = by_verb(statements, "passed") + by_verb(statements, "failed")
    assert {v["context"]["extensions"][f"{HOME}/xapi/extensions/pass-mark"] for v in verdicts} == {80}
    assert {v["context"]["extensions"][f"{HOME}/xapi/extensions/bank-version"] for v in verdicts} == {course.bank("final").version}


@pytest.fixture
def written_course(tmp_path):
    folder = tmp_path / "written"
    folder.mkdir()
    (folder / "basics.yaml").write_text(BASICS, encoding="utf-8")
    (folder / "final.yaml").write_text(WRITTEN_FINAL, encoding="utf-8")
    return load_course(folder)


def test_a_review_after_an_export_is_a_new_statement_an_lrs_accepts(written_course, store):
    course = written_course
    seed.sit(store, course, "Ann Nurse", "final", {**RIGHT_FINAL, "f-essay": "I would stop and call the clinician."})
    first = xapi.statements(store, course)
    assert by_verb(first, "passed") == by_verb(first, "failed") == []  # awaiting a trainer: no verdict yet
    (essay,) = [s for s in by_verb(first, "answered") if s["object"]["id"].endswith("/f-essay")]
    assert "score" not in essay["result"]

    key = next(a.key for a in store.attempts() if a.question == "f-essay")
    store.add_review(key, score=0, reviewer="Tess Trainer", comment="Not safe.")
    second = xapi.statements(store, course)
    lrs = LRS()
    lrs.post(first)
    lrs.post(second)  # re-sending the first export's statements is harmless; nothing changed under an id
    (scored,) = by_verb(second, "scored")
    assert scored["context"]["statement"] == {"objectType": "StatementRef", "id": essay["id"]}
    assert scored["result"]["score"]["raw"] == 0 and scored["result"]["success"] is False
    assert "name" not in scored["context"]["instructor"]
    (failed,) = by_verb(second, "failed")
    assert failed["timestamp"] == scored["timestamp"]  # the verdict comes with the review that made it

    # a regrade: the trainer gives full marks; the failed verdict is voided and a pass given
    store.add_review(key, score=3, reviewer="Tess Trainer", comment="On reflection, safe.")
    third = xapi.statements(store, course)
    lrs.post(third)
    rescored = by_verb(third, "scored")
    assert len(rescored) == 2 and rescored[1]["context"]["statement"]["id"] == rescored[0]["id"]
    (voiding,) = by_verb(third, "voided")
    assert voiding["object"] == {"objectType": "StatementRef", "id": failed["id"]}
    (passed,) = by_verb(third, "passed")
    assert [s["id"] for s in third].index(voiding["id"]) < [s["id"] for s in third].index(passed["id"])
    assert lrs.voided == {failed["id"]} and lrs.current_verdicts() == ["passed"]
    assert {k: v for k, v in ((s["id"], validate(s)) for s in third) if v} == {}

    # and back again: a third review fails it once more; the new failed verdict has an id of its own
    store.add_review(key, score=0, reviewer="Tess Trainer", comment="Checked with the lead: not safe.")
    fourth = xapi.statements(store, course)
    lrs.post(fourth)
    assert len(by_verb(fourth, "failed")) == 2 and len(by_verb(fourth, "voided")) == 2
    assert lrs.current_verdicts() == ["failed"] and xapi.statements(store, course) == fourth


def test_a_changed_pass_mark_gives_a_new_verdict_not_a_changed_one(course, recorded, tmp_path):
    before = xapi.statements(recorded, course)
    folder = tmp_path / "stricter"
    folder.mkdir()
    (folder / "basics.yaml").write_text(BASICS, encoding="utf-8")
    (folder / "final.yaml").write_text(FINAL.replace("pass_mark: 80", "pass_mark: 100"), encoding="utf-8")
    after = xapi.statements(recorded, load_course(folder))
    lrs = LRS()
    lrs.post(before)
    lrs.post(after)  # no 409: every verdict under a new pass mark has its own id
    old = {s["id"] for s in by_verb(before, "passed") + by_verb(before, "failed")}
    new = {s["id"] for s in by_verb(after, "passed") + by_verb(after, "failed")}
    assert old and new and not old & new


def test_statements_are_built_one_at_a_time(course, recorded):
    import types

    stream = xapi.iter_statements(recorded, course)
    assert isinstance(stream, types.GeneratorType)
    assert next(stream)["verb"]["id"] == ADL + "answered"
    assert list(xapi.iter_statements(recorded, course)) == xapi.statements(recorded, course)


class LRS:
    """What a Learning Record Store does with statements (xAPI 1.0.3, part three, 2.1.1 and 2.1.2):
    a statement id it has is accepted again only if the statement is the same (else 409 Conflict);
    a voiding statement voids its target, which must not itself void."""

    SAME = ("actor", "verb", "object", "result", "context")  # what it compares (definitions and display aside)

    def __init__(self):
        self.kept = {}
        self.voided = set()

    def post(self, statements):
        for s in statements:
            assert not validate(s), validate(s)
            if s["id"] in self.kept:
                earlier = self.kept[s["id"]]
                assert self._core(earlier) == self._core(s), f"409 Conflict: {s['id']} changed"
                continue
            if s["verb"]["id"] == ADL + "voided":
                target = s["object"]["id"]
                assert self.kept.get(target, {}).get("verb", {}).get("id") != ADL + "voided", "a voiding statement cannot be voided"
                self.voided.add(target)
            self.kept[s["id"]] = s

    def current_verdicts(self):
        return [s["verb"]["id"].rsplit("/", 1)[1] for i, s in self.kept.items() if i not in self.voided and s["verb"]["id"] in (ADL + "passed", ADL + "failed")]

    @staticmethod
    def _core(s):
        def strip(value):
            if isinstance(value, dict):
                return {k: strip(v) for k, v in value.items() if k not in ("definition", "display")}
            if isinstance(value, list):
                return [strip(v) for v in value]
            return value

        return strip({k: s.get(k) for k in LRS.SAME})


def test_course_export_names_no_one_unless_asked(course, recorded, tmp_path, monkeypatch, capsys):
    from course.cli import main

    monkeypatch.setenv("COURSE_QUIZZES_DIR", str(tmp_path / "quizzes"))
    for name in ("COURSE_SERVICE_URL", "COURSE_XAPI_KEY"):
        monkeypatch.delenv(name, raising=False)
    opaque, named = tmp_path / "lrs.json", tmp_path / "named.json"
    assert main(["export", "--format", "xapi", "--out", str(opaque), "--db", recorded.url]) == 0
    assert f"xAPI statements to {opaque}" in capsys.readouterr().out
    text = opaque.read_text(encoding="utf-8")
    assert "Ann Nurse" not in text and "Bob Front-Desk" not in text
    assert json.loads(text) == xapi.statements(recorded, course)  # the same key: the same opaque ids
    assert main(["export", "--format", "xapi", "--actor", "name", "--out", str(named), "--db", recorded.url]) == 0
    assert "Ann Nurse" in named.read_text(encoding="utf-8")
