"""``make bench``: run every benchmark, each in its own process, and print one table.

Each row is a figure with its target; a figure over its target is marked, and the exit status
is 1 if any is. Run one benchmark alone for its details (see README, "Benchmarks").

    .venv/bin/python benchmarks/suite.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _figures import Figure, table  # noqa: E402

CACHE = str(HERE.parent / "build" / "bench")  # built databases kept between runs (build/ is gitignored)

# (script, arguments, arguments with --quick)
BENCHMARKS: list[tuple[str, list[str], list[str]]] = [
    ("notebooks.py", ["--rounds", "2"], ["--rounds", "1"]),
    ("imports.py", ["--kernels", "5"], ["--kernels", "3"]),
    ("answer_latency.py", ["-n", "2000"], ["-n", "300"]),
    ("answer_latency.py", ["-n", "500", "--postgres"], ["-n", "100", "--postgres"]),
    ("grading.py", [], []),
    ("service_latency.py", ["-n", "500"], ["-n", "200", "--seconds", "3"]),
    ("service_latency.py", ["-n", "300", "--postgres"], ["-n", "100", "--seconds", "3", "--postgres"]),
    ("report_scale.py", ["--cache", CACHE, "--postgres", "--steps", "load,full,full_cold,regrade,export"],
     ["--cache", CACHE, "--learners", "1000", "--postgres", "--steps", "full,full_cold,export", "--repeat", "1"]),
    ("first_question.py", ["--opens", "4"], ["--opens", "2", "--no-parts"]),
    ("nbgrader_side_by_side.py", ["--cache", CACHE, "--sizes", "1000,10000"], ["--cache", CACHE, "--sizes", "1000", "--repeat", "1"]),
]


def run(script: str, arguments: list[str]) -> list[Figure]:
    """The figures one benchmark script prints with --json."""
    # nbgrader lives in a venv of its own (make bench: build/bench/venv), never in the course's
    python = os.environ.get("NBGRADER_PYTHON", sys.executable) if script.startswith("nbgrader") else sys.executable
    command = [python, str(HERE / script), *arguments, "--json"]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    print(f"  {script} {' '.join(arguments)}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if result.returncode != 0:
        raise SystemExit(f"{script} failed:\n{result.stderr[-3000:]}")
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    return [Figure(**row) for row in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (the report at 100,000 answers)")
    options = parser.parse_args()
    figures: list[Figure] = []
    print("running the benchmarks (a few minutes)...", file=sys.stderr)
    for script, full, quick in BENCHMARKS:
        if (HERE / script).exists():
            figures += run(script, quick if options.quick else full)
    print(table(figures, "Benchmarks" + (" (quick)" if options.quick else "")))
    over = [f.name for f in figures if f.met is False]
    if over:
        print(f"\nover target: {'; '.join(over)}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
