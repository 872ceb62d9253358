"""course.report on a small data set built here, with every expected figure worked out by hand.

The course (four banks written below) and the answers (recorded through a real ResultsStore on a
SQLite file) are chosen so that the figures are easy to check with pencil and paper:

    banks (lesson order)            questions (points)
    01_basics    basics             b-single (1), b-multi (1), b-tf (1), b-num (1), b-free (2, free text)
    02_safety    safety             s-order (3, ordering of 3 items), s-crit (1, critical)
    03_extra     extra              e-once (1), e-never (1: nobody answers it)
    04_final     final_assessment   f-one (1), f-crit (1, critical) + 1 drawn from safety; pass mark 75

    learners: ann, bob, fay (cohort north); cat, dan, eve (cohort south); fay never answers.

First attempts in basics, 2 March (score in brackets):

            b-single  b-multi (p, q right)  b-tf    b-num   b-free (2 points)
    ann     "b" (0)   [r] (0)               F (0)   40 (1)  reviewed: 1 by tina, then 2 by sam
    bob     "a" (1)   [p] (.5)              T (1)   40 (1)  pending
    cat     "a" (1)   [q] (.5)              T (1)   40 (1)
    dan     "c" (0)   [p, q, r] (.5)        F (0)   40 (1)  (written 4 March) pending
    eve     "a" (1)   [p] (.5)              T (1)   "40" (1)

3 March: retries: ann b-single "a" (1), b-multi [p, q] (1), b-tf T (1); dan b-single "a" (1).
3 March: safety, first attempts: s-order ann [1,2,3] (3), bob [2,1,3] (2), cat [1,3,2] (2),
dan [3,2,1] (0), eve [1,2,3] (3); s-crit everyone "no" (0); ann, bob, cat retry s-crit "ok" (1).
4 March: ann e-once false (1).
Final assessment sittings (f-one, f-crit, then s-order drawn from safety):
    ann 6 March: "a" (1), T (1), [1,2,3] (3)   5/5 = 100%            passed
    bob 6 March: "a" (1), F (0), [1,2,3] (3)   4/5 =  80%, f-crit missed  failed
    bob 8 March: "a" (1), T (1), [1,2,3] (3)   5/5 = 100%            passed (retake)
    cat 6 March: "b" (0), T (1), [3,2,1] (0)   1/5 =  20%            failed
    dan 6 March: "a" (1), F (0), [1,2,3] (3)   4/5 =  80%, f-crit missed  failed
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from course import progress, report
from course.bank import Course, load_course
from course.grading import grade
from course.report import Filters
from course.store import Attempt, ResultsStore, StoreError

BASICS = """\
quiz: basics
title: Basics
lesson: 01_basics.ipynb
mode: practice
questions:
  - id: b-single
    type: single_choice
    section: One
    prompt: Pick a.
    options:
      - {id: a, text: The right one, correct: true}
      - {id: b, text: A wrong one}
      - {id: c, text: Another wrong one}
    explanation: a is right.
  - id: b-multi
    type: multiple_choice
    section: One
    prompt: Tick p and q.
    options:
      - {id: p, text: P, correct: true}
      - {id: q, text: Q, correct: true}
      - {id: r, text: R}
    explanation: p and q.
  - id: b-tf
    type: true_false
    section: Two
    prompt: True?
    answer: true
    explanation: It is true.
  - id: b-num
    type: numeric
    section: Two
    prompt: How many minutes?
    answer: 40
    explanation: Forty.
  - id: b-free
    type: free_text
    section: Two
    prompt: Explain it in your own words.
    points: 2
    explanation: A model answer.
"""

SAFETY = """\
quiz: safety
title: Safety
lesson: 02_safety.ipynb
mode: practice
questions:
  - id: s-order
    type: ordering
    section: Steps
    prompt: Put the steps in order.
    points: 3
    items:
      - {id: i1, text: First}
      - {id: i2, text: Second}
      - {id: i3, text: Third}
    explanation: First, second, third.
  - id: s-crit
    type: single_choice
    section: Steps
    prompt: Is it safe?
    critical: true
    options:
      - {id: ok, text: Check first, correct: true}
      - {id: "no", text: Go ahead}
    explanation: Check first.
"""

EXTRA = """\
quiz: extra
title: Extra
lesson: 03_extra.ipynb
mode: practice
questions:
  - id: e-once
    type: true_false
    section: Extra
    prompt: False?
    answer: false
    explanation: It is false.
  - id: e-never
    type: numeric
    section: Extra
    prompt: Seven?
    answer: 7
    explanation: Seven.
"""

FINAL = """\
quiz: final_assessment
title: Final assessment
lesson: 04_final_assessment.ipynb
mode: assessment
pass_mark: 75
draw:
  banks: [safety]
  count: 1
questions:
  - id: f-one
    type: single_choice
    section: Final
    prompt: Pick a.
    options:
      - {id: a, text: Right, correct: true}
      - {id: b, text: Wrong}
    explanation: a.
  - id: f-crit
    type: true_false
    section: Final
    prompt: Safety first?
    answer: true
    critical: true
    explanation: Yes.
"""

MAR = datetime(2026, 3, 1, tzinfo=timezone.utc)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time on the given day of March 2026 (UTC)."""
    return MAR + timedelta(days=day - 1, hours=hour, minutes=minute)


def write_course(folder: Path, **changes: str) -> Course:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"01_basics.yaml": BASICS, "02_safety.yaml": SAFETY, "03_extra.yaml": EXTRA, "04_final.yaml": FINAL}
    files.update(changes)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return load_course(folder, notebooks=None)


class World:
    """The store and course above, and the keys of the answers the tests refer to."""

    def __init__(self, folder: Path, url: str | None = None):
        self.folder = folder
        self.course = write_course(folder / "quizzes")
        self.url = url or f"sqlite:///{folder / 'results.sqlite'}"
        self.store = ResultsStore(self.url, outbox=folder / "outbox.jsonl")
        self.keys: dict[str, str] = {}
        for name, cohort in [("ann", "north"), ("bob", "north"), ("fay", "north"), ("cat", "south"), ("dan", "south"), ("eve", "south")]:
            self.store.ensure_learner(name, cohort)
        self._record()

    def answer(self, learner: str, quiz: str, question: str, response: object, when: datetime, submission: str | None = None, label: str | None = None) -> None:
        bank, q = self.course.question(question)
        g = grade(q, response)
        attempt = Attempt(
            learner=learner, quiz=quiz, question=question, question_type=q.type, bank_version=bank.version,
            mode=self.course.bank(quiz).mode, response=response,
            score=None if g.pending else g.score, max_score=g.max_score, correct=None if g.pending else g.correct,
            submission=submission, answered_at=when,
        )
        self.store.record(attempt)
        if label:
            self.keys[label] = attempt.key

    def _record(self) -> None:
        first = {
            "ann": ("b", ["r"], False, 40),
            "bob": ("a", ["p"], True, 40),
            "cat": ("a", ["q"], True, 40),
            "dan": ("c", ["p", "q", "r"], False, 40),
            "eve": ("a", ["p"], True, "40"),
        }
        for n, (learner, (single, multi, tf, num)) in enumerate(first.items()):
            for m, (question, response) in enumerate([("b-single", single), ("b-multi", multi), ("b-tf", tf), ("b-num", num)]):
                self.answer(learner, "basics", question, response, at(2, 9 + n, m), label=f"{learner} {question}")
        self.answer("ann", "basics", "b-free", "My words.", at(2, 9, 30), label="ann b-free")
        self.answer("bob", "basics", "b-free", "Bob's words.", at(2, 10, 30), label="bob b-free")
        self.store.add_review(self.keys["ann b-free"], score=1.0, reviewer="tina", comment="A start.")
        self.store.add_review(self.keys["ann b-free"], score=2.0, reviewer="sam", comment="Full marks.")
        self.answer("ann", "basics", "b-single", "a", at(3, 10, 0))
        self.answer("ann", "basics", "b-multi", ["p", "q"], at(3, 10, 1))
        self.answer("ann", "basics", "b-tf", True, at(3, 10, 2))
        self.answer("dan", "basics", "b-single", "a", at(3, 10, 3))
        orders = {"ann": ["i1", "i2", "i3"], "bob": ["i2", "i1", "i3"], "cat": ["i1", "i3", "i2"], "dan": ["i3", "i2", "i1"], "eve": ["i1", "i2", "i3"]}
        for n, (learner, order) in enumerate(orders.items()):
            self.answer(learner, "safety", "s-order", order, at(3, 11, 2 * n))
            self.answer(learner, "safety", "s-crit", "no", at(3, 11, 2 * n + 1), label=f"{learner} s-crit")
        for n, learner in enumerate(["ann", "bob", "cat"]):
            self.answer(learner, "safety", "s-crit", "ok", at(3, 11, 30 + n))
        self.answer("ann", "extra", "e-once", False, at(4, 9), label="ann e-once")
        self.answer("dan", "basics", "b-free", "Dan's words.", at(4, 10), label="dan b-free")
        sittings = [
            ("ann", "ann-1", at(6, 10), ("a", True, ["i1", "i2", "i3"])),
            ("bob", "bob-1", at(6, 11), ("a", False, ["i1", "i2", "i3"])),
            ("cat", "cat-1", at(6, 12), ("b", True, ["i3", "i2", "i1"])),
            ("dan", "dan-1", at(6, 13), ("a", False, ["i1", "i2", "i3"])),
            ("bob", "bob-2", at(8, 10), ("a", True, ["i1", "i2", "i3"])),
        ]
        for learner, submission, when, (one, crit, order) in sittings:
            for m, (question, response) in enumerate([("f-one", one), ("f-crit", crit), ("s-order", order)]):
                self.answer(learner, "final_assessment", question, response, when + timedelta(seconds=m), submission=submission)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The data set, shared by the tests that only read it."""
    w = World(tmp_path_factory.mktemp("report"))
    yield w
    w.store.close()


@pytest.fixture
def fresh(tmp_path: Path) -> World:
    """The same data set, for a test that changes it."""
    w = World(tmp_path)
    yield w
    w.store.close()


def row(frame: pd.DataFrame, **where: object) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= (frame[column] == value).to_numpy()
    assert mask.sum() == 1, f"{mask.sum()} rows match {where}"
    return frame[mask].iloc[0]


# --- loading and answers ---------------------------------------------------------------------------


def test_answers_one_row_per_attempt_in_answer_order(world: World) -> None:
    a = report.answers(world.store, world.course)
    assert list(a.columns) == list(report.ANSWER_COLUMNS)
    # 20 first tries in basics + 3 free texts + 4 retries + 10 safety + 3 s-crit retries + 1 extra + 5 sittings x 3
    assert len(a) == 20 + 3 + 4 + 10 + 3 + 1 + 15 == 56
    assert a["answered_at"].is_monotonic_increasing
    assert str(a["answered_at"].dt.tz) == "UTC"
    first = a.iloc[0]
    assert (first["learner"], first["cohort"], first["quiz"], first["lesson"], first["question"]) == ("ann", "north", "basics", "01_basics.ipynb", "b-single")
    assert (first["mode"], first["response"], first["score"], first["max_score"], bool(first["correct"])) == ("practice", '"b"', 0.0, 1.0, False)
    assert first["key"] == world.keys["ann b-single"] and first["bank_version"] == world.course.bank("basics").version
    assert first["answered_at"] == pd.Timestamp(at(2, 9, 0))
    assert set(a.loc[a["quiz"] == "final_assessment", "mode"]) == {"assessment"}
    assert a.loc[a["submission"] == "bob-2", "question"].tolist() == ["f-one", "f-crit", "s-order"]


def test_answers_free_text_latest_review_and_effective_score(world: World) -> None:
    a = report.answers(world.store, world.course)
    ann = row(a, key=world.keys["ann b-free"])
    assert math.isnan(ann["score"]) and ann["correct"] is pd.NA  # as stored: a free-text score waits for a trainer
    assert (ann["review_score"], ann["reviewer"], ann["review_comment"]) == (2.0, "sam", "Full marks.")  # the later of 2 reviews
    assert ann["effective_score"] == 2.0
    bob = row(a, key=world.keys["bob b-free"])
    assert math.isnan(bob["review_score"]) and pd.isna(bob["reviewer"])
    assert math.isnan(bob["effective_score"])  # pending: NaN, never 0
    gradable = a[a["question_type"] != "free_text"]
    assert (gradable["effective_score"] == gradable["score"]).all()


def test_learners_without_answers_are_listed(world: World) -> None:
    data = report.load(world.store)
    assert list(data.learners["learner"]) == ["ann", "bob", "cat", "dan", "eve", "fay"]
    assert list(data.attempts["learner"].cat.categories) == ["ann", "bob", "cat", "dan", "eve", "fay"]
    assert list(data.attempts.columns) == list(report.CORE_COLUMNS + report.DETAIL_COLUMNS)
    core = report.load(world.store, detail=False)
    assert list(core.attempts.columns) == list(report.CORE_COLUMNS)
    pd.testing.assert_frame_equal(core.attempts, data.attempts[list(report.CORE_COLUMNS)])
    with pytest.raises(ValueError, match="detail=True"):
        report.answers(core, world.course)


# --- progress ---------------------------------------------------------------------------------------


def test_progress_matrix_status_and_percent(world: World) -> None:
    status = report.progress_matrix(world.store, world.course)
    assert list(status.columns) == ["basics", "safety", "extra", "final_assessment"]  # lesson order
    assert status.to_dict("index") == {
        "ann": {"basics": "done", "safety": "done", "extra": "in progress", "final_assessment": "passed"},
        "bob": {"basics": "done", "safety": "done", "extra": "not started", "final_assessment": "passed"},
        "cat": {"basics": "in progress", "safety": "done", "extra": "not started", "final_assessment": "failed"},
        "dan": {"basics": "done", "safety": "done", "extra": "not started", "final_assessment": "failed"},
        "eve": {"basics": "in progress", "safety": "done", "extra": "not started", "final_assessment": "not taken"},
        "fay": {"basics": "not started", "safety": "not started", "extra": "not started", "final_assessment": "not taken"},
    }
    assert list(status["basics"].cat.categories) == list(report.STATUSES)
    pct = report.progress_matrix(world.store, world.course, value="pct")
    # basics: first tries over the 4 gradable points (b-free is not gradable): ann 0+0+0+1 = 1 -> 25%,
    # bob/cat/eve 1+.5+1+1 = 3.5 -> 87.5%, dan 0+.5+0+1 = 1.5 -> 37.5%
    assert pct["basics"].tolist()[:5] == [25.0, 87.5, 87.5, 37.5, 87.5]
    # safety: (s-order + s-crit first tries) / (3 + 1): ann 3/4, bob 2/4, cat 2/4, dan 0/4, eve 3/4
    assert pct["safety"].tolist()[:5] == [75.0, 50.0, 50.0, 0.0, 75.0]
    # extra: ann e-once 1 of the 2 points (e-never unanswered counts 0) -> 50%
    assert pct.loc["ann", "extra"] == 50.0
    # final: last sitting: ann 5/5, bob (retake) 5/5, cat 1/5, dan 4/5
    assert pct["final_assessment"].tolist()[:4] == [100.0, 100.0, 20.0, 80.0]
    assert pct.loc["fay"].isna().all() and math.isnan(pct.loc["eve", "final_assessment"])


def test_report_agrees_with_the_learners_own_progress_view(world: World) -> None:
    lq = report.learner_quizzes(world.store, world.course)
    for learner in ["ann", "bob", "cat", "dan", "eve", "fay"]:
        mine = lq[lq["learner"] == learner]
        for view, (_, line) in zip(progress.learner_progress(world.course, world.store, learner), mine.iterrows()):
            assert view.quiz == line["quiz"]
            assert view.done == line["done"], (learner, view)
            assert view.status.split(" (")[0] == {"failed": "not passed"}.get(line["status"], line["status"])
            if view.detail.startswith("first tries"):
                assert view.detail.startswith(f"first tries {line['first_pct']:.0f}%")
            elif view.detail:
                assert view.detail.startswith(f"{line['pct']:.0f}%")


def test_learner_quizzes_first_versus_best(world: World) -> None:
    lq = report.learner_quizzes(world.store, world.course)
    assert list(lq.columns) == list(report.LEARNER_QUIZ_COLUMNS)
    assert len(lq) == 6 * 4
    ann = row(lq, learner="ann", quiz="basics")
    # first tries 1 of 4 (25%); after the retries a, [p, q], T: 1+1+1+1 = 4 of 4
    assert (ann["first_pct"], ann["best_pct"], ann["answered"], ann["questions"], ann["attempts"]) == (25.0, 100.0, 5, 5, 8)
    dan = row(lq, learner="dan", quiz="basics")
    assert (dan["first_pct"], dan["best_pct"], dan["pending"]) == (37.5, 62.5, 1)  # b-single retried: 0 -> 1; b-free waits
    bob = row(lq, learner="bob", quiz="final_assessment")
    # sittings: 4/5 = 80% (f-crit missed), then 5/5 = 100%
    assert (bob["first_pct"], bob["best_pct"], bob["pct"], bob["sittings"], bool(bob["passed"])) == (80.0, 100.0, 100.0, 2, True)
    assert bob["date"] == pd.Timestamp(at(8, 10)) + pd.Timedelta(seconds=2)
    assert (bob["answered"], bob["questions"], bob["critical_missed"]) == (3, 3, "")
    dan_final = row(lq, learner="dan", quiz="final_assessment")
    assert (dan_final["status"], dan_final["pct"], dan_final["critical_missed"], bool(dan_final["passed"])) == ("failed", 80.0, "f-crit", False)
    fay = row(lq, learner="fay", quiz="basics")
    assert (fay["status"], fay["answered"], fay["attempts"]) == ("not started", 0, 0)
    assert math.isnan(fay["first_pct"]) and pd.isna(fay["last_activity"]) and fay["passed"] is pd.NA


def test_learner_summary(world: World) -> None:
    s = report.learner_summary(world.store, world.course)
    per_quiz = ["basics.first_pct", "basics.best_pct", "safety.first_pct", "safety.best_pct", "extra.first_pct", "extra.best_pct",
                "final_assessment.first_pct", "final_assessment.best_pct"]
    assert list(s.columns) == list(report.SUMMARY_COLUMNS) + per_quiz + list(report.ASSESSMENT_COLUMNS)
    s = s.set_index("learner")
    assert list(s.index) == ["ann", "bob", "cat", "dan", "eve", "fay"]
    assert s["lessons_total"].tolist() == [3] * 6  # basics, safety, extra (the assessment is reported apart)
    assert s["lessons_started"].tolist() == [3, 2, 2, 2, 2, 0]
    assert s["lessons_completed"].tolist() == [2, 2, 1, 2, 1, 0]
    # ann 5 + 3 retries + 2 + 1 retry + 1 extra + 3 sitting; bob 5 + 3 + 3 + 3; cat 4 + 3 + 3; dan 4 + 1 + 1 + 2 + 3; eve 4 + 2
    assert s["attempts"].tolist() == [15, 14, 10, 11, 6, 0]
    assert s.loc["bob", "last_activity"] == pd.Timestamp(at(8, 10)) + pd.Timedelta(seconds=2)
    assert pd.isna(s.loc["fay", "last_activity"])
    # score_pct: first tries over the practice questions answered, reviewed free text in, pending out:
    # ann (0+0+0+1 + 2 [b-free, reviewed]) + (3+0) + 1 = 7 of 4+2 + 4 + 1 = 11 points -> 700/11 %
    # bob (3.5 of 4, b-free pending left out) + (2 of 4) = 5.5 of 8 -> 68.75 %
    # dan (1.5 of 4) + (0 of 4) = 1.5 of 8 -> 18.75 %; eve 3.5 + 3 = 6.5 of 8 -> 81.25 %
    assert s.loc["ann", "score_pct"] == pytest.approx(700 / 11)
    assert s["score_pct"].tolist()[1:5] == [68.75, 68.75, 18.75, 81.25]
    assert math.isnan(s.loc["fay", "score_pct"])
    assert (s.loc["ann", "basics.first_pct"], s.loc["ann", "basics.best_pct"]) == (25.0, 100.0)
    assert (s.loc["bob", "final_assessment.first_pct"], s.loc["bob", "final_assessment.best_pct"]) == (80.0, 100.0)
    assert s["assessment_status"].tolist() == ["passed", "passed", "failed", "failed", "not taken", "not taken"]
    assert s["assessment_pct"].tolist()[:4] == [100.0, 100.0, 20.0, 80.0]
    assert s["assessment_sittings"].tolist() == [1, 2, 1, 1, 0, 0]
    assert s["assessment_critical_missed"].tolist() == ["", "", "", "f-crit", "", ""]
    assert s.loc["ann", "assessment_date"] == pd.Timestamp(at(6, 10)) + pd.Timedelta(seconds=2)
    assert pd.isna(s.loc["eve", "assessment_date"])


def test_cohort_summary(world: World) -> None:
    c = report.cohort_summary(world.store, world.course).set_index("cohort")
    assert list(c.index) == ["north", "south"]
    assert c["learners"].tolist() == [3, 3]
    assert c["started"].tolist() == [2, 3]  # fay has not started
    assert c["completed"].tolist() == [0, 0]  # nobody can finish extra: nobody answered e-never
    assert c["passed"].tolist() == [2, 0]  # ann, bob (on the retake)
    # north: (700/11 + 68.75) / 2 (fay has no score); south: (68.75 + 18.75 + 81.25) / 3 = 56.25
    assert c.loc["north", "mean_score"] == pytest.approx((700 / 11 + 68.75) / 2)
    assert c.loc["south", "mean_score"] == 56.25
    # last sittings: north (100 + 100) / 2, south (20 + 80) / 2
    assert c["mean_assessment_pct"].tolist() == [100.0, 50.0]
    basics = report.cohort_summary(world.store, world.course, Filters(quiz="basics")).set_index("cohort")
    assert basics["completed"].tolist() == [2, 1]  # basics done: ann, bob; dan


# --- item analysis ----------------------------------------------------------------------------------


def test_item_analysis_facility_discrimination_and_flags(world: World) -> None:
    items = report.item_analysis(world.store, world.course)
    assert list(items.columns) == list(report.ITEM_COLUMNS)
    assert list(zip(items["quiz"], items["question"])) == [
        ("basics", "b-single"), ("basics", "b-multi"), ("basics", "b-tf"), ("basics", "b-num"), ("basics", "b-free"),
        ("safety", "s-order"), ("safety", "s-crit"), ("extra", "e-once"), ("extra", "e-never"),
        ("final_assessment", "f-one"), ("final_assessment", "f-crit"), ("final_assessment", "s-order"),
    ]
    by = items.set_index(["quiz", "question"])
    single = by.loc[("basics", "b-single")]
    # x = first tries ann..eve (0,1,1,0,1): facility 3/5.
    # first-try totals in basics (b-free: ann's review 2, bob's pending 0): ann 0+0+0+1+2 = 3,
    # bob 1+.5+1+1 = 3.5, cat 3.5, dan 0+.5+0+1 = 1.5, eve 3.5; rest y = total - x = (3, 2.5, 2.5, 1.5, 2.5)
    # mean x .6, mean y 2.4; dx (-.6,.4,.4,-.6,.4), dy (.6,.1,.1,-.9,.1)
    # Sxy = -.36+.04+.04+.54+.04 = .3; Sxx = 1.2; Syy = .36+.01+.01+.81+.01 = 1.2; r = .3/1.2 = .25
    assert (single["type"], single["section"], single["n"], single["pending"]) == ("single_choice", "One", 5, 0)
    assert single["facility"] == pytest.approx(0.6) and single["discrimination"] == pytest.approx(0.25)
    assert single["flags"] == ""
    assert by.loc[("basics", "b-tf"), "discrimination"] == pytest.approx(0.25)  # same pattern as b-single
    multi = by.loc[("basics", "b-multi")]
    # x = (0,.5,.5,.5,.5): facility 2/5 = .4; y = total - x = (3, 3, 3, 1, 3); mean x .4, mean y 2.6
    # dx (-.4,.1,.1,.1,.1), dy (.4,.4,.4,-1.6,.4): Sxy = -.16+.04+.04-.16+.04 = -.2
    # Sxx = .16+4(.01) = .2; Syy = 4(.16)+2.56 = 3.2; r = -.2/sqrt(.64) = -.25
    assert multi["facility"] == pytest.approx(0.4) and multi["discrimination"] == pytest.approx(-0.25)
    assert multi["flags"] == "negative discrimination"
    num = by.loc[("basics", "b-num")]
    assert (num["facility"], num["flags"]) == (1.0, "too easy") and math.isnan(num["discrimination"])  # no variance
    free = by.loc[("basics", "b-free")]
    # reviewed only: ann 2/2; bob and dan pending (not 0): n 1, facility 1.0
    assert (free["n"], free["pending"], free["facility"], free["flags"]) == (1, 2, 1.0, "few answers")
    assert math.isnan(free["discrimination"])  # fewer than 3 learners
    order = by.loc[("safety", "s-order")]
    # (3/3 + 2/3 + 2/3 + 0/3 + 3/3) / 5 = 2/3; the rest (s-crit) is 0 for everyone: no variance, no r
    assert order["facility"] == pytest.approx(2 / 3) and math.isnan(order["discrimination"]) and order["flags"] == ""
    crit = by.loc[("safety", "s-crit")]
    assert (crit["facility"], crit["flags"], bool(crit["critical"])) == (0.0, "too hard", True)  # every first try "no"
    never = by.loc[("extra", "e-never")]
    assert (never["n"], never["pending"], never["flags"]) == (0, 0, "")  # nobody answered: no figures, no flag
    assert math.isnan(never["facility"]) and math.isnan(never["discrimination"])


def test_item_analysis_uses_first_sittings_and_flags_only_with_enough_answers(world: World) -> None:
    by = report.item_analysis(world.store, world.course).set_index(["quiz", "question"])
    # first sittings ann, bob, cat, dan (bob's retake is not a first attempt): f-one x = (1,1,0,1)
    # rest = f-crit + s-order: (1+3, 0+3, 1+0, 0+3) = (4,3,1,3); dx (.25,.25,-.75,.25), dy (1.25,.25,-1.75,.25)
    # Sxy = .3125+.0625+1.3125+.0625 = 1.75; Sxx = .75; Syy = 4.75; r = 1.75/sqrt(3.5625) = 7/sqrt(57)
    one = by.loc[("final_assessment", "f-one")]
    assert (one["n"], one["facility"]) == (4, 0.75) and one["discrimination"] == pytest.approx(7 / math.sqrt(57))
    crit = by.loc[("final_assessment", "f-crit")]
    # x = (1,0,1,0), rest (1+3, 1+3, 0+0, 1+3) = (4,4,0,4): Sxy = .5-.5-1.5-.5 = -2, Sxx 1, Syy 12: r = -2/sqrt(12)
    assert crit["facility"] == 0.5 and crit["discrimination"] == pytest.approx(-1 / math.sqrt(3))
    assert crit["flags"] == "few answers"  # 4 < MIN_ANSWERS: negative, but not flagged as such
    drawn = by.loc[("final_assessment", "s-order")]
    # x = (3,3,0,3): facility 3/4; rest = f-one + f-crit = (2,1,1,1); dx (.75,.75,-2.25,.75), dy (.75,-.25,-.25,-.25)
    # Sxy = .5625-.1875+.5625-.1875 = .75; Sxx = 6.75; Syy = .75; r = .75/sqrt(5.0625) = .75/2.25 = 1/3
    assert (drawn["type"], drawn["section"], drawn["facility"]) == ("ordering", "Steps", 0.75)
    assert drawn["discrimination"] == pytest.approx(1 / 3)
    assert report.MIN_ANSWERS == 5 and report.TOO_EASY == 0.9 and report.TOO_HARD == 0.2


def test_distractors(world: World) -> None:
    d = report.distractors(world.store, world.course)
    assert list(d.columns) == list(report.DISTRACTOR_COLUMNS)
    single = d[d["question"] == "b-single"]
    # first tries: ann b, bob a, cat a, dan c, eve a (dan's later "a" is not a first attempt)
    assert single[["option", "correct", "chosen", "n"]].values.tolist() == [["a", True, 3, 5], ["b", False, 1, 5], ["c", False, 1, 5]]
    assert single["share"].tolist() == [0.6, 0.2, 0.2]
    multi = d[d["question"] == "b-multi"]
    # [r], [p], [q], [p, q, r], [p]: every ticked option counts
    assert multi[["option", "correct", "chosen"]].values.tolist() == [["p", True, 3], ["q", True, 2], ["r", False, 2]]
    assert multi["share"].tolist() == [0.6, 0.4, 0.4]
    tf = d[d["question"] == "b-tf"]
    assert tf[["option", "text", "correct", "chosen"]].values.tolist() == [["true", "True", True, 3], ["false", "False", False, 2]]
    crit = d[d["question"] == "s-crit"]
    assert crit[["option", "chosen"]].values.tolist() == [["ok", 0], ["no", 5]]
    once = d[d["question"] == "e-once"]
    assert once[["option", "correct", "chosen", "n"]].values.tolist() == [["true", False, 0, 1], ["false", True, 1, 1]]
    never = d[d["question"] == "e-never"]
    assert never.empty  # numeric: not a choice question
    final = d[(d["quiz"] == "final_assessment") & (d["question"] == "f-one")]
    assert final[["option", "chosen", "n"]].values.tolist() == [["a", 3, 4], ["b", 1, 4]]  # first sittings only
    assert set(d["question"]) == {"b-single", "b-multi", "b-tf", "s-crit", "e-once", "f-one", "f-crit"}


# --- filters -----------------------------------------------------------------------------------------


def test_cohort_filter(world: World) -> None:
    south = Filters(cohort="south")
    s = report.learner_summary(world.store, world.course, south)
    assert s["learner"].tolist() == ["cat", "dan", "eve"]
    a = report.answers(world.store, world.course, south)
    assert set(a["learner"]) == {"cat", "dan", "eve"} and len(a) == 10 + 11 + 6
    single = row(report.item_analysis(world.store, world.course, south), quiz="basics", question="b-single")
    assert (single["n"], single["facility"]) == (3, pytest.approx(2 / 3))  # cat 1, dan 0, eve 1
    assert report.progress_matrix(world.store, world.course, south).index.tolist() == ["cat", "dan", "eve"]
    assert report.cohort_summary(world.store, world.course, south)["cohort"].tolist() == ["south"]


def test_date_range_filter(world: World) -> None:
    window = Filters(since=at(3, 0), until=at(6, 0))  # 3 March 00:00 <= answered_at < 6 March 00:00
    a = report.answers(world.store, world.course, window)
    # retries 4 + safety 10 + s-crit retries 3 + ann e-once + dan b-free; not 2 March, not the sittings
    assert len(a) == 4 + 10 + 3 + 1 + 1 == 19
    assert a["answered_at"].min() == pd.Timestamp(at(3, 10, 0)) and a["answered_at"].max() == pd.Timestamp(at(4, 10))
    # within the window, the first attempt at b-single is ann's and dan's retry "a"
    single = row(report.item_analysis(world.store, world.course, window), quiz="basics", question="b-single")
    assert (single["n"], single["facility"], single["flags"]) == (2, 1.0, "few answers")
    free = row(report.item_analysis(world.store, world.course, window), quiz="basics", question="b-free")
    assert (free["n"], free["pending"], free["flags"]) == (0, 1, "")  # only dan's, waiting for a review: nothing to flag yet
    edge = report.answers(world.store, world.course, Filters(since=at(2, 9, 0), until=at(2, 9, 1)))
    assert edge["key"].tolist() == [world.keys["ann b-single"]]  # since is included, until is not
    summary = report.learner_summary(world.store, world.course, window)
    assert len(summary) == 6  # the learners are all listed; their answers are the window's


def test_filters_in_memory_match_filters_in_the_database(world: World) -> None:
    data = report.load(world.store)
    for filters in [Filters(cohort="north"), Filters(learner="dan"), Filters(quiz="safety"), Filters(since=at(3, 0), until=at(6, 0))]:
        from_db = report.answers(world.store, world.course, filters)
        in_memory = report.answers(data, world.course, filters)
        pd.testing.assert_frame_equal(from_db, in_memory, check_categorical=False)
        pd.testing.assert_frame_equal(
            report.learner_summary(world.store, world.course, filters), report.learner_summary(data, world.course, filters)
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        Filters(since=datetime(2026, 3, 1))


def test_build_computes_every_table_from_one_load(world: World) -> None:
    built = report.build(world.store, world.course)
    pd.testing.assert_frame_equal(built.item_analysis, report.item_analysis(world.store, world.course))
    pd.testing.assert_frame_equal(built.learner_summary, report.learner_summary(world.store, world.course))
    pd.testing.assert_frame_equal(built.progress_pct, report.progress_matrix(world.store, world.course, value="pct"))
    assert len(built.answers) == 56 and len(built.review_queue) == 2


def test_a_sitting_with_a_written_answer_waits_for_its_review(fresh: World) -> None:
    for m, (question, response) in enumerate([("f-one", "a"), ("f-crit", True), ("b-free", "Eve's words.")]):
        fresh.answer("eve", "final_assessment", question, response, at(9, 10, m), submission="eve-1", label=f"eve final {question}")
    line = row(report.learner_quizzes(fresh.store, fresh.course), learner="eve", quiz="final_assessment")
    # 2 of the 2 graded points (b-free pending: left out, not 0) = 100%, but not passed before the review:
    # awaiting it (issue 11), as full marks on it would pass
    assert (line["status"], line["pct"], line["pending"], bool(line["passed"])) == ("awaiting review", 100.0, 1, False)
    mine = progress.final_result(fresh.course, fresh.store, "eve")
    assert (mine.percent, mine.passed, mine.pending) == (100.0, False, ("b-free",))  # what eve sees
    report.record_review(fresh.store, fresh.keys["eve final b-free"], 1.0, "tina")
    line = row(report.learner_quizzes(fresh.store, fresh.course), learner="eve", quiz="final_assessment")
    # (1 + 1 + 1) / (1 + 1 + 2) = 75%: reaches the pass mark of 75
    assert (line["status"], line["pct"], line["pending"], bool(line["passed"])) == ("passed", 75.0, 0, True)
    mine = progress.final_result(fresh.course, fresh.store, "eve")
    assert (mine.percent, mine.passed, mine.pending) == (75.0, True, ())  # and eve (and her certificate) agree


# --- regrade --------------------------------------------------------------------------------------


def test_regrade_finds_a_score_edited_in_the_database(fresh: World) -> None:
    assert report.regrade(fresh.store, fresh.course).empty  # every stored score is the bank's
    key = fresh.keys["cat b-multi"]  # [q]: 1 of 2 right options -> .5
    engine = create_engine(fresh.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE attempts SET score = 1.0 WHERE key = :key"), {"key": key})
    engine.dispose()
    found = report.regrade(fresh.store, fresh.course)
    assert found["key"].tolist() == [key]
    r = found.iloc[0]
    assert (r["learner"], r["question"], r["response"], r["stored_score"], r["regraded_score"]) == ("cat", "b-multi", '["q"]', 1.0, 0.5)
    assert r["reason"] == "stored score differs from the bank's key"
    assert r["bank_version"] == r["current_version"] == fresh.course.bank("basics").version


def test_regrade_after_the_banks_changed(fresh: World) -> None:
    old = fresh.course
    changed = write_course(
        fresh.folder / "changed",
        # s-crit: the key moves from "ok" to "no"; b-single loses option c; e-once leaves the course
        **{
            "02_safety.yaml": SAFETY.replace("{id: ok, text: Check first, correct: true}", "{id: ok, text: Check first}").replace(
                '{id: "no", text: Go ahead}', '{id: "no", text: Go ahead, correct: true}'
            ),
            "01_basics.yaml": BASICS.replace("      - {id: c, text: Another wrong one}\n", ""),
            "03_extra.yaml": EXTRA[: EXTRA.index("  - id: e-once")] + EXTRA[EXTRA.index("  - id: e-never") :],
        },
    )
    assert changed.bank("safety").version != old.bank("safety").version
    found = report.regrade(fresh.store, changed)
    reasons = found.groupby("question")["reason"].agg(set).to_dict()
    crit = found[found["question"] == "s-crit"]
    # 5 first tries "no" (stored 0, now 1) and 3 retries "ok" (stored 1, now 0); s-order's scores did not change
    assert len(crit) == 8
    assert sorted(zip(crit["stored_score"], crit["regraded_score"])) == [(0.0, 1.0)] * 5 + [(1.0, 0.0)] * 3
    assert reasons["s-crit"] == {f"question changed since bank version {old.bank('safety').version}"}
    assert reasons["b-single"] == {"response can no longer be graded: That answer is not one of the options; please choose again."}
    assert row(found, question="b-single")["learner"] == "dan" and math.isnan(row(found, question="b-single")["regraded_score"])
    assert reasons["e-once"] == {"question no longer in any bank"}
    assert set(found["question"]) == {"s-crit", "b-single", "e-once"}  # free text is skipped; nothing else changed
    assert found["answered_at"].is_monotonic_increasing


# --- review ---------------------------------------------------------------------------------------


def test_review_queue_and_record_review(fresh: World) -> None:
    queue = report.review_queue(fresh.store, fresh.course)
    assert list(queue.columns) == list(report.QUEUE_COLUMNS)
    assert queue["key"].tolist() == [fresh.keys["bob b-free"], fresh.keys["dan b-free"]]  # oldest first; ann's is reviewed
    first = queue.iloc[0]
    assert (first["learner"], first["prompt"], first["model_answer"], first["answer"], first["max_score"]) == (
        "bob", "Explain it in your own words.", "A model answer.", "Bob's words.", 2.0,
    )
    updated = report.record_review(fresh.store, fresh.keys["bob b-free"], 1.5, "tina", "Good start.", course=fresh.course)
    assert (updated["learner"], updated["lesson"], updated["review_score"], updated["reviewer"]) == ("bob", "01_basics.ipynb", 1.5, "tina")
    assert (updated["review_comment"], updated["effective_score"]) == ("Good start.", 1.5)
    assert report.review_queue(fresh.store, fresh.course)["key"].tolist() == [fresh.keys["dan b-free"]]
    free = row(report.item_analysis(fresh.store, fresh.course), question="b-free")
    assert (free["n"], free["pending"], free["facility"]) == (2, 1, 0.875)  # (2/2 + 1.5/2) / 2
    assert report.review_queue(fresh.store, fresh.course, Filters(cohort="north")).empty


def test_record_review_errors_come_from_the_store(fresh: World) -> None:
    with pytest.raises(StoreError, match="between 0 and 2, not 3"):
        report.record_review(fresh.store, fresh.keys["dan b-free"], 3, "tina")
    with pytest.raises(StoreError, match="no answer with key 'nope'"):
        report.record_review(fresh.store, "nope", 1, "tina")
    with pytest.raises(StoreError, match="reviewer"):
        report.record_review(fresh.store, fresh.keys["dan b-free"], 1, " ")
    assert len(report.review_queue(fresh.store, fresh.course)) == 2


# --- an empty store ---------------------------------------------------------------------------------


def test_an_empty_store(tmp_path: Path) -> None:
    course = write_course(tmp_path / "quizzes")
    with ResultsStore(f"sqlite:///{tmp_path / 'empty.sqlite'}", outbox=tmp_path / "outbox.jsonl") as store:
        store.ensure_learner("zoe", "west")
        built = report.build(store, course)
        assert built.answers.empty and list(built.answers.columns) == list(report.ANSWER_COLUMNS)
        assert built.progress_matrix.loc["zoe"].tolist() == ["not started", "not started", "not started", "not taken"]
        assert built.item_analysis["n"].tolist() == [0] * 11 and set(built.item_analysis["flags"]) == {""}
        assert built.distractors["chosen"].sum() == 0 and built.review_queue.empty
        assert built.cohort_summary.values.tolist()[0][:5] == ["west", 1, 0, 0, 0]
        assert report.regrade(store, course).empty


@pytest.mark.postgres
def test_the_same_report_on_postgresql(world: World, pg_url: str, _pg_admin, tmp_path: Path) -> None:
    from conftest import new_pg_database

    pg = World(tmp_path, url=new_pg_database(_pg_admin, pg_url))
    try:
        for name in ("answers", "learner_quizzes", "learner_summary", "cohort_summary", "item_analysis", "distractors", "review_queue", "regrade"):
            on_pg = getattr(report, name)(pg.store, pg.course)
            on_sqlite = getattr(report, name)(world.store, world.course)
            if "key" in on_pg:  # random ids: the same answers, other keys
                on_pg, on_sqlite = on_pg.drop(columns="key"), on_sqlite.drop(columns="key")
            pd.testing.assert_frame_equal(on_pg, on_sqlite, check_categorical=False, check_dtype=False, obj=name)
        pd.testing.assert_frame_equal(report.progress_matrix(pg.store, pg.course), report.progress_matrix(world.store, world.course))
    finally:
        pg.store.close()
