"""Property: whatever a course author writes, `course validate` either accepts a bank that grades
right, or rejects it with `file:line: id: field: message`, and never ends in a traceback.

Banks are generated from the bank schema (the fields of every question model, checked against
the models so that a new field is generated too), each field absent, a value of its kind, or a
careless one (.nan, .inf, a quoted "yes", null, a list, text where a number goes, ids used twice).
An accepted bank must grade its own key right, and must not give full marks to "tick everything"
(select all that apply) or to an all-wrong response.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from course.bank import FreeText, Matching, MultipleChoice, Numeric, Ordering, SingleChoice, TrueFalse, load_bank
from course.cli import main
from course.grading import UngradableResponse, grade
from seed import key_response

MODELS = {
    "single_choice": SingleChoice,
    "multiple_choice": MultipleChoice,
    "true_false": TrueFalse,
    "numeric": Numeric,
    "ordering": Ordering,
    "matching": Matching,
    "free_text": FreeText,
}
PROBLEM = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<id>[^:]+): (?P<field>[^:]+): (?P<message>.+)$")

# --- values ---------------------------------------------------------------------------------------

finite = st.one_of(st.integers(-2000, 2000), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False))
number = st.sampled_from(["finite"] * 5 + ["special"]).flatmap(lambda kind: finite if kind == "finite" else st.sampled_from([math.nan, math.inf, -math.inf]))
"""A number as YAML may hold one: now and then .nan, .inf or -.inf."""
word = st.text(alphabet="abcdefgXY", min_size=1, max_size=8)
choice_id = st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "B"])  # "b" and "B" are the same id to an author
careless = st.one_of(
    st.none(), st.booleans(), st.just(""), st.just("  "), st.just("yes"), st.just("nan"), st.just(".inf"), st.just("a: b"),
    st.sampled_from([math.nan, math.inf, -math.inf, 0, -1, 1e300]), finite, word,
    st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.sampled_from(["x", "id"]), st.integers(0, 2), max_size=1),
)


def sometimes_careless(values: st.SearchStrategy[Any], one_in: int = 40) -> st.SearchStrategy[Any]:
    """Mostly a value of the right kind, now and then (one in ``one_in``) a careless one."""
    return st.sampled_from([False] * (one_in - 1) + [True]).flatmap(lambda mistake: careless if mistake else values)


def option() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"id": sometimes_careless(choice_id), "text": sometimes_careless(word)},
        optional={"correct": sometimes_careless(st.booleans()), "feedback": sometimes_careless(word)},
    )


def item() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"id": sometimes_careless(choice_id), "text": sometimes_careless(word)})


def pair() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"id": sometimes_careless(choice_id), "left": sometimes_careless(word), "right": sometimes_careless(word)})


def _key(value: Any) -> str:
    return str(value).strip().casefold()


def unique(*fields: str) -> tuple[Any, ...]:
    """Entries whose ``fields`` differ (a repeated id or text is a mistake of its own, made below)."""
    return tuple((lambda entry, f=f: _key(entry.get(f))) for f in fields)


FIELDS: dict[str, st.SearchStrategy[Any]] = {
    # every field of every question model, with values of its kind
    "id": st.just("(set per question)"),
    "section": word,
    "prompt": word,
    "explanation": word,
    "points": st.one_of(st.integers(1, 5), st.floats(min_value=0.1, max_value=100)),
    "critical": st.booleans(),
    "source": word,
    "topic": st.sampled_from(["safety", "monitoring", "history"]),
    "kind": st.sampled_from(["recall", "scenario"]),
    "fact": st.sampled_from(["spravato-2h", "bp-40min"]),
    "options": st.lists(option(), min_size=2, max_size=5, unique_by=unique("id", "text")),
    "answer": number,  # numeric; a true_false answer is a flag (below)
    "feedback": word,
    "tolerance": number.map(abs),
    "min": number,
    "max": number,
    "unit": word,
    "unit_aliases": st.lists(word, max_size=2),
    "items": st.lists(item(), min_size=2, max_size=5, unique_by=unique("id", "text")),
    "pairs": st.lists(pair(), min_size=2, max_size=4, unique_by=unique("id", "left", "right")),
    "distractors": st.lists(item(), max_size=2, unique_by=unique("id", "text")),
    "max_length": st.integers(1, 500),
}
REQUIRED = {"id", "section", "prompt", "explanation", "options", "answer", "items", "pairs"}
NUMERIC_KEY = ("answer", "tolerance", "min", "max")


def test_the_generator_covers_every_field_of_every_question_type() -> None:
    for name, model in MODELS.items():
        assert set(model.model_fields) - {"type"} <= set(FIELDS), f"{name}: generate the new field(s) too"


@st.composite
def questions(draw: st.DrawFn, index: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(MODELS)))
    fields = set(MODELS[kind].model_fields) - {"type", "id"}
    question: dict[str, Any] = {"id": f"q{index}", "type": kind}
    if kind == "numeric":  # a key, as authors write one: an answer (and a tolerance) or a range
        fields -= set(NUMERIC_KEY)
        form = draw(st.sampled_from([("answer",), ("answer", "tolerance"), ("min", "max"), NUMERIC_KEY[:3]]))
        for name in form:
            question[name] = draw(sometimes_careless(FIELDS[name], 6))
    for name in sorted(fields):
        optional = name not in REQUIRED
        how = draw(st.sampled_from(["value"] * 30 + ["careless", "drop"] + ["leave"] * (15 if optional else 0)))
        if how == "value":
            question[name] = draw(st.booleans()) if (kind, name) == ("true_false", "answer") else draw(FIELDS[name])
        elif how == "careless":
            question[name] = draw(careless)
    options = [o for o in question.get("options") or [] if isinstance(o, dict)] if isinstance(question.get("options"), list) else []
    if kind == "multiple_choice" and draw(st.sampled_from([False] * 2 + [True])):  # every option correct: a mistake to catch
        for o in options:
            o["correct"] = True
    if kind == "single_choice" and options and draw(st.sampled_from([True] * 2 + [False])):  # as authors write it: one right
        right = draw(st.integers(0, len(options) - 1))
        for n, o in enumerate(options):
            o["correct"] = n == right
    entries = next((question[f] for f in ("options", "items", "pairs") if isinstance(question.get(f), list) and len(question[f]) >= 2), None)
    if entries and isinstance(entries[0], dict) and isinstance(entries[1], dict) and draw(st.sampled_from([False] * 9 + [True])):
        field = draw(st.sampled_from(sorted(set(entries[0]) & set(entries[1]))))
        entries[1][field] = entries[0][field]  # an id or a text written twice
    mistake = draw(st.sampled_from(["none"] * 37 + ["used twice", "careless", "missing"]))
    if mistake == "used twice":
        question["id"] = "q0"
    elif mistake == "careless":
        question["id"] = draw(careless)
    elif mistake == "missing":
        del question["id"]
    return question


@st.composite
def banks(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.sampled_from([1, 1, 2, 3]))
    bank: dict[str, Any] = {
        "quiz": "demo",
        "title": "Demo",
        "lesson": "01_demo.ipynb",
        "mode": draw(st.sampled_from(["practice", "practice", "assessment"])),
        "questions": [draw(questions(n)) for n in range(count)],
    }
    if bank["mode"] == "assessment" or draw(st.booleans()):
        bank["pass_mark"] = draw(sometimes_careless(st.integers(0, 100), 6))
    return bank


# --- responses ------------------------------------------------------------------------------------

key_of = key_response  # the key's own response (tests/seed.py)


def all_wrong(q: Any) -> Any:
    if isinstance(q, SingleChoice):
        return next(o.id for o in q.options if not o.correct)
    if isinstance(q, MultipleChoice):
        return [o.id for o in q.options if not o.correct]
    if isinstance(q, TrueFalse):
        return not q.answer
    if isinstance(q, Numeric):
        if q.answer is not None:
            return q.answer + 2 * (q.tolerance + max(1.0, abs(q.answer)))
        return q.max + 2 * max(1.0, abs(q.max))
    if isinstance(q, Ordering):
        return [i.id for i in reversed(q.items)]
    if isinstance(q, Matching):
        ids = [p.id for p in q.pairs]
        return {pid: ids[(n + 1) % len(ids)] for n, pid in enumerate(ids)}
    raise AssertionError(q)


def validate(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["validate", "--no-lessons", str(path)])
    return status, out.getvalue(), err.getvalue()


def _bank(*questions: dict[str, Any]) -> dict[str, Any]:
    return {"quiz": "demo", "title": "Demo", "lesson": "01_demo.ipynb", "mode": "practice", "questions": list(questions)}


_Q = {"section": "S", "prompt": "P?", "explanation": "Because."}
_ALL_RIGHT = [{"id": "a", "text": "A", "correct": True}, {"id": "b", "text": "B", "correct": True}]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(bank=banks())
# the banks of the issue, always tried: no response can be right, every number is right, tick everything
@example(bank=_bank({"id": "n", "type": "numeric", "answer": math.nan, **_Q}))
@example(bank=_bank({"id": "n", "type": "numeric", "min": math.nan, "max": 3, **_Q}))
@example(bank=_bank({"id": "n", "type": "numeric", "answer": 3, "tolerance": math.inf, **_Q}))
@example(bank=_bank({"id": "m", "type": "multiple_choice", "options": _ALL_RIGHT, **_Q}))
def test_validate_accepts_only_banks_that_grade_right_and_names_every_mistake(tmp_path_factory, bank: dict[str, Any]) -> None:
    path = tmp_path_factory.mktemp("bank") / "demo.yaml"
    text = yaml.safe_dump(bank, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    status, out, err = validate(path)  # an exception here (a traceback) fails the test
    assert status in (0, 1) and err == ""
    lines = out.splitlines()
    if status == 1:
        assert lines[-1].startswith("1 error" if len(lines) == 2 else f"{len(lines) - 1} errors")
        last_line = max(1, len(text.splitlines()))
        for problem in lines[:-1]:
            found = PROBLEM.match(problem)
            assert found, f"not file:line: id: field: message: {problem!r}"
            assert found["file"] == str(path) or Path(found["file"]).resolve() == path.resolve()
            assert 1 <= int(found["line"]) <= last_line, problem
            assert found["message"].strip(), problem
        return
    ok = f"ok: 1 bank file, {len(bank['questions'])} question{'s' * (len(bank['questions']) != 1)}, no errors"
    assert lines[-1] == ok + (f", {len(lines) - 1} warning{'s' * (len(lines) != 2)} to look at" if len(lines) > 1 else "")
    assert all(PROBLEM.match(w) and ": warning: " in w for w in lines[:-1]), lines  # authors' warnings (issue 11) do not fail
    loaded = load_bank(path)
    for q in loaded.questions:
        if isinstance(q, FreeText):
            assert grade(q, "A written answer."[: q.max_length]).pending
            continue
        right = grade(q, key_of(q))
        assert right.correct and right.score == q.points, (q, right)
        wrong = grade(q, all_wrong(q))
        assert not wrong.correct and wrong.score < q.points, (q, wrong)
        if isinstance(q, MultipleChoice):
            everything = grade(q, [o.id for o in q.options])
            assert not everything.correct, (q, everything)


def test_a_typed_key_is_read_as_the_key() -> None:
    """The key of an accepted numeric question, typed as a learner types it, gets full marks too."""
    q = Numeric(type="numeric", id="n", section="S", prompt="P", explanation="E", answer=1970, unit="AD")
    assert grade(q, "1970").correct and grade(q, " 1970 AD ").correct
    try:
        grade(q, "1.970")
    except UngradableResponse as asked:
        assert "1970 or as 1.97" in str(asked)
    else:
        raise AssertionError("1.970 was guessed")
