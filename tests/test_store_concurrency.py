"""Many processes at once, and a process killed mid-answer: nothing lost, nothing stored twice.

The writers are real processes running this file as a script (see the bottom): each builds its
own ResultsStore, prints ``ready``, waits for a go file, then records answers and prints each
key after ``record()`` returned.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course import outbox
from course.store import Attempt, ResultsStore, SaveOutcome

pytestmark = pytest.mark.slow


def start(role: str, *arguments: object, errors: Path) -> subprocess.Popen[str]:
    """This file as a script in a new Python process, its stdout a pipe."""
    return subprocess.Popen(
        [sys.executable, __file__, role, *map(str, arguments)],
        stdout=subprocess.PIPE,
        stderr=errors.open("w"),
        text=True,
    )


def wait_ready(process: subprocess.Popen[str], errors: Path) -> None:
    line = process.stdout.readline()  # type: ignore[union-attr]
    if line != "ready\n":
        process.kill()
        pytest.fail(f"a writer did not start: {line!r} {errors.read_text()[-2000:]}")


def reported(lines: str) -> list[tuple[str, str]]:
    """(key, outcome) for each complete line a writer printed."""
    return [tuple(line.split()) for line in lines.splitlines(keepends=True) if line.endswith("\n")]  # type: ignore[misc]


def test_twenty_writers_at_once_lose_nothing(store_url: str, tmp_path: Path) -> None:
    shared_outbox, go = tmp_path / "outbox.jsonl", tmp_path / "go"
    writers = []
    for number in range(20):
        errors = tmp_path / f"writer-{number}.err"
        writers.append((start("writer", store_url, shared_outbox, f"learner-{number:02d}", 50, go, errors=errors), errors))
    for process, errors in writers:
        wait_ready(process, errors)
    go.touch()

    results: list[tuple[str, str]] = []
    for process, errors in writers:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, errors.read_text()[-2000:]
        results += reported(output)

    keys = {key for key, _ in results}
    assert len(results) == len(keys) == 1000
    with ResultsStore(store_url, outbox=shared_outbox) as store:
        queued = sum(outcome == SaveOutcome.QUEUED.value for _, outcome in results)
        if store.pending_outbox():
            assert store.sync().remaining == 0
        stored = store.attempts()
        assert store.pending_outbox() == 0
        assert len(stored) == 1000, f"{queued} went through the outbox"
        assert {attempt.key for attempt in stored} == keys
        per_learner = {name: 0 for name in (f"learner-{number:02d}" for number in range(20))}
        for attempt in stored:
            per_learner[attempt.learner] += 1
        assert set(per_learner.values()) == {50}
        assert store.integrity_check() is True


def test_a_writer_killed_mid_answers_loses_nothing_it_reported(store_url: str, tmp_path: Path) -> None:
    shared_outbox, go, errors = tmp_path / "outbox.jsonl", tmp_path / "go", tmp_path / "writer.err"
    go.touch()
    process = start("writer", store_url, shared_outbox, "ann", 0, go, errors=errors)  # 0: forever
    wait_ready(process, errors)
    seen: list[str] = []
    while len(seen) < 60:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert line, errors.read_text()[-2000:]
        seen.append(line)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    rest = process.stdout.read()  # type: ignore[union-attr]
    process.stdout.close()  # type: ignore[union-attr]
    assert process.returncode == -signal.SIGKILL
    keys = {key for key, _ in reported("".join(seen) + rest)}

    with ResultsStore(store_url, outbox=shared_outbox) as store:
        assert store.integrity_check() is True
        store.sync()
        stored = {attempt.key for attempt in store.attempts()}
    assert keys <= stored
    assert len(stored) <= len(keys) + 1  # at most the answer in flight, not reported yet


def test_outbox_appends_from_many_processes_survive_concurrent_removal(tmp_path: Path) -> None:
    path, go = tmp_path / "outbox.jsonl", tmp_path / "go"
    appenders = []
    for number in range(4):
        errors = tmp_path / f"appender-{number}.err"
        appenders.append((start("appender", path, f"p{number}", 150, go, errors=errors), errors))
    for process, errors in appenders:
        wait_ready(process, errors)
    go.touch()

    taken: list[str] = []
    while any(process.poll() is None for process, _ in appenders) or path.exists():
        records = outbox.read(path)
        removed = outbox.remove(path, {record["key"] for record in records})
        assert removed == len(records)  # no one else removes
        taken += [record["key"] for record in records]
        time.sleep(0.01)
    for process, errors in appenders:
        assert process.wait() == 0, errors.read_text()[-2000:]
    expected = {f"p{number}-{index}" for number in range(4) for index in range(150)}
    assert len(taken) == len(set(taken)) == 600
    assert set(taken) == expected


# -- the child processes --------------------------------------------------------------------


def _wait_for(go: Path) -> None:
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.002)


def _writer(url: str, outbox_path: str, learner: str, count: int, go: str) -> None:
    """Record `count` answers (0: until killed), printing each key once record() returned."""
    store = ResultsStore(url, outbox=Path(outbox_path), busy_timeout=10)
    store.schema_version()  # every writer opens (and races to create) the schema first
    _wait_for(Path(go))
    index = 0
    while count == 0 or index < count:
        attempt = Attempt(
            learner=learner,
            quiz="history",
            question=f"history-{index % 10}",
            question_type="single_choice",
            bank_version="sha256:4f2a",
            mode="practice",
            response=f"answer {index}",
            score=1.0,
            max_score=1.0,
            correct=True,
        )
        outcome = store.record(attempt)
        print(attempt.key, outcome.value, flush=True)
        index += 1
    store.close()


def _appender(path: str, prefix: str, count: int, go: str) -> None:
    _wait_for(Path(go))
    for index in range(count):
        outbox.append(Path(path), {"key": f"{prefix}-{index}", "response": "x" * 200})


if __name__ == "__main__":
    role, *arguments = sys.argv[1:]
    if role == "writer":
        _writer(arguments[0], arguments[1], arguments[2], int(arguments[3]), arguments[4])
    elif role == "appender":
        _appender(arguments[0], arguments[1], int(arguments[2]), arguments[3])
    else:
        sys.exit(f"unknown role {role!r}")
