"""How long a learner waits for a lesson: from opening it to its first question usable.

Serves a scratch copy of the course with the learner's view (``python -m course.learner_view``,
what ``make lab`` runs; Voilà on Jupyter Server) and opens each lesson in headless Chromium
(Debian's ``/usr/bin/chromium``), one page after another, as one learner clicking through the
course. A page's own clock gives each figure, from the start of its navigation:

- *first question usable*: the first Submit button of a question (in the final assessment, its
  questions and "Submit the assessment") is in the page and enabled;
- *HTML done*: the last byte of the page arrived (Voilà sends it once the lesson has run in a new
  kernel: kernel start and every cell);
- *page JS* = first question usable − HTML done: the page's scripts load, connect to the kernel
  and draw the widgets.

Besides, once each: a kernel's start (jupyter_client), ``import course.widgets`` in it, and each
lesson's cells run by nbclient in one kernel (the server's share, split up).

    .venv/bin/python benchmarks/first_question.py [--opens 5] [--json]

Each lesson is opened ``--opens`` times (after one unmeasured open that warms the server up), each
in a fresh page of one browser (whose cache keeps the page's scripts, as a learner's does), ``--pause``
seconds after the one before: a learner reads a lesson before opening the next, and meanwhile the
server starts the kernel the next page will get (:mod:`course.kernel_pool`; ``--server-arg
--PooledKernelManager.pool_size=0`` measures without it). Target: median and p95 ≤ 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Figure, emit, format_value  # noqa: E402

TARGET_S = 2.0
LEARNER = "Benchmark Learner"
CHROMIUM = Path("/usr/bin/chromium")
READY = "window.__firstQuestion"

# Set in every page before its scripts run: the moment the first usable question appears.
PROBE = """
(() => {
  const usable = () => document.querySelector('.quiz-question button.quiz-submit:not([disabled])')
    || (document.querySelector('.quiz-question') && document.querySelector('button.quiz-submit-assessment:not([disabled])'));
  const check = () => { if (!window.__firstQuestion && usable()) { window.__firstQuestion = performance.now(); observer.disconnect(); } };
  const observer = new MutationObserver(check);
  observer.observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['disabled']});
})();
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered)) - 1)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Course:
    """A scratch copy of the course served by the learner's view, with its own data folder."""

    def __init__(self, root: Path, extra: list[str] | None = None):
        self.root = root
        self.notebooks = root / "notebooks"
        shutil.copytree(ROOT / "notebooks", self.notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        shutil.copytree(ROOT / "quizzes", root / "quizzes")
        self.data = root / "var"
        self.data.mkdir()
        (self.data / "learner.json").write_text(json.dumps({"name": LEARNER}))
        self.env = {k: v for k, v in os.environ.items() if k not in ("JUPYTERHUB_USER", "COURSE_LEARNER", "COURSE_DB_URL", "COURSE_SERVICE_URL", "JUPYTER_TOKEN")}
        self.env.update(
            COURSE_DATA_DIR=str(self.data), COURSE_QUIZZES_DIR=str(root / "quizzes"), COURSE_NOTEBOOKS_DIR=str(self.notebooks),
            JUPYTER_CONFIG_DIR=str(root / "jupyter" / "config"), JUPYTER_DATA_DIR=str(root / "jupyter" / "data"),
            JUPYTER_RUNTIME_DIR=str(root / "jupyter" / "runtime"), IPYTHONDIR=str(root / "jupyter" / "ipython"),
        )  # fmt: skip
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(root / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        command = [
            sys.executable, "-m", "course.learner_view", "--no-browser", f"--port={self.port}", "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=",
            # kernels of closed pages ended 20 s after (not 10 minutes): dozens of pages are opened here
            "--MappingKernelManager.cull_idle_timeout=20", "--MappingKernelManager.cull_interval=5", *(extra or []),
        ]  # fmt: skip
        self.server = subprocess.Popen(command, env=self.env, cwd=root, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait()
        self._waive()

    def _wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"the learner's view exited: {(self.root / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/api/status", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the learner's view did not answer within a minute")

    def _waive(self) -> None:
        """The final assessment opens for the learner (as if a trainer had waived the lessons)."""
        from course.store import ResultsStore

        with ResultsStore(f"sqlite:///{self.data / 'results.sqlite'}", outbox=self.data / "outbox.jsonl") as store:
            store.waive(LEARNER, "final_assessment", by="benchmark", reason="to time the assessment's page")

    def stop(self) -> None:
        self.server.terminate()
        try:
            self.server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, 9)
            self.server.wait(10)
        self.log.close()


def open_once(context: Any, url: str) -> dict[str, float]:
    """Open ``url`` in a fresh page; seconds from the navigation's start to each moment."""
    page = context.new_page()
    try:
        page.goto(url, wait_until="commit", timeout=120_000)
        page.wait_for_function(READY, timeout=120_000, polling=50)
        timing = page.evaluate(
            f"""() => {{ const n = performance.getEntriesByType('navigation')[0];
                        return {{ttfb: n.responseStart, html: n.responseEnd, usable: {READY}}}; }}"""
        )
        return {k: v / 1000 for k, v in timing.items()}
    finally:
        page.close()


def browse(course: Course, lessons: list[str], opens: int, pause: float) -> dict[str, list[dict[str, float]]]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium)")
    found: dict[str, list[dict[str, float]]] = {lesson: [] for lesson in lessons}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(PROBE)
        open_once(context, f"{course.url}/voila/render/{lessons[0]}")  # warms the server and the browser's cache up
        for _ in range(opens):
            for lesson in lessons:
                time.sleep(pause)  # the learner reads; the server gets the next kernel ready
                found[lesson].append(open_once(context, f"{course.url}/voila/render/{lesson}"))
        browser.close()
    return found


def server_parts(course: Course, lessons: list[str]) -> dict[str, Any]:
    """Once each: a kernel's start, ``import course.widgets`` in it, and each lesson's cells (nbclient)."""
    import nbformat
    from jupyter_client.manager import start_new_kernel
    from nbclient import NotebookClient

    env = dict(course.env)
    starts, imports = [], []
    for _ in range(3):
        began = time.perf_counter()
        manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(course.notebooks), stderr=subprocess.DEVNULL)
        starts.append(time.perf_counter() - began)
        reply = client.execute_interactive("import time as _t; _s = _t.perf_counter(); import course.widgets; print(_t.perf_counter() - _s)",
                                           output_hook=lambda m: imports.append(float(m["content"]["text"])) if m["msg_type"] == "stream" else None)  # fmt: skip
        assert reply["content"]["status"] == "ok", reply
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    cells: dict[str, float] = {}
    os.environ.update({k: v for k, v in env.items() if k.startswith("COURSE_")})  # nbclient's kernels get this process's environment
    for lesson in lessons:
        nb = nbformat.read(course.notebooks / lesson, as_version=4)
        runner = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(course.notebooks)}})
        with runner.setup_kernel(stderr=subprocess.DEVNULL):
            began = time.perf_counter()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    runner.execute_cell(cell, index)
            cells[lesson] = time.perf_counter() - began
    return {"kernel_start": statistics.median(starts), "import": statistics.median(imports), "cells": cells}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=4, help="measured opens of each lesson (default 4)")
    parser.add_argument("--pause", type=float, default=4.0, help="seconds between two opens, as a learner reads (default 4)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (for benchmarks/suite.py)")
    parser.add_argument("--server-arg", action="append", default=[], metavar="ARG", help="one more Jupyter Server option, to compare settings (repeatable)")
    parser.add_argument("--no-parts", action="store_true", help="skip the kernel, import and nbclient measures")
    options = parser.parse_args()
    lessons = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="bench-first-question-") as scratch:
        course = Course(Path(scratch), options.server_arg)
        try:
            found = browse(course, lessons, options.opens, options.pause)
        finally:
            course.stop()
        parts = {"kernel_start": float("nan"), "import": float("nan"), "cells": dict.fromkeys(lessons, float("nan"))} if options.no_parts else server_parts(course, lessons)
    every = [o["usable"] for opens in found.values() for o in opens]
    if not options.json:
        print(f"From opening a lesson to its first question usable ({options.opens} opens each, seconds; median / p95):\n")
        print(f"{'lesson':<36} {'usable':>13} {'HTML done':>11} {'page JS':>9} {'cells (nbclient)':>17}")
        for lesson, opens in found.items():
            usable = [o["usable"] for o in opens]
            html = statistics.median(o["html"] for o in opens)
            js = statistics.median(o["usable"] - o["html"] for o in opens)
            print(f"{lesson:<36} {statistics.median(usable):>6.2f} / {percentile(usable, 0.95):<4.2f} {html:>11.2f} {js:>9.2f} {parts['cells'][lesson]:>17.2f}")
        print(f"\nA kernel's start: {format_value(parts['kernel_start'])} s; import course.widgets in it: {format_value(parts['import'])} s (medians of 3).")
        print("HTML done = the server started the lesson's kernel and ran every cell; page JS = scripts, kernel connection, widgets drawn.\n")
    emit(
        [
            Figure("lesson opened → first question usable, median", statistics.median(every), "s", TARGET_S),
            Figure("lesson opened → first question usable, p95", percentile(every, 0.95), "s", TARGET_S),
        ],
        "First question usable (learner's view, Chromium)",
    )


if __name__ == "__main__":
    main()
