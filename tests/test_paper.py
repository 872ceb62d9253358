"""The learner's paper: questions without their keys, and responses translated to and from the bank."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.bank import Matching, MultipleChoice, Ordering, SingleChoice, load_course
from course.grading import UngradableResponse, grade
from course.paper import Paper, PaperQuestion
from seed import key_response, wrong_response

COURSE = load_course()
QUESTIONS = [q for b in COURSE.banks.values() for q in b.questions]
learners = st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=20)


def paper_of(q, learner="Ann Nurse", secret=b""):
    return Paper(secret).question(q, learner, quiz="quiz", number=1, count=1)


def key_texts(q) -> list[str]:
    """What would give the answer away if a page held it."""
    texts = [q.explanation]
    for option in getattr(q, "options", []):
        if option.feedback:
            texts.append(option.feedback)
    if getattr(q, "feedback", None):
        texts.append(q.feedback)
    return texts


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.id)
def test_a_paper_question_holds_no_key(q):
    data = json.dumps(paper_of(q).to_json())
    for text in key_texts(q):
        assert text not in data
    assert '"correct"' not in data and '"answer"' not in data and '"explanation"' not in data
    if isinstance(q, Ordering):
        assert [c.text for c in paper_of(q).items] != [i.text for i in q.items]  # never shown in order
    if isinstance(q, Matching):
        shown = paper_of(q)
        assert {c.text for c in shown.rights} == {r.text for r in q.right_items()}
        assert [c.id for c in shown.lefts] == [str(n) for n in range(1, len(q.pairs) + 1)]
    if isinstance(q, (SingleChoice, MultipleChoice)):
        ids = [c.id for c in paper_of(q).options]
        assert ids == [str(n) for n in range(1, len(q.options) + 1)]  # positions, never the bank's ids


@pytest.mark.parametrize("q", [q for q in QUESTIONS if q.gradable], ids=lambda q: q.id)
def test_the_key_given_on_the_paper_is_graded_right_and_a_wrong_answer_wrong(q):
    paper = Paper(b"a secret")
    for learner in ("Ann Nurse", "Bob Front-Desk"):
        on_paper = paper.from_bank(q, learner, key_response(q))
        assert grade(q, paper.to_bank(q, learner, on_paper)).correct
        wrong = paper.from_bank(q, learner, wrong_response(q))
        assert not grade(q, paper.to_bank(q, learner, wrong)).correct


@settings(max_examples=80)
@given(learner=learners, secret=st.binary(max_size=16), index=st.integers(min_value=0, max_value=len(QUESTIONS) - 1))
def test_a_question_round_trips_through_json_and_shows_the_same_order_every_time(learner, secret, index):
    q = QUESTIONS[index]
    shown = Paper(secret).question(q, learner, quiz="quiz", number=3, count=9)
    assert PaperQuestion.from_json(json.loads(json.dumps(shown.to_json()))) == shown
    assert Paper(secret).question(q, learner, quiz="quiz", number=3, count=9) == shown


def test_the_order_shown_depends_on_the_secret():
    orderings = [q for q in QUESTIONS if isinstance(q, Ordering) and len(q.items) >= 4]
    without = [[c.text for c in paper_of(q).items] for q in orderings]
    with_secret = [[c.text for c in paper_of(q, secret=b"service secret").items] for q in orderings]
    assert without != with_secret


def test_a_choice_not_on_the_paper_is_ungradable_not_wrong():
    q = next(q for q in QUESTIONS if isinstance(q, SingleChoice))
    for bad in ("0", str(len(q.options) + 1), "protocol", "1.5"):
        with pytest.raises(UngradableResponse, match="not one of the choices"):
            Paper().to_bank(q, "Ann Nurse", bad)
    assert Paper().to_bank(q, "Ann Nurse", None) is None  # nothing chosen: grading says so


def test_a_stored_answer_to_a_changed_question_is_dropped_not_misplaced():
    q = next(q for q in QUESTIONS if isinstance(q, Ordering))
    assert Paper().from_bank(q, "Ann Nurse", ["not", "these"]) is None
    m = next(q for q in QUESTIONS if isinstance(q, Matching))
    assert Paper().from_bank(m, "Ann Nurse", {"gone": m.pairs[0].id}) == {}


def test_a_malformed_paper_question_is_a_value_error():
    with pytest.raises(ValueError, match="not a paper question"):
        PaperQuestion.from_json({"id": "x"})
