"""Every notebook of the course executed by nbclient, against the floor: as many one-cell notebooks.

Both runs use the runner the tests use (tests/notebook_runner.py: fresh kernel per notebook, two
at a time, a scratch data folder, a fixed learner), so the ratio shows what the lessons cost over
starting and stopping kernels. Each round starts from an empty data folder, as a learner's first
lesson does: the first lessons create the results database and the banks' disk cache
(course.bank.course_cached), which the later kernels of the round read.

    .venv/bin/python benchmarks/notebooks.py [--rounds 1] [--json]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _figures import Figure, emit  # noqa: E402
from notebook_runner import run_notebooks  # noqa: E402

TARGET_RATIO = 1.5  # issue 13: the lessons near the kernel floor


def timed(paths: list[Path], env: dict[str, str]) -> float:
    start = time.perf_counter()
    runs = run_notebooks(paths, env, workers=2, check_callbacks=False)
    seconds = time.perf_counter() - start
    problems = [p for run in runs.values() for p in run.problems]
    if problems:
        raise SystemExit(f"a notebook failed: {problems[:3]}")
    return seconds


def measure(rounds: int = 1) -> list[Figure]:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    best_course, best_floor = float("inf"), float("inf")
    with tempfile.TemporaryDirectory(prefix="course-bench-nb-") as folder:
        scratch = Path(folder)
        copy = scratch / "notebooks"
        shutil.copytree(ROOT / "notebooks", copy)
        floor_dir = scratch / "floor"
        floor_dir.mkdir()
        floor = []
        for index in range(len(notebooks)):
            path = floor_dir / f"floor_{index:02d}.ipynb"
            nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), path)
            floor.append(path)
        for round_ in range(rounds):
            data = scratch / f"var-{round_}"
            env = {**os.environ, "COURSE_DATA_DIR": str(data), "COURSE_LEARNER": "Benchmark Learner"}
            env.pop("COURSE_DB_URL", None)
            env.pop("JUPYTERHUB_USER", None)
            if (ROOT / "notebooks" / "trainer_dashboard.ipynb").exists():
                seed_dashboard(env)
            best_course = min(best_course, timed([copy / p.name for p in notebooks], env))
            best_floor = min(best_floor, timed(floor, env))
    n = len(notebooks)
    return [
        Figure(f"all {n} notebooks, nbclient, 2 workers", best_course, "s"),
        Figure(f"floor: {n} one-cell notebooks, same runner", best_floor, "s"),
        Figure("notebooks / floor", best_course / best_floor, "×", TARGET_RATIO),
    ]


def seed_dashboard(env: dict[str, str]) -> None:
    """Nothing to seed: the dashboard runs on whatever the scratch database holds (empty here)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="repeat and keep the best (default 1)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()
    emit(measure(options.rounds), "Notebook execution")


if __name__ == "__main__":
    main()
