"""How long a learner waits for an answer to be kept: latency of one durable write.

Records answers through ``ResultsStore.record`` into a scratch SQLite database in a temporary
folder (WAL, synchronous=FULL: each answer is fsync'ed before record() returns), and, for
comparison, through the outbox alone (the path taken when the database cannot be reached).

    .venv/bin/python benchmarks/answer_latency.py [-n 2000] [--url URL] [--json]

``--url`` measures another database instead (e.g. a PostgreSQL server); it must be a scratch
one: the answers stay there. :func:`measure` takes any callable, so a fuller measure (from the
Submit click, through grading and the widgets) can reuse it.
"""

from __future__ import annotations

import argparse
import os
import sys
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from course.store import Attempt, ResultsStore, SaveOutcome

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Figure, emit  # noqa: E402

TARGET_MEDIAN_MS = 10.0  # a learner should not wait for the answer to be kept


def measure(record_callable: Callable[[], object], n: int) -> dict[str, float]:
    """Call `record_callable` n times; latencies in ms (median, p95, max) and calls per second."""
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(n):
        before = time.perf_counter()
        record_callable()
        latencies.append((time.perf_counter() - before) * 1000)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "n": n,
        "median_ms": statistics.median(latencies),
        "p95_ms": latencies[max(0, round(0.95 * n) - 1)],
        "max_ms": latencies[-1],
        "per_second": n / elapsed,
    }


def answer(index: int) -> Attempt:
    """A typical practice answer."""
    return Attempt(
        learner="benchmark",
        quiz="history",
        question=f"history-{index % 12}",
        question_type="single_choice",
        bank_version="sha256:benchmark",
        mode="practice",
        response="b",
        score=1.0,
        max_score=1.0,
        correct=True,
    )


def recorder(store: ResultsStore, expected: SaveOutcome) -> Callable[[], object]:
    """A callable that records the next answer and checks where it went."""
    counter = iter(range(10**9))

    def record() -> None:
        outcome = store.record(answer(next(counter)))
        if outcome is not expected:
            raise RuntimeError(f"expected {expected.value}, got {outcome.value}")

    return record


def submit_clicker(n: int) -> Callable[[], object]:
    """A callable that clicks Submit on a practice question (a wrong answer, so it stays open).

    This is the learner's wait: grading, rendering the feedback and the durable write, in the
    kernel, as a click on the widget runs them (the browser's round trip is not included). The
    click alternates between two wrong answers: the same answer submitted again is one attempt
    (a double click), which would time the shortcut, not the write.
    """
    from course import widgets
    from course.paper import Paper

    quiz = widgets.quiz_widget("welcome").children[0]
    view = quiz.view("welcome-who-decides")
    question = widgets.get_course().question("welcome-who-decides")[1]
    wrong = [Paper().from_bank(question, quiz.learner, o.id) for o in question.options if not o.correct][:2]
    store = widgets.get_store()
    before = len(store.attempts())
    turn = iter(range(10**9))

    def click() -> None:
        view.input.value = wrong[next(turn) % 2]
        view.submit.click()

    def check() -> None:
        stored = len(store.attempts()) - before
        if stored != n or widgets.callback_errors:
            raise RuntimeError(f"{stored} of {n} clicks stored; errors: {widgets.callback_errors}")

    click.check = check  # type: ignore[attr-defined]
    return click


def postgres_figures(n: int) -> list[Figure]:
    """record() into a throwaway PostgreSQL server started for the measure."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import pgserver

    server = pgserver.start_server()
    try:
        with tempfile.TemporaryDirectory(prefix="course-bench-") as folder:
            with ResultsStore(server.url, outbox=Path(folder) / "outbox.jsonl") as store:
                store.record(answer(-1))
                result = measure(recorder(store, SaveOutcome.STORED), n)
    finally:
        server.remove()
    return [
        Figure("record → postgresql (test server, fsync off): median", result["median_ms"], "ms", TARGET_MEDIAN_MS),
        Figure("record → postgresql (test server, fsync off): p95", result["p95_ms"], "ms"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="answers per measure (default 2000)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--postgres", action="store_true", help="measure a throwaway PostgreSQL server (Debian's postgresql; see tests/pgserver.py)")
    parser.add_argument("--url", help="a scratch database URL instead of a temporary SQLite file")
    options = parser.parse_args()

    if options.postgres:
        emit(postgres_figures(options.n), f"Answer latency on PostgreSQL ({options.n} answers)")
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="course-bench-") as folder:
        scratch = Path(folder)
        url = options.url or f"sqlite:///{scratch / 'results.sqlite'}"
        label = "postgresql" if url.startswith("postgresql") else "sqlite (WAL, FULL)"
        with ResultsStore(url, outbox=scratch / "outbox.jsonl") as store:
            store.record(answer(-1))  # open and migrate outside the measure
            rows.append((f"record → {label}", measure(recorder(store, SaveOutcome.STORED), options.n)))
        os.environ.update(COURSE_DATA_DIR=str(scratch / "kernel"), COURSE_LEARNER="benchmark")
        os.environ.pop("COURSE_DB_URL", None)
        click = submit_clicker(options.n)
        rows.append(("Submit click → stored", measure(click, options.n)))
        click.check()  # type: ignore[attr-defined]
        (scratch / "not-a-folder").write_text("")
        offline_url = f"sqlite:///{scratch / 'not-a-folder' / 'results.sqlite'}"
        with ResultsStore(offline_url, outbox=scratch / "offline.jsonl") as offline:
            rows.append(("record → outbox (db down)", measure(recorder(offline, SaveOutcome.QUEUED), options.n)))

    figures = []
    for name, result in rows:
        target = TARGET_MEDIAN_MS if name.startswith("Submit") else None
        figures += [
            Figure(f"{name}: median", result["median_ms"], "ms", target),
            Figure(f"{name}: p95", result["p95_ms"], "ms"),
            Figure(f"{name}: answers/s", result["per_second"], "1/s"),
        ]
    emit(figures, f"Answer latency ({options.n} answers each)")


if __name__ == "__main__":
    main()
