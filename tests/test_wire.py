"""What the course service sends is read back as the same thing the session gives a page or the report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

import seed
from course import report, wire
from course.bank import load_course
from course.session import CourseSession
from course.store import ResultsStore

ROOT = Path(__file__).resolve().parent.parent


def through_json(value):
    return json.loads(json.dumps(value))


def test_a_sessions_answers_survive_the_wire(tmp_path: Path) -> None:
    course = load_course(ROOT / "quizzes")
    with ResultsStore(f"sqlite:///{tmp_path / 'r.sqlite'}", outbox=tmp_path / "o.jsonl") as store:
        seed.seed(store, course)
        ann = CourseSession(course, store, seed.ANN)
        practice = ann.practice("history")
        assert wire.practice_from_json(through_json(wire.practice_to_json(practice))) == practice
        q = course.bank("history").questions[0]
        answered = ann.answer("history", q.id, ann.paper.from_bank(q, seed.ANN, seed.key_response(q)), key="k")
        assert wire.answered_from_json(through_json(wire.answered_to_json(answered))) == answered
        sitting = ann.sitting("final_assessment")
        assert sitting.state == "submitted" and sitting.score is not None
        assert wire.sitting_from_json(through_json(wire.sitting_to_json(sitting))) == sitting
        home = ann.home()
        assert wire.home_from_json(through_json(wire.home_to_json(home))) == home
        progress = ann.progress()
        assert wire.progress_from_json(through_json(wire.progress_to_json(progress))) == progress


def test_the_reports_data_survives_the_wire_and_gives_the_same_tables(tmp_path: Path) -> None:
    course = load_course(ROOT / "quizzes")
    with ResultsStore(f"sqlite:///{tmp_path / 'r.sqlite'}", outbox=tmp_path / "o.jsonl") as store:
        seed.seed(store, course)
        data = report.load(store, report.Filters(cohort=seed.NURSES))
    back = wire.data_from_json(through_json(wire.data_to_json(data)))
    pd.testing.assert_frame_equal(back.attempts, data.attempts)
    pd.testing.assert_frame_equal(back.learners, data.learners)
    assert back.filters == data.filters and back.detail is True
    here, there = report.build(data, course), report.build(back, course)
    for name in ("learner_summary", "item_analysis", "review_queue", "answers"):
        pd.testing.assert_frame_equal(getattr(here, name), getattr(there, name))


def test_a_reply_that_is_not_one_is_a_value_error() -> None:
    import pytest

    for read in (wire.grade_from_json, wire.practice_from_json, wire.sitting_from_json, wire.home_from_json, wire.data_from_json):
        with pytest.raises(ValueError):
            read({"nonsense": 1})
