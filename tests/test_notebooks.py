"""Every notebook runs top to bottom in a fresh kernel with a scratch results database."""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest

from course.bank import load_course
from course.store import ResultsStore
from notebook_runner import run_notebooks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LEARNER = "Nora Notebook-Test"

pytestmark = pytest.mark.notebooks


def kernel_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "JUPYTERHUB_"))}
    env.update(COURSE_DATA_DIR=str(data), COURSE_LEARNER=LEARNER, MPLBACKEND="module://matplotlib_inline.backend_inline", PYDEVD_DISABLE_FILE_VALIDATION="1")
    return env


@pytest.fixture(scope="session")
def executed(tmp_path_factory):
    data = tmp_path_factory.mktemp("notebook-data")
    start = time.perf_counter()
    runs = run_notebooks(NOTEBOOKS, kernel_env(data), workers=2)
    total = time.perf_counter() - start
    print(f"\nexecuted {len(runs)} notebooks in {total:.1f} s on 2 workers: " + ", ".join(f"{p.stem} {r.seconds:.1f}s" for p, r in runs.items()))
    return runs, data


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_without_error(executed, path):
    runs, _ = executed
    run = runs[path]
    assert run.notebook is not None
    assert not run.problems, f"{path.name}:\n" + "\n".join(run.problems)


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem != "trainer_dashboard"], ids=lambda p: p.stem)
def test_lesson_shows_every_question_of_its_bank(executed, path):
    """Every question of the lesson's bank was rendered (its CSS class is in the widget state)."""
    runs, _ = executed
    course = load_course()
    banks = [b for b in course.banks.values() if b.lesson == path.name and b.mode == "practice"]
    state = runs[path].widget_state
    for bank in banks:
        for q in bank.questions:
            assert f"quiz-q-{q.id}" in state, f"{q.id} was not shown by {path.name}"


def test_notebooks_leave_the_repository_clean(executed):
    """Executing does not write outputs into the stored notebooks."""
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


DRIVER = r'''
from course import widgets as W
from course.bank import course_cached
from course.paper import Paper
from course.widgets import quiz_widget
quiz = quiz_widget("welcome").children[0]
v = {view.question.id: view for view in quiz.views}
paper = lambda qid, response: Paper().from_bank(course_cached().question(qid)[1], quiz.learner, response)
v["welcome-who-decides"].input.value = paper("welcome-who-decides", "course"); v["welcome-who-decides"].submit.click()
v["welcome-who-decides"].input.value = paper("welcome-who-decides", "protocol"); v["welcome-who-decides"].submit.click()
v["welcome-what-is-stored"].boxes[paper("welcome-what-is-stored", ["name"])[0]].value = True; v["welcome-what-is-stored"].submit.click()
v["welcome-practice-retry"].input.value = True; v["welcome-practice-retry"].submit.click()
v["welcome-pass-mark"].text.value = "abc"; v["welcome-pass-mark"].submit.click()
invalid = v["welcome-pass-mark"].message.value
v["welcome-pass-mark"].text.value = "80%"; v["welcome-pass-mark"].submit.click()
o = v["welcome-course-order"]; o.set_response(paper(o.question.id, [i.id for i in course_cached().question(o.question.id)[1].items])); o.submit.click()
kinds = course_cached().question("welcome-question-kinds")[1]
for left, right in paper(kinds.id, {p.id: p.id for p in kinds.pairs}).items(): v[kinds.id].menus[left].value = right
v["welcome-question-kinds"].submit.click()
v["welcome-hopes"].input.value = "To learn to answer patients honestly."; v["welcome-hopes"].submit.click()
print("INVALID:", "not a number" in invalid)
print("FEEDBACK:", sum("Right." in view.feedback.value for view in quiz.views))
print("ERRORS:", len(W.callback_errors))
'''


def test_every_widget_type_in_a_real_kernel(tmp_path):
    """Drive every question type inside a kernel (as the page does) and find the attempts in the database."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(DRIVER)])
    path = tmp_path / "driver.ipynb"
    nbformat.write(nb, path)
    run = run_notebooks([path], kernel_env(tmp_path / "data"))[path]
    assert not run.problems, run.problems
    text = "".join(o.get("text", "") for o in run.notebook.cells[0].outputs)
    assert "INVALID: True" in text and "FEEDBACK: 5" in text and "ERRORS: 0" in text
    store = ResultsStore(f"sqlite:///{tmp_path / 'data' / 'results.sqlite'}")
    attempts = store.attempts(learner=LEARNER)
    store.close()
    assert [a.question for a in attempts] == [
        "welcome-who-decides", "welcome-who-decides", "welcome-what-is-stored", "welcome-practice-retry",
        "welcome-pass-mark", "welcome-course-order", "welcome-question-kinds", "welcome-hopes",
    ]
    assert [a.correct for a in attempts] == [False, True, False, True, True, True, True, None]
