"""The trainer dashboard: executed as a notebook on a seeded store, and driven as a trainer would."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

import seed
from course import widgets as W
from course.bank import load_course
from course.dashboard import ALL, Dashboard
from course.store import ResultsStore
from notebook_runner import run_notebooks

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def course():
    return load_course(ROOT / "quizzes")


@pytest.fixture
def data(tmp_path, monkeypatch, course):
    """A data folder whose SQLite store holds the seeded history."""
    folder = tmp_path / "var"
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    W.callback_errors.clear()
    with ResultsStore() as store:
        seed.seed(store, course)
    yield folder
    assert not W.callback_errors, W.callback_errors


@pytest.fixture
def dash(data, course):
    board = Dashboard(course=course)
    yield board
    board.store.close()


def html(box) -> str:
    """Every HTML value inside a widget tree."""
    out = []
    for child in getattr(box, "children", ()):
        out.append(html(child))
    out.append(getattr(box, "value", "") if isinstance(getattr(box, "value", None), str) else "")
    return "".join(out)


def test_the_notebook_runs_on_a_seeded_store_and_escapes_what_learners_wrote(data):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "JUPYTERHUB_"))}
    env["COURSE_DATA_DIR"] = str(data)
    path = ROOT / "notebooks" / "trainer_dashboard.ipynb"
    run = run_notebooks([path], env)[path]
    assert not run.problems, run.problems
    state = run.widget_state
    for name in (seed.ANN, seed.BOB, seed.CARLA, seed.EVE):
        assert name in state
    assert json.dumps("Dev &lt;b&gt;Bold&lt;/b&gt; &amp; Co")[1:-1] in state  # escaped where shown as HTML
    assert "<script>the prescriber" not in state and "&lt;script&gt;the prescriber" in state
    assert "dash-review-card" in state and "image/png" not in state  # plots are Image widgets, not outputs


def test_overview_and_progress_show_every_learner(dash):
    overview = html(dash.overview)
    for name in (seed.ANN, seed.BOB, seed.CARLA, seed.EVE):
        assert name in overview
    assert "&lt;b&gt;Bold&lt;/b&gt;" in overview and "<b>Bold</b>" not in overview
    matrix = html(dash.progress)
    assert "passed" in matrix and "failed" in matrix and "not started" in matrix


def test_a_cohort_filter_narrows_every_section(dash):
    dash.cohort.value = seed.FRONT_DESK
    overview = html(dash.overview)
    assert seed.BOB in overview and seed.ANN not in overview and seed.CARLA not in overview
    assert dash.learner.options == (ALL, seed.BOB)
    assert set(dash.table("learners")["learner"]) == {seed.BOB}


def test_a_trainer_scores_a_written_answer(dash):
    before = len(dash.result.review_queue)
    card = dash.review.children[1]
    score, save = card.children[1].children
    comment, message = card.children[2], card.children[3]
    score.value = 1
    comment.value = "Good: honest and kind."
    save.click()
    assert "Type your name" in message.value  # no reviewer yet: nothing stored
    assert not dash.store.reviews()
    dash.reviewer.value = "Tess Trainer"
    save.click()
    assert "Saved: 1 of" in message.value and save.disabled
    [review] = dash.store.reviews()
    assert (review.score, review.reviewer, review.comment) == (1.0, "Tess Trainer", "Good: honest and kind.")
    dash.refresh()
    assert len(dash.result.review_queue) == before - 1


def test_an_edited_score_shows_in_re_grading(dash):
    engine = create_engine(dash.store.url)
    with engine.begin() as conn:
        key = conn.execute(text("SELECT key FROM attempts WHERE correct = 1 AND learner = :n LIMIT 1"), {"n": seed.BOB}).scalar_one()
        conn.execute(text("UPDATE attempts SET score = 0 WHERE key = :k"), {"k": key})
    engine.dispose()
    dash.refresh()
    assert list(dash.regraded["key"]) == [key]
    assert "stored score differs" in html(dash.regrading)


def test_exports_write_files_a_spreadsheet_reads(dash, data):
    path = dash.export("learners")
    assert path.parent == data / "exports"
    frame = pd.read_csv(path, encoding="utf-8-sig")
    assert set(frame["learner"]) == {seed.ANN, seed.BOB, seed.CARLA, seed.DEV, seed.EVE}
    assert "download=" in dash.export_result.value
    statements = json.loads(dash.export("xapi").read_text(encoding="utf-8"))
    assert {s["verb"]["id"].rsplit("/", 1)[1] for s in statements} >= {"answered", "passed", "failed", "completed"}


def test_cohorts_and_retakes_from_the_learners_section(dash):
    who, cohort, set_cohort = dash.learners.children[0].children
    retake, message = dash.learners.children[1], dash.learners.children[2]
    who.value = seed.EVE
    cohort.value = "2026-12 nurses"
    set_cohort.click()
    assert {p.name: p.cohort for p in dash.store.learners()}[seed.EVE] == "2026-12 nurses"
    who.value = seed.CARLA
    retake.click()
    assert "Type your name" in message.value and dash.store.retakes_allowed(seed.CARLA, "final_assessment") == 0
    dash.reviewer.value = "Tess Trainer"
    retake.click()
    assert dash.store.retakes_allowed(seed.CARLA, "final_assessment") == 1


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path, course):
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the database folder should be")
    with ResultsStore(f"sqlite:///{blocker / 'results.sqlite'}") as store:
        board = Dashboard(store=store, course=course)
    assert "cannot be read" in board.status.value
    assert not W.callback_errors
