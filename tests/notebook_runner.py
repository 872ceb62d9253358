"""Execute notebooks with nbclient, a few at a time, and collect what went wrong in them.

Used by the notebook tests and by the benchmarks. Each notebook runs in a fresh kernel whose
environment is given by the caller (a scratch data folder and a fixed learner name), with a
last cell appended that fails if any exception was caught inside a widget callback.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
import json
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CHECK_CALLBACKS = (
    "import sys\n"
    "if 'course.widgets' in sys.modules:\n"
    "    _errors = sys.modules['course.widgets'].callback_errors\n"
    "    assert not _errors, f'exceptions inside widget callbacks: {_errors!r}'"
)


@dataclass
class Run:
    """One executed notebook."""

    path: Path
    seconds: float
    notebook: nbformat.NotebookNode | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def widget_state(self) -> str:
        """The widget state nbclient kept, as text (to look for CSS classes and messages)."""
        if self.notebook is None:
            return ""
        return json.dumps(self.notebook.metadata.get("widgets", {}))


def problems_in(nb: nbformat.NotebookNode) -> list[str]:
    """Every error output, stderr traceback and error box the learner would have seen."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = output.get("text", "")
                if "Traceback" in text or "Error" in text or "error in a quiz callback" in text:
                    found.append(f"cell {index} wrote to stderr: {text[:500]}")
    shown = " ".join(_widget_texts(nb.metadata.get("widgets", {})))
    for marker in ('class="quiz-error', "something went wrong"):
        if marker in shown:
            found.append(f"a widget shows an error ({marker!r})")
    return found


def _widget_texts(state: object) -> list[str]:
    """Every string value in the widget state (what the widgets show), JSON escapes undone."""
    if isinstance(state, str):
        return [state]
    if isinstance(state, dict):
        return [t for v in state.values() for t in _widget_texts(v)]
    if isinstance(state, list):
        return [t for v in state for t in _widget_texts(v)]
    return []


async def _run_one(path: Path, env: dict[str, str], timeout: int, semaphore: asyncio.Semaphore, check_callbacks: bool) -> Run:
    nb = nbformat.read(path, as_version=4)
    if check_callbacks:
        nb.cells.append(nbformat.v4.new_code_cell(CHECK_CALLBACKS))
    # IPC sockets in a folder of our own: no TCP ports to race for, and no "unencrypted TCP" warning.
    sockets = Path(tempfile.mkdtemp(prefix="nbrun-"))
    km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(sockets / uuid.uuid4().hex[:8]))
    client = NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        startup_timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    async with semaphore:
        start = time.perf_counter()
        try:
            await client.async_execute(env=env)  # passed on to the kernel manager's start_kernel
        except CellExecutionError as exc:  # allow_errors=True should keep us here rarely
            return Run(path, time.perf_counter() - start, nb, [str(exc)])
        finally:
            shutil.rmtree(sockets, ignore_errors=True)
        seconds = time.perf_counter() - start
    return Run(path, seconds, nb, problems_in(nb))


SLOWEST = ("trainer_dashboard.ipynb",)
"""Notebooks started before the others: the trainer dashboard takes about one and a half lessons'
time. Sorted last, it started last and ran alone while the other worker had nothing left to do
(the longest job first is the usual remedy)."""


def run_notebooks(paths: list[Path], env: dict[str, str], *, workers: int = 2, timeout: int = 120, check_callbacks: bool = True) -> dict[Path, Run]:
    """Execute ``paths`` (``workers`` at a time; :data:`SLOWEST` first, the rest in the order given)
    and return each run, by path."""
    order = sorted(paths, key=lambda p: p.name not in SLOWEST)  # (a stable sort)

    async def main() -> list[Run]:
        semaphore = asyncio.Semaphore(workers)
        return await asyncio.gather(*(_run_one(p, env, timeout, semaphore, check_callbacks) for p in order))

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop here: the usual case
        runs = asyncio.run(main())
    else:  # a loop already runs in this thread (e.g. Playwright's sync API in the same pytest session)
        with ThreadPoolExecutor(max_workers=1) as pool:
            runs = pool.submit(asyncio.run, main()).result()
    return {run.path: run for run in runs}
