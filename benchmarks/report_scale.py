"""The trainer's report over a large store: 10,000 learners, about 100 answers each (1,000,000 rows).

Builds a scratch SQLite results database in a temporary folder, with the real course banks
(``course.bank.load_course()`` on ``quizzes/``) and realistic answers: each learner works through
the lessons in order and stops somewhere (2% never start), answers mostly right (the chance
depends on the learner and the question), retries some wrong practice answers, writes free-text
answers of which half are reviewed by a trainer, and, when the course has the assessment bank
``final_assessment``, sits it once or twice after the last lesson (questions drawn by
:func:`course.assessment.draw`, as the notebook does). Every score is what
:func:`course.grading.grade` gives for the response; then 20 stored scores are edited behind the
store's back, so that the re-grade has something to find.

To build a million rows in seconds the data set is inserted **straight into the store's tables**
with ``sqlite3.executemany`` in large transactions (synchronous=OFF), in the order the answers
were given (as a live store holds them), bypassing ``ResultsStore.record`` (one fsync'ed
transaction per answer); the schema itself is created by the store, and the timestamps are
written in the store's own SQLite format (checked by reading a learner's first answer back
through ``ResultsStore.attempts``). The build runs in a child process.

Then it times each step in fresh child processes (``--repeat`` runs, the median shown), so that
each step's memory is measured on its own with ``ru_maxrss``, which counts what numpy and pandas
allocate (tracemalloc does not):

- loading the frame (``course.report.load``): the progress columns (``detail=False``) and every
  column,
- on a loaded frame (loaded first, untimed): the progress matrix; the learner and cohort
  summaries; the item analysis + distractors; the re-grade,
- the full report a trainer waits for: load + progress matrix + item analysis. Target (issue
  13): <= 1 s and <= 512 MiB. Timed with the columnar cache warm (an untimed report writes it
  first), as a trainer's later reports find it: the load reads, in this process, the database's
  state (the change log of store schema 5, the triggers, the ends), the rows after the cache, the
  learners and the reviews, and maps the cached columns; every table is computed afresh
  (course/columnar.py, "The cache"),
- the same with no cache (``full_cold``: the first report on a store; every row read by ADBC),
- the whole report: ``course.report.build`` (load with every column, answers, learner summary,
  progress matrix, cohort summary, item analysis, distractors, review queue),
- the full CSV export, streamed (:mod:`course.export_csv`). Target: <= 256 MiB.

On SQLite a full read (no cache, or one that no longer matches; and the detailed reads: whole
report, export) is made by a reader child process (:mod:`course.columnar`): its peak memory is
shown apart. A cached read starts none. ``--postgres`` measures the same on a throwaway PostgreSQL server (tests/pgserver.py)
holding the same data (copied with COPY).

    .venv/bin/python benchmarks/report_scale.py [--learners 10000] [--answers-per-learner 100]
                                               [--db PATH | --cache FOLDER] [--postgres]
                                               [--steps load,full,...] [--repeat 3] [--json]

``--db PATH`` builds the database at PATH if it does not exist, and reuses it if it does (else
a temporary one is built and removed); ``--cache FOLDER`` does the same in FOLDER, under a name
that changes with the size and the banks' versions (make bench: build/bench, gitignored).
``--json`` prints the figures for ``benchmarks/suite.py``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import resource
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from course import assessment  # noqa: E402
from course.bank import FreeText, Matching, MultipleChoice, Numeric, Ordering, Question, SingleChoice, TrueFalse, load_course  # noqa: E402
from course.grading import UngradableResponse, grade  # noqa: E402
from course.store import ResultsStore  # noqa: E402

TARGET_SECONDS = 1.0  # issue 13
TARGET_MIB = 512.0
FINAL = "final_assessment"
EDITED_SCORES = 20
COHORTS = [f"2026-{month:02d}-{site}" for month in range(1, 13) for site in ("north", "south")]
START = np.datetime64("2026-01-05T08:00:00", "us")

# --- building the data set --------------------------------------------------------------------


def candidates(q: Question, rng: random.Random) -> tuple[list[tuple[str, float | None, bool | None]], list[tuple[str, float | None, bool | None]]]:
    """Right and wrong responses to ``q`` as (response JSON, score, correct), graded by course.grading."""
    right: list[Any]
    wrong: list[Any]
    if isinstance(q, SingleChoice):
        right = [o.id for o in q.options if o.correct]
        wrong = [o.id for o in q.options if not o.correct]
    elif isinstance(q, MultipleChoice):
        good = [o.id for o in q.options if o.correct]
        bad = [o.id for o in q.options if not o.correct]
        right = [sorted(good)]
        wrong = [sorted(good[:-1] or good + bad[:1]), sorted(good + bad[:1])]
        if len(good) > 1:
            wrong.append(sorted(good[:1]))
    elif isinstance(q, TrueFalse):
        right, wrong = [q.answer], [not q.answer]
    elif isinstance(q, Numeric):
        value = q.answer if q.answer is not None else (q.min + q.max) / 2  # type: ignore[operator]
        right = [value, f"{value:g}"]
        if q.unit:
            right.append(f"{value:g} {q.unit}")
        wrong = [value * 2 + 1, f"{value + 10:g}"]
    elif isinstance(q, Ordering):
        ids = [i.id for i in q.items]
        right = [ids]
        wrong = [ids[1:2] + ids[:1] + ids[2:], list(reversed(ids))]
    elif isinstance(q, Matching):
        ids = [p.id for p in q.pairs]
        right = [{i: i for i in ids}]
        wrong = [{i: ids[(n + 1) % len(ids)] for n, i in enumerate(ids)}, {**{i: i for i in ids}, ids[0]: ids[1], ids[1]: ids[0]}]
    else:
        return [], []

    def graded(responses: list[Any]) -> list[tuple[str, float | None, bool | None]]:
        out = []
        for response in responses:
            try:
                g = grade(q, response)
            except UngradableResponse:
                continue
            out.append((json.dumps(response, ensure_ascii=False), g.score, g.correct))
        return out

    good_ones = [c for c in graded(right) if c[2]]
    bad_ones = [c for c in graded(wrong) if not c[2]]
    return good_ones, bad_ones or good_ones


FREE_TEXTS = [
    "I would explain that ketamine therapy is a tool, not a cure, and that results differ from person to person.",
    "Check the blood pressure, stay with the patient, and call the clinician in charge if anything worries me.",
    "I work at the front desk and want to answer patients' questions accurately.",
    "Nurse on the infusion team; I want to understand the monitoring better.",
]


def build(path: Path, learners: int, per_learner: int, *, seed: int = 7, log=print) -> dict[str, Any]:
    """Build the scratch database at ``path``; return a few facts about it."""
    started = time.perf_counter()
    course = load_course()
    rng = random.Random(seed)
    with ResultsStore(f"sqlite:///{path}", outbox=path.parent / "outbox.jsonl") as store:
        store.schema_version()  # creates the tables
    practice = [b for b in sorted(course.banks.values(), key=lambda b: b.lesson) if b.mode == "practice"]
    final = course.banks.get(FINAL)
    if final is not None and final.mode != "assessment":
        final = None
    owner = {q.id: b for b in course.banks.values() for q in b.questions}
    answers: dict[str, tuple[list, list]] = {}
    easiness: dict[str, float] = {}
    for bank in course.banks.values():
        for q in bank.questions:
            answers[q.id] = candidates(q, rng)
            easiness[q.id] = rng.gauss(1.8, 0.9)

    columns: dict[str, list[Any]] = {name: [] for name in ("learner", "quiz", "question", "question_type", "bank_version", "mode", "response", "score", "max_score", "correct", "submission")}
    times: list[int] = []
    free_rows: list[int] = []
    retakes: list[tuple[str, str]] = []
    append = {name: values.append for name, values in columns.items()}
    add_time = times.append
    sittings = 0

    def answer(learner: str, quiz: str, q: Question, version: str, mode: str, ability: float, now: int, submission: str | None) -> bool:
        if isinstance(q, FreeText):
            text = rng.choice(FREE_TEXTS) + ("" if rng.random() < 0.5 else f" ({learner})")
            response, score, correct = json.dumps(text, ensure_ascii=False), None, None
            free_rows.append(len(times))
        else:
            good, bad = answers[q.id]
            p = 1 / (1 + math.exp(-(ability + easiness[q.id])))
            response, score, correct = rng.choice(good) if rng.random() < p else rng.choice(bad)
        append["learner"](learner)
        append["quiz"](quiz)
        append["question"](q.id)
        append["question_type"](q.type)
        append["bank_version"](version)
        append["mode"](mode)
        append["response"](response)
        append["score"](score)
        append["max_score"](q.points)
        append["correct"](correct)
        append["submission"](submission)
        add_time(now)
        return bool(correct) or correct is None

    names = [f"learner-{n:05d}" for n in range(1, learners + 1)]
    learner_rows = []
    second = 1_000_000
    for index, name in enumerate(names):
        cohort = COHORTS[index % len(COHORTS)] if index % 50 != 49 else None  # 2% in no cohort
        first_day = rng.randrange(0, 300)
        learner_rows.append((name, cohort, _ts(int(first_day * 86400 * second))))
        if index % 50 == 0:  # 2% never answer
            continue
        ability = rng.gauss(0.3, 0.8)
        quota = max(5, int(rng.gauss(per_learner, per_learner * 0.3)))
        now = int((first_day * 86400 + rng.randrange(0, 36000)) * second)
        given = 0
        for bank in practice:
            for q in bank.questions:
                if given >= quota:
                    break
                now += rng.randrange(20, 120) * second
                given += 1
                if not answer(name, bank.quiz, q, bank.version, "practice", ability, now, None):
                    tries = 0
                    while given < quota and tries < 2 and rng.random() < 0.6:
                        now += rng.randrange(10, 60) * second
                        given += 1
                        tries += 1
                        if answer(name, bank.quiz, q, bank.version, "practice", ability + 1.0, now, None):
                            break
            now += rng.randrange(1, 4) * 86400 * second
            if given >= quota:
                break
        else:
            if final is not None:
                for sitting in range(2):
                    drawn = assessment.draw(course, final, name, sitting=sitting)
                    submission = "%032x" % rng.getrandbits(128)
                    now += rng.randrange(1, 3) * 86400 * second
                    sittings += 1
                    passed = True
                    for q in drawn:
                        now += rng.randrange(20, 90) * second
                        passed &= answer(name, final.quiz, q, owner[q.id].version, "assessment", ability + 0.3, now, submission)
                    given += len(drawn)
                    if passed or rng.random() < 0.5:
                        break
                    retakes.append((name, final.quiz))
            while given < quota:  # revision: practice questions again
                bank = rng.choice(practice)
                q = rng.choice(bank.questions)
                now += rng.randrange(20, 120) * second
                given += 1
                answer(name, bank.quiz, q, bank.version, "practice", ability + 0.5, now, None)
        if index % 1000 == 999:
            log(f"  generated {index + 1:,} learners, {len(times):,} answers ({time.perf_counter() - started:.0f} s)")

    n = len(times)
    stamps = _stamps(np.array(times, dtype=np.int64))
    keys = ["%032x" % rng.getrandbits(128) for _ in range(n)]
    correct = [None if c is None else int(c) for c in columns["correct"]]
    # stored in the order answers arrive, as a live store holds them (ids follow time)
    order = np.argsort(np.array(times, dtype=np.int64), kind="stable").tolist()
    rows = (
        (keys[i], columns["learner"][i], columns["quiz"][i], columns["question"][i], columns["question_type"][i], columns["bank_version"][i],
         columns["mode"][i], columns["response"][i], columns["score"][i], columns["max_score"][i], correct[i], columns["submission"][i], stamps[i], stamps[i])
        for i in order
    )
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO learners (name, cohort, created_at) VALUES (?, ?, ?)", learner_rows)
    conn.execute("COMMIT")
    insert = (
        "INSERT INTO attempts (key, learner, quiz, question, question_type, bank_version, mode, response, score, "
        "max_score, correct, submission, answered_at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    batch = 200_000
    for start in range(0, n, batch):
        conn.execute("BEGIN")
        conn.executemany(insert, itertools.islice(rows, batch))
        conn.execute("COMMIT")
        log(f"  inserted {min(start + batch, n):,} of {n:,} answers ({time.perf_counter() - started:.0f} s)")
    reviewed = free_rows[::2]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO reviews (attempt_key, score, comment, reviewer, reviewed_at) VALUES (?, ?, ?, ?, ?)",
        [(keys[i], float(rng.choice([0.0, 0.5, 1.0])), rng.choice(["", "Good.", "See the lesson again."]), "trainer", stamps[i]) for i in reviewed],
    )
    conn.executemany(
        "INSERT INTO retakes (learner, quiz, allowed_by, allowed_at) VALUES (?, ?, ?, ?)",
        [(learner, quiz, "trainer", stamps[0]) for learner, quiz in retakes],
    )
    gradable = [i for i in rng.sample(range(n), min(n, 2000)) if columns["score"][i] is not None][:EDITED_SCORES]
    edits = [(columns["max_score"][i] / 2 if columns["score"][i] >= columns["max_score"][i] else columns["max_score"][i], keys[i]) for i in gradable]
    conn.executemany("UPDATE attempts SET score = ? WHERE key = ?", edits)  # each now differs from the bank's grade
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    with ResultsStore(f"sqlite:///{path}", outbox=path.parent / "outbox.jsonl") as store:
        if n:
            first = store.attempts(learner=columns["learner"][0])[0]
            expected = (START + np.timedelta64(times[0], "us")).astype(datetime)
            if first.key != keys[0] or first.answered_at.replace(tzinfo=None) != expected or first.score != columns["score"][0]:
                raise SystemExit(f"the answers written do not read back as written: {first}")
    facts = {
        "learners": learners,
        "answers": n,
        "free_text": len(free_rows),
        "reviews": len(reviewed),
        "sittings": sittings,
        "edited": len(gradable),
        "seconds": time.perf_counter() - started,
    }
    return facts


def _stamps(offsets_us: np.ndarray) -> list[str]:
    """Microseconds after START as the store's SQLite text ('YYYY-MM-DD HH:MM:SS.ffffff', UTC)."""
    text = np.datetime_as_string(START + offsets_us.astype("timedelta64[us]"), unit="us")
    return [s.replace("T", " ") for s in text.tolist()]


def _ts(offset_us: int) -> str:
    return _stamps(np.array([offset_us], dtype=np.int64))[0]



def copy_to_postgres(path: Path, url: str, log=print) -> None:
    """The SQLite data set at ``path`` into a new store at ``url`` (PostgreSQL), with COPY."""
    import psycopg
    from sqlalchemy.engine import make_url

    started = time.perf_counter()
    with ResultsStore(url, outbox=path.parent / "outbox-pg.jsonl") as store:
        store.schema_version()  # creates the tables
    pg = make_url(url)
    source = sqlite3.connect(path)
    tables = {
        "learners": ["name", "cohort", "created_at"],
        "attempts": ["id", "key", "learner", "quiz", "question", "question_type", "bank_version", "mode", "response", "score", "max_score", "correct", "submission", "answered_at", "recorded_at"],
        "reviews": ["id", "attempt_key", "score", "comment", "reviewer", "reviewed_at"],
        "retakes": ["id", "learner", "quiz", "allowed_by", "allowed_at"],
    }
    with psycopg.connect(host=pg.host, port=pg.port, user=pg.username, password=pg.password, dbname=pg.database) as conn:
        conn.execute("SET TIME ZONE 'UTC'")  # SQLite's times are UTC text without a zone
        for table, columns in tables.items():
            rows = source.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")
            with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    if table == "attempts":
                        row = (*row[:11], None if row[11] is None else bool(row[11]), *row[12:])
                    copy.write_row(row)
            if "id" in columns:
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))")
        conn.execute("ANALYZE")
    source.close()
    log(f"  copied into PostgreSQL ({time.perf_counter() - started:.0f} s)")


# --- measuring ------------------------------------------------------------------------------------

STEPS: dict[str, str] = {
    "load": "load the frame (progress columns)",
    "load_detail": "load the frame (every column)",
    "progress": "progress matrix",
    "summary": "learner summary (+ cohort summary)",
    "items": "item analysis + distractors",
    "regrade": "re-grade every response",
    "full": "full report: load + progress matrix + item analysis",
    "full_cold": "full report, no columnar cache yet (the first on a store)",
    "whole": "whole report: build() (every table but re-grade)",
    "export": "full CSV export, streamed (course export --format csv)",
}
EXPORT_TARGET_MIB = 256.0


def _rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


_READER_STATS = Path(tempfile.gettempdir()) / f"report-scale-reader-{os.getpid()}.txt"


def _reader_mib() -> float:
    """The largest peak (VmHWM) of the SQLite reader children this process started (0 if none)."""
    try:
        lines = _READER_STATS.read_text().splitlines()
    except OSError:
        return 0.0
    finally:
        _READER_STATS.unlink(missing_ok=True)
    return max((int(line.split()[1]) / 1024 for line in lines), default=0.0)


def child(step: str, url: str) -> dict[str, float]:
    """Run one step in this (fresh) process; seconds (wall and CPU) and peak resident memory.

    On SQLite a full read is made by a child process of this one (course.columnar): its own peak
    (VmHWM) is given apart (0 when none ran: a cached read). Adding the two would count the shared libraries' pages twice (pyarrow
    alone is ~80 MiB of resident pages in each process).
    """
    from course import report

    course = load_course()
    store = ResultsStore(url, outbox=Path(tempfile.gettempdir()) / "report-scale-outbox.jsonl")
    store.schema_version()
    import pandas  # noqa: F401  (the report's imports, before the base is taken)
    from course import columnar, export_csv  # noqa: F401

    os.environ["COURSE_READER_STATS"] = str(_READER_STATS)
    from course import columnar as _columnar

    cache = _columnar.cache_path(store.engine.url)
    if step == "full_cold" and cache is not None:
        cache.unlink(missing_ok=True)
    elif step == "warm":
        report.load(store, detail=False)  # writes the columnar cache (a trainer's later reports use it)
        return {"seconds": 0.0, "cpu": 0.0, "peak_mib": 0.0, "reader_mib": 0.0, "base_mib": 0.0, "rows": 0}
    base = _rss_mib()
    data = None
    if step in ("progress", "summary"):
        data = report.load(store, detail=False)
    elif step in ("items", "regrade"):
        data = report.load(store)
    started, cpu = time.perf_counter(), time.process_time()
    if step == "load":
        rows = len(report.load(store, detail=False).attempts)
    elif step == "load_detail":
        rows = len(report.load(store).attempts)
    elif step == "progress":
        rows = len(report.progress_matrix(data, course))
    elif step == "summary":
        rows = len(report.cohort_summary(data, course)) + len(report.learner_summary(data, course))
    elif step == "items":
        rows = len(report.item_analysis(data, course)) + len(report.distractors(data, course))
    elif step == "regrade":
        rows = len(report.regrade(data, course))
    elif step in ("full", "full_cold"):
        data = report.load(store, detail=False)
        rows = len(report.progress_matrix(data, course)) + len(report.item_analysis(data, course))
    elif step == "whole":
        rows = len(report.build(store, course).answers)
    elif step == "export":
        from course.files import replace_file

        with tempfile.TemporaryDirectory(prefix="report-scale-export-") as folder:
            plan = export_csv.Plan(store)
            replace_file(Path(folder) / "answers.csv", plan.chunks(course))
            rows = plan.answers
    else:
        raise SystemExit(f"unknown step {step!r}")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    peak, reader = _rss_mib(), _reader_mib()
    return {"seconds": seconds, "cpu": cpu, "peak_mib": peak, "reader_mib": reader, "base_mib": base, "rows": rows}


def run_child(step: str, url: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", step, "--url", url],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(url: str, steps: list[str], repeat: int, log) -> dict[str, dict[str, float]]:
    results = {}
    run_child("warm", url)  # the columnar cache as a trainer's second report finds it
    for step in steps:
        log(f"  {STEPS[step]} ({repeat}x) ...")
        runs = [run_child(step, url) for _ in range(repeat)]
        results[step] = {
            "seconds": statistics.median(r["seconds"] for r in runs),
            "cpu": statistics.median(r["cpu"] for r in runs),
            "min_seconds": min(r["seconds"] for r in runs),
            "max_seconds": max(r["seconds"] for r in runs),
            "peak_mib": max(r["peak_mib"] for r in runs),
            "reader_mib": max(r["reader_mib"] for r in runs),
            "base_mib": max(r["base_mib"] for r in runs),
        }
    return results


def cached_path(cache: Path, learners: int, per_learner: int) -> Path:
    """Where --cache keeps the database of this size built on the current banks."""
    import hashlib

    versions = sorted((b.quiz, b.version) for b in load_course().banks.values())
    digest = hashlib.sha256(json.dumps(versions).encode()).hexdigest()[:12]
    cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    return cache / f"report-{learners}x{per_learner}-{digest}.sqlite"


def ensure_built(path: Path, learners: int, per_learner: int, log=print) -> None:
    """Build the database at ``path`` (in a child process) unless it is there."""
    if path.exists():
        log(f"reusing {path}")
        return
    log(f"building {path}: {learners:,} learners x ~{per_learner} answers")
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--build-only", "--db", str(path),
         "--learners", str(learners), "--answers-per-learner", str(per_learner)],
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000, help="learners (default 10,000)")
    parser.add_argument("--answers-per-learner", type=int, default=100, help="answers per learner, on average (default 100)")
    parser.add_argument("--db", type=Path, help="the SQLite file to build, or to reuse if it exists (default: a temporary one)")
    parser.add_argument("--cache", type=Path, help="a folder (gitignored, e.g. build/bench) to keep the built database in, named by its size and the banks' versions")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each step, each in a fresh process; the median is shown (default 3)")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"which steps, comma-separated (default all: {','.join(STEPS)})")
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL: a throwaway server with the same data (tests/pgserver.py)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (for benchmarks/suite.py)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    steps = [s for s in options.steps.split(",") if s]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise SystemExit(f"unknown steps: {', '.join(unknown)}")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if options.child:
        print(json.dumps(child(options.child, options.url)))
        return
    if options.build_only:
        facts = build(options.db, options.learners, options.answers_per_learner, log=log)
        log("built: " + ", ".join(f"{k} {v:,.0f}" for k, v in facts.items()))
        return

    with tempfile.TemporaryDirectory(prefix="course-bench-report-") as folder:
        os.environ["COURSE_DATA_DIR"] = str(Path(folder) / "data")  # PostgreSQL's columnar cache goes there, not in var/
        path = options.db or Path(folder) / "results.sqlite"
        if options.cache is not None and options.db is None:
            path = cached_path(options.cache, options.learners, options.answers_per_learner)
        # in a child process, so that this one stays small: a child's ru_maxrss starts at its parent's
        ensure_built(path, options.learners, options.answers_per_learner, log=log)
        with sqlite3.connect(path) as conn:
            answers = conn.execute("SELECT count(*) FROM attempts").fetchone()[0]
            learners = conn.execute("SELECT count(*) FROM learners").fetchone()[0]
        databases = {"SQLite": f"sqlite:///{path}"}
        server = None
        if options.postgres:
            sys.path.insert(0, str(HERE.parent / "tests"))
            import pgserver
            from sqlalchemy import create_engine, text

            server = pgserver.start_server()
            admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text("CREATE DATABASE bench"))
            admin.dispose()
            databases["PostgreSQL"] = server.database_url("bench")
            copy_to_postgres(path, databases["PostgreSQL"], log=log)
        try:
            results = {}
            for name, url in databases.items():
                log(f"{name}:")
                results[name] = measure(url, [s for s in steps if name == "SQLite" or s != "export"], options.repeat, log)
        finally:
            if server is not None:
                server.remove()
    scale = f"report at {answers:,} answers"
    if options.json:
        from _figures import Figure, emit

        figures = []
        for name, r in results.items():
            if "full" in r:
                figures += [
                    Figure(f"{scale}, {name}: full report (load + progress matrix + item analysis)", r["full"]["seconds"], "s", TARGET_SECONDS),
                    Figure(f"{scale}, {name}: full report, CPU time", r["full"]["cpu"], "s"),
                    Figure(f"{scale}, {name}: full report, peak memory", r["full"]["peak_mib"], "MiB", TARGET_MIB),
                ]
                if r["full"]["reader_mib"]:
                    figures.append(Figure(f"{scale}, {name}: full report, its reader process's peak memory", r["full"]["reader_mib"], "MiB"))
            if "export" in r:
                figures += [
                    Figure(f"CSV export of {answers:,} answers, {name}: time", r["export"]["seconds"], "s"),
                    Figure(f"CSV export of {answers:,} answers, {name}: peak memory", r["export"]["peak_mib"], "MiB", EXPORT_TARGET_MIB),
                    Figure(f"CSV export of {answers:,} answers, {name}: its reader processes' peak memory", r["export"]["reader_mib"], "MiB"),
                ]
            figures += [Figure(f"{scale}, {name}: {STEPS[s]}", r[s]["seconds"], "s") for s in r if s not in ("full", "export")]
        emit(figures, f"Trainer's report over {answers:,} answers of {learners:,} learners")
        return
    for name, r in results.items():
        print(f"Trainer's report over {answers:,} answers of {learners:,} learners ({name})")
        print(f"{'step':<56} {'seconds':>8} {'(range)':>12} {'CPU s':>6} {'peak MiB':>9} {'(start)':>8} {'reader':>7}  target")
        for step, m in r.items():
            target = ""
            if step == "full":
                ok = m["seconds"] <= TARGET_SECONDS and m["peak_mib"] <= TARGET_MIB
                target = f"<= {TARGET_SECONDS:g} s, <= {TARGET_MIB:g} MiB: {'ok' if ok else 'OVER TARGET'}"
            elif step == "export":
                target = f"<= {EXPORT_TARGET_MIB:g} MiB: {'ok' if m['peak_mib'] <= EXPORT_TARGET_MIB else 'OVER TARGET'}"
            spread = f"{m['min_seconds']:.2f}-{m['max_seconds']:.2f}"
            print(f"{STEPS[step]:<56} {m['seconds']:>8.2f} {spread:>12} {m['cpu']:>6.2f} {m['peak_mib']:>9.0f} {m['base_mib']:>8.0f} {m['reader_mib']:>7.0f}  {target}")
        print()
    print(f"seconds: median (and range) of {options.repeat} runs, each in a fresh process; CPU s: this process's")
    print("(on SQLite the reader is a child process: its CPU is not in it). peak MiB: the process's ru_maxrss;")
    print("start: after the imports, before reading; reader: the SQLite reader child's own peak (VmHWM), apart.")


if __name__ == "__main__":
    main()
