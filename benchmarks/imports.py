"""What a lesson kernel pays to import the course, against importing ipywidgets alone.

Each figure is the median over fresh kernels (one import per kernel, so nothing is cached in
the process), the two imports' kernels taking turns. The course's lesson entry point is ``course.widgets``; reporting libraries
(pandas, fpdf2) must not load there.

    .venv/bin/python benchmarks/imports.py [--kernels 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from jupyter_client.manager import KernelManager

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Figure, emit  # noqa: E402

TARGET_RATIO = 1.3  # issue 13
HEAVY = ("pandas", "fpdf", "pypdf", "matplotlib", "voila")

PROBE = """
import time as _t, sys as _s, json as _j
_start = _t.perf_counter()
import {module}
_elapsed = _t.perf_counter() - _start
print(_j.dumps({{"seconds": _elapsed, "loaded": [m for m in {heavy!r} if m in _s.modules]}}))
"""


def time_import(module: str) -> dict:
    """Import ``module`` in a new kernel; seconds taken and which heavy libraries it loaded."""
    sockets = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(sockets / uuid.uuid4().hex[:8]))
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    try:
        lines: list[str] = []
        reply = kc.execute_interactive(
            PROBE.format(module=module, heavy=HEAVY),
            timeout=60,
            output_hook=lambda msg: lines.append(msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None,
        )
        if reply["content"]["status"] != "ok":
            raise SystemExit(f"import {module} failed: {reply['content'].get('evalue')}")
        return json.loads("".join(lines).strip().splitlines()[-1])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        shutil.rmtree(sockets, ignore_errors=True)


def measure(kernels: int = 5) -> list[Figure]:
    widgets, course = [], []
    for _ in range(kernels):  # interleaved: a busy moment of the machine falls on both alike
        widgets.append(time_import("ipywidgets"))
        course.append(time_import("course.widgets"))
    base = statistics.median(r["seconds"] for r in widgets)
    ours = statistics.median(r["seconds"] for r in course)
    heavy = sorted({m for r in course for m in r["loaded"]})
    if heavy:
        print(f"warning: importing course.widgets loaded {', '.join(heavy)}", file=sys.stderr)
    return [
        Figure("import ipywidgets, lesson kernel", base * 1000, "ms"),
        Figure("import course.widgets, lesson kernel", ours * 1000, "ms"),
        Figure("import course / import ipywidgets", ours / base, "×", TARGET_RATIO),
        Figure("reporting libraries loaded by course.widgets", len(heavy), "modules", 0),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=5, help="fresh kernels per import (default 5)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()
    emit(measure(options.kernels), "Imports in a lesson kernel")


if __name__ == "__main__":
    main()
