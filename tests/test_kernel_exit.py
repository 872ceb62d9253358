"""A lesson kernel ends at once (course.widgets._quick_exit), and what it stored is kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from jupyter_client.manager import start_new_kernel

from course.store import ResultsStore

# Registered before course.widgets is imported, so it runs after course.widgets' handler (last in,
# first out): it writes how many objects were frozen out of the collector's reach by then.
PROBE = """
import atexit, gc
atexit.register(lambda: open({path!r}, "w").write(str(gc.get_freeze_count())))
"""

ANSWER = """
from course.widgets import quiz_widget
quiz = quiz_widget("history", section="A controlled substance").children[0]
view = quiz.views[0]
view.input.value = view.input.options[0][1]
view.submit.click()
assert "quiz-feedback-box" in view.feedback.value, view.feedback.value
"""


def test_a_lesson_kernel_keeps_its_answer_when_it_ends(tmp_path: Path) -> None:
    env = {**os.environ, "COURSE_DATA_DIR": str(tmp_path / "var"), "COURSE_LEARNER": "Ann Nurse"}
    for name in ("COURSE_DB_URL", "COURSE_SERVICE_URL", "JUPYTERHUB_USER", "COURSE_QUIZZES_DIR", "COURSE_NOTEBOOKS_DIR"):
        env.pop(name, None)
    with open(tmp_path / "kernel.err", "wb") as err:
        manager, client = start_new_kernel(kernel_name="python3", env=env, stderr=err)
        try:
            reply = client.execute_interactive(PROBE.format(path=str(tmp_path / "frozen")) + ANSWER, timeout=60, output_hook=lambda _m: None)
            assert reply["content"]["status"] == "ok", reply["content"]
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=False)
    assert int((tmp_path / "frozen").read_text()) > 0  # the kernel skipped the collection at exit
    said = (tmp_path / "kernel.err").read_text(errors="replace")
    assert "Traceback" not in said and "Exception ignored" not in said, said
    with ResultsStore(f"sqlite:///{tmp_path / 'var' / 'results.sqlite'}") as results:
        (answer,) = results.attempts()
    assert answer.learner == "Ann Nurse" and answer.quiz == "history"


def test_only_a_kernel_skips_the_collection_at_exit(tmp_path: Path) -> None:
    code = PROBE.format(path=str(tmp_path / "frozen")) + "import course.widgets\n"
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert (tmp_path / "frozen").read_text() == "0"
