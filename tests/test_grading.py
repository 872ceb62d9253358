"""Grading: every question type, every partial-credit policy, and properties that must always hold."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.bank import FreeText, Matching, MultipleChoice, Numeric, Ordering, SingleChoice, TrueFalse
from course.grading import Grade, UngradableResponse, grade, parse_number, score_quiz
from seed import key_response

COMMON = dict(section="S", prompt="P", explanation="Because.")


def single(**kw):
    return SingleChoice(type="single_choice", id="q-single", options=[
        {"id": "a", "text": "A", "feedback": "A is wrong because of X."},
        {"id": "b", "text": "B", "correct": True, "feedback": "Yes."},
        {"id": "c", "text": "C"},
    ], **{**COMMON, **kw})


def multiple(**kw):
    return MultipleChoice(type="multiple_choice", id="q-multi", options=[
        {"id": "a", "text": "A", "correct": True},
        {"id": "b", "text": "B", "correct": True},
        {"id": "c", "text": "C", "correct": True},
        {"id": "d", "text": "D", "feedback": "D is a distractor."},
        {"id": "e", "text": "E"},
    ], **{**COMMON, **kw})


def numeric(**kw):
    fields = {"answer": 40, "unit": "minutes", "unit_aliases": ["min", "mins"]}
    fields.update(kw)
    return Numeric(type="numeric", id="q-num", **COMMON, **fields)


def ordering(n=4):
    return Ordering(type="ordering", id="q-order", items=[{"id": f"i{k}", "text": f"Item {k}"} for k in range(n)], **COMMON)


def matching():
    return Matching(type="matching", id="q-match", pairs=[
        {"id": "x", "left": "X", "right": "ex"},
        {"id": "y", "left": "Y", "right": "why"},
        {"id": "z", "left": "Z", "right": "zed"},
        {"id": "w", "left": "W", "right": "double-u"},
    ], distractors=[{"id": "none", "text": "nothing"}], **COMMON)


# --- single choice, true/false ------------------------------------------------------------------


def test_single_choice_right_and_wrong():
    g = grade(single(), "b")
    assert (g.score, g.max_score, g.correct) == (1, 1, True)
    assert g.explanation == "Because." and g.feedback == ("Yes.",)
    g = grade(single(points=3), "a")
    assert (g.score, g.max_score, g.correct) == (0, 3, False)
    assert g.feedback == ("A is wrong because of X.",)


@pytest.mark.parametrize("response", [None, "", "  ", "zz", ["b"], 2])
def test_single_choice_ungradable(response):
    with pytest.raises(UngradableResponse):
        grade(single(), response)


def test_true_false():
    q = TrueFalse(type="true_false", id="q-tf", answer=False, feedback="It is false because…", **COMMON)
    assert grade(q, False).correct
    g = grade(q, True)
    assert not g.correct and g.score == 0 and g.feedback == ("It is false because…",)
    assert grade(q, "false").correct
    with pytest.raises(UngradableResponse):
        grade(q, None)


# --- multiple choice: right minus wrong over the number right, floored at 0 ----------------------


@pytest.mark.parametrize(
    "chosen, expected",
    [
        ({"a", "b", "c"}, 1.0),
        ({"a", "b"}, 2 / 3),
        ({"a"}, 1 / 3),
        ({"a", "b", "c", "d"}, 2 / 3),
        ({"a", "d"}, 0.0),
        ({"a", "d", "e"}, 0.0),  # floored, never negative
        ({"d", "e"}, 0.0),
    ],
)
def test_multiple_choice_partial_credit(chosen, expected):
    g = grade(multiple(points=3), chosen)
    assert g.score == pytest.approx(3 * expected)
    assert g.correct is (expected == 1.0)


def test_multiple_choice_feedback_for_each_choice():
    assert grade(multiple(), ["a", "d"]).feedback == ("D is a distractor.",)


@pytest.mark.parametrize("response", [[], set(), "a", None, ["a", "zz"]])
def test_multiple_choice_ungradable(response):
    with pytest.raises(UngradableResponse):
        grade(multiple(), response)


# --- numeric ------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["40", " 40 ", "40.0", "40 minutes", "40 min", "40 MIN", "40min", 40, 40.0])
def test_numeric_accepts_what_a_learner_types(typed):
    assert grade(numeric(), typed).correct


@pytest.mark.parametrize("typed", ["41", "39.5", 0, "-40"])
def test_numeric_wrong(typed):
    g = grade(numeric(), typed)
    assert not g.correct and g.score == 0


def test_numeric_tolerance_and_range():
    assert grade(numeric(tolerance=5), "45").correct
    assert not grade(numeric(tolerance=5), "45.5").correct
    q = Numeric(type="numeric", id="q-range", min=6, max=8, **COMMON)
    assert [grade(q, v).correct for v in ("5", "6", "7.5", "8", "9")] == [False, True, True, True, False]


@pytest.mark.parametrize(
    "typed, value",
    [
        ("1970", 1970), ("1 970", 1970), ("0,5", 0.5), ("0.5", 0.5), ("-3", -3), ("12 %", 12),
        ("1,234,567.5", 1234567.5), ("1.234.567", 1234567), ("1,234,567", 1234567), ("1.234,5", 1234.5),
        ("12,75", 12.75), ("0,500", 0.5), ("0.500", 0.5), ("1.2345", 1.2345), ("1234,567", 1234.567), ("1.5e3", 1500),
    ],
)
def test_parse_number(typed, value):
    assert parse_number(typed, units=["%"]) == pytest.approx(value)


@pytest.mark.parametrize(
    "typed, thousands, decimal",
    [("1.970", "1970", "1.97"), ("1,970", "1970", "1.97"), ("1.500", "1500", "1.5"), ("1,500", "1500", "1.5"), ("-2,250", "-2250", "-2.25"), ("40.000 min", "40000", "40")],
)
def test_a_number_that_reads_two_ways_is_asked_again_never_guessed(typed, thousands, decimal):
    """One separator and then three digits is a decimal point in some countries and a thousands
    separator in others: the learner is asked which, whatever the key (a message must never
    depend on the key, or typing "1.970" would tell a learner the answer is 1970)."""
    for answer in (1970, 1.97, 1500, 1.5, 40):
        q = numeric(answer=answer)
        with pytest.raises(UngradableResponse) as asked:
            grade(q, typed)
        assert str(asked.value) == (
            f"“{typed}” can be read as {thousands} or as {decimal}. "
            f"Please type it again without a thousands separator: {thousands} or {decimal}."
        )
    assert grade(numeric(answer=float(thousands)), thousands).correct  # typed again, it is graded


def test_an_unreadable_number_quotes_only_a_short_prefix_of_what_was_typed():
    for typed in ("abc" * 3334, "40 " + "x" * 10_000, "1" * 10_000, "forty minutes and some more words here", "\n".join(["x"] * 50)):
        with pytest.raises(UngradableResponse) as refused:
            grade(numeric(), typed)
        message = str(refused.value)
        assert len(message) < 120, message
        assert typed[:30] not in message  # never the whole input, nor a long part of it
    with pytest.raises(UngradableResponse) as refused:
        grade(numeric(), "forty minutes and some more words here")
    assert str(refused.value) == "“forty minutes and s…” is not a number. Please type digits, for example 40."
    with pytest.raises(UngradableResponse) as refused:
        grade(numeric(), "40 " + "x" * 60)
    assert str(refused.value) == "Please give the answer in minutes (you wrote “xxxxxxxxxxxxxxxxxxx…”)."


@pytest.mark.parametrize("typed", ["abc", "", "   ", "forty", "40 hours", "4 0 0 0", "nan", "inf", "1..2"])
def test_numeric_ungradable_with_a_message(typed):
    with pytest.raises(UngradableResponse) as info:
        grade(numeric(), typed)
    assert info.value.args[0]  # a message for the learner
    assert "Traceback" not in str(info.value)


def test_numeric_unit_mismatch_names_the_unit():
    with pytest.raises(UngradableResponse, match="minutes"):
        grade(numeric(), "1 hour")


def test_numeric_without_unit_refuses_a_unit():
    q = Numeric(type="numeric", id="q-year", answer=1970, **COMMON)
    assert grade(q, "1 970").correct and grade(q, "1970").correct
    with pytest.raises(UngradableResponse, match="just the number"):
        grade(q, "1970 AD")


# --- ordering: share of pairs in the right relative order ----------------------------------------


@pytest.mark.parametrize(
    "order, expected",
    [
        (["i0", "i1", "i2", "i3"], 1.0),
        (["i3", "i2", "i1", "i0"], 0.0),
        (["i1", "i0", "i2", "i3"], 5 / 6),
        (["i0", "i2", "i1", "i3"], 5 / 6),
        (["i3", "i0", "i1", "i2"], 3 / 6),
    ],
)
def test_ordering_partial_credit(order, expected):
    g = grade(ordering(), order)
    assert g.score == pytest.approx(expected)
    assert g.correct is (expected == 1.0)


@pytest.mark.parametrize(
    "order, out_of_place",
    [
        (["i0", "i1", "i2", "i3"], ()),
        (["i1", "i2", "i3", "i0"], ("Item 0",)),  # one item to move, though every position is wrong
        (["i1", "i0", "i3", "i2"], ("Item 1", "Item 3")),
        (["i0", "i3", "i1", "i2"], ("Item 3",)),
    ],
)
def test_ordering_says_which_items_to_move(order, out_of_place):
    assert grade(ordering(), order).out_of_place == out_of_place


@pytest.mark.parametrize("response", [["i0", "i1", "i2"], ["i0", "i1", "i2", "i2"], ["i0", "i1", "i2", "x"], "i0i1", None])
def test_ordering_incomplete_is_ungradable(response):
    with pytest.raises(UngradableResponse):
        grade(ordering(), response)


# --- matching: share of pairs right ---------------------------------------------------------------


def test_matching_partial_credit():
    right = {"x": "x", "y": "y", "z": "z", "w": "w"}
    assert grade(matching(), right).correct
    g = grade(matching(), {**right, "x": "y", "y": "x"})
    assert g.score == pytest.approx(0.5) and not g.correct
    assert grade(matching(), {**right, "w": "none"}).score == pytest.approx(0.75)


def test_matching_says_which_items_are_matched_wrongly():
    right = {"x": "x", "y": "y", "z": "z", "w": "w"}
    assert grade(matching(), right).out_of_place == ()
    assert grade(matching(), {**right, "x": "y", "y": "x"}).out_of_place == ("X", "Y")


@pytest.mark.parametrize("response", [{"x": "x"}, {"x": "x", "y": "y", "z": "z", "w": None}, {"x": "x", "y": "y", "z": "z", "w": "??"}, ["x"]])
def test_matching_incomplete_is_ungradable(response):
    with pytest.raises(UngradableResponse):
        grade(matching(), response)


# --- free text -----------------------------------------------------------------------------------


def test_free_text_is_pending_not_zero():
    q = FreeText(type="free_text", id="q-free", points=2, max_length=30, **COMMON)
    g = grade(q, "Not a cure but a tool.")
    assert g.pending and not g.correct and g.max_score == 2
    with pytest.raises(UngradableResponse):
        grade(q, "   ")
    with pytest.raises(UngradableResponse, match="30 characters"):
        grade(q, "x" * 31)


# --- a whole quiz --------------------------------------------------------------------------------


def test_score_quiz_totals_pass_mark_and_critical():
    safe = single(critical=True)
    other = multiple(points=3)
    free = FreeText(type="free_text", id="q-free", **COMMON)
    qs = [safe, other, free]
    grades = {"q-single": grade(safe, "b"), "q-multi": grade(other, ["a", "b"]), "q-free": grade(free, "text")}
    s = score_quiz(qs, grades, pass_mark=70)
    assert (s.total, s.maximum) == (3, 4)
    assert s.percent == pytest.approx(75) and s.pending == ("q-free",)
    assert not s.passed  # not final while a written answer waits for the trainer
    grades["q-free"] = Grade("q-free", 2.0, 2.0, True)  # once the trainer has scored it 2 of 2
    s = score_quiz(qs, grades, pass_mark=70)
    assert (s.total, s.maximum, s.pending) == (5, 6, ()) and s.passed
    grades["q-free"] = grade(free, "text")
    grades["q-single"] = grade(safe, "a")
    s = score_quiz(qs, grades, pass_mark=40)
    assert s.percent == pytest.approx(50) and not s.passed and s.critical_missed == ("q-single",)


def test_score_quiz_unanswered_count_against_you():
    s = score_quiz([single(), multiple()], {"q-single": grade(single(), "b")}, pass_mark=50)
    assert (s.total, s.maximum, s.unanswered) == (1, 2, ("q-multi",))
    assert s.passed


def test_score_quiz_pass_mark_boundary():
    q = [single(), multiple(points=4)]
    grades = {"q-single": grade(single(), "b"), "q-multi": grade(multiple(points=4), ["a", "b", "c"])}
    assert score_quiz(q, grades, pass_mark=100).passed
    grades["q-multi"] = grade(multiple(points=3), ["a", "b"])
    assert not score_quiz(q, grades, pass_mark=80).passed  # 3 of 4 = 75%... of 5 points


# --- properties -----------------------------------------------------------------------------------

ids = st.lists(st.sampled_from(list("abcde")), unique=True)


@given(chosen=ids.filter(bool), points=st.floats(min_value=0.5, max_value=10))
def test_multiple_choice_score_within_bounds(chosen, points):
    g = grade(multiple(points=points), chosen)
    assert 0 <= g.score <= g.max_score == points


@given(perm=st.permutations([f"i{k}" for k in range(6)]))
def test_ordering_score_within_bounds(perm):
    g = grade(ordering(6), perm)
    assert 0 <= g.score <= g.max_score
    assert g.correct == (list(perm) == [f"i{k}" for k in range(6)])
    # moving the items named out of place (and only them) can give the right order
    kept = [item for item in perm if f"Item {item[1:]}" not in g.out_of_place]
    assert kept == sorted(kept, key=lambda item: int(item[1:]))
    assert g.correct == (not g.out_of_place)


@given(choice=st.dictionaries(st.sampled_from("xyzw"), st.sampled_from(["x", "y", "z", "w", "none"]), min_size=4))
def test_matching_score_within_bounds(choice):
    g = grade(matching(), choice)
    assert 0 <= g.score <= g.max_score


@given(value=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9))
def test_numeric_score_is_all_or_nothing(value):
    g = grade(numeric(tolerance=1), value)
    assert g.score in (0, 1)


def course_questions():
    from course.bank import load_course

    return [q for b in load_course().banks.values() for q in b.questions if q.gradable]


@pytest.mark.parametrize("q", course_questions(), ids=lambda q: q.id)
def test_the_key_always_earns_full_marks(q):
    g = grade(q, key_response(q))
    assert g.correct and g.score == g.max_score


@settings(max_examples=60)
@given(data=st.data())
def test_reordering_options_never_changes_a_grade(data):
    for make in (single, multiple):
        q = make()
        shuffled = data.draw(st.permutations(q.options))
        q2 = q.model_copy(update={"options": list(shuffled)})
        response = data.draw(st.sampled_from([o.id for o in q.options])) if make is single else data.draw(ids.filter(bool))
        assert grade(q, response) == grade(q2, response)
    m = matching()
    shuffled_pairs = data.draw(st.permutations(m.pairs))
    m2 = m.model_copy(update={"pairs": list(shuffled_pairs)})
    response = data.draw(st.fixed_dictionaries({k: st.sampled_from(["x", "y", "z", "w", "none"]) for k in "xyzw"}))
    g, g2 = grade(m, response), grade(m2, response)
    assert replace(g, out_of_place=()) == replace(g2, out_of_place=())
    assert sorted(g.out_of_place) == sorted(g2.out_of_place)  # named in the order the pairs are shown
