"""The summaries a trainer waits for, on this course's store and on an nbgrader gradebook holding the same answers.

Builds (or reuses, under ``--cache``, default build/bench, gitignored) this course's SQLite store
with benchmarks/report_scale.py's data set (the real banks; learners x ~100 answers), then an
nbgrader 0.9 gradebook (nbgrader from PyPI in a venv of its own: ``make bench`` builds build/bench/venv) with the same
learners (students), quizzes (one assignment with one notebook each), questions (grade cells,
their points as max_score) and answers: one submission per learner and quiz they answered, one
grade per question answered, scored with the learner's first attempt (nbgrader keeps one grade
per cell; a free-text answer not yet reviewed needs a manual grade). The gradebook's rows are
inserted with SQLAlchemy Core into the schema nbgrader creates (its ORM, one object at a time,
would take hours at this size); nbgrader's own API then reads it.

Timed, each in a fresh process (median of ``--repeat``), from an opened database to the table:

- per-learner progress and scores: ``course.report.learner_summary(store, course)`` (load
  included: status, first and best percent per lesson, assessment result) against nbgrader's
  ``Gradebook.student_dicts()`` (each student's total score and max score);
- per-question scores: ``course.report.item_analysis(store, course)`` (load included: facility,
  discrimination, flags) against an nbgrader per-grade-cell query through its ORM (mean score and
  count of grades per cell, grouped: nbgrader's API has no per-cell summary).

The ratio is nbgrader's time over the course's (higher: the course is faster). Target >= 10x.

What each side's clock covers (the same on both): imports and opening the database are before
it (nbgrader: ``Gradebook(url)``, which connects and checks its schema; the course:
``ResultsStore(url)`` and ``schema_version()``, which connects and migrates, then the imports the
report needs: pandas and course.columnar); then one call, from the database to the table, every
figure computed in that call (nbgrader: SQL aggregates in SQLite, then Python dicts; the course:
read the answers, learners and reviews, then compute). Neither side caches a result.

The course's figure is with its columnar cache warm (one untimed report is made first), as a
trainer's second and later reports find it: the cache holds the stored answers' columns, not a
table; each read checks it against the database (the change log, the rows after it: see
course/columnar.py), reads the learners and reviews afresh, and every table is computed anew. The
first report on a store (no cache yet: every row read by ADBC in a reader process) is shown beside
it, "first report", once per size (not in the ratio). nbgrader's database is as warm (SQLite's
pages in the OS cache, after its first run).

    build/bench/venv/bin/python benchmarks/nbgrader_side_by_side.py [--sizes 1000,10000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# nbgrader runs its migrations with the `alembic` command: the one beside this interpreter
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

TARGET_RATIO = 10.0


def build_gradebook(store_path: Path, path: Path, log=print) -> int:
    """The nbgrader gradebook at ``path`` with the answers of the course's store; grades written."""
    import pandas as pd
    from nbgrader.api import Gradebook
    from sqlalchemy import create_engine, insert

    from course import report
    from course.bank import load_course
    from course.store import ResultsStore

    started = time.perf_counter()
    course = load_course()
    with ResultsStore(f"sqlite:///{store_path}", outbox=path.parent / "outbox-nbgrader.jsonl") as store:
        data = report.load(store, detail=False)
    first = report.first_attempts(data)
    Gradebook(f"sqlite:///{path}").close()  # creates nbgrader's schema and its course row
    engine = create_engine(f"sqlite:///{path}")
    from nbgrader.api import Assignment, BaseCell, Grade, GradeCell, Notebook, Student, SubmittedAssignment, SubmittedNotebook

    def new_id() -> str:
        return uuid.uuid4().hex

    students = [{"id": name, "first_name": name, "last_name": "", "email": None, "lms_user_id": None} for name in data.learners["learner"]]
    assignments, notebooks, cells, grade_cells, cell_of = [], [], [], [], {}
    for bank in sorted(course.banks.values(), key=lambda b: b.lesson):
        aid, nid = new_id(), new_id()
        assignments.append({"id": aid, "name": bank.quiz, "duedate": None, "course_id": "default"})
        notebooks.append({"id": nid, "name": bank.quiz, "assignment_id": aid, "kernelspec": None})
        for q in bank.questions:
            cid = new_id()
            cells.append({"id": cid, "name": q.id, "notebook_id": nid, "type": "GradeCell"})
            grade_cells.append({"id": cid, "max_score": float(q.points), "cell_type": "code"})
            cell_of[(bank.quiz, q.id)] = (cid, aid, nid)
    submissions, submitted_notebooks, grades = [], [], []
    frame = pd.DataFrame({
        "learner": first["learner"].astype(object), "quiz": first["quiz"].astype(object), "question": first["question"].astype(object),
        "score": first["effective_score"].to_numpy(dtype=float), "answered_at": first["answered_at"],
    })
    for (learner, quiz), rows in frame.groupby(["learner", "quiz"], sort=False):
        known = [(cell_of.get((quiz, q)), s) for q, s in zip(rows["question"], rows["score"])]
        known = [(c, s) for c, s in known if c is not None]
        if not known:
            continue
        sid, snid = new_id(), new_id()
        aid, nid = known[0][0][1], known[0][0][2]
        submissions.append({"id": sid, "assignment_id": aid, "student_id": learner, "timestamp": rows["answered_at"].iloc[0].to_pydatetime().replace(tzinfo=None), "extension": None})
        submitted_notebooks.append({"id": snid, "assignment_id": sid, "notebook_id": nid, "flagged": False, "late_submission_penalty": None})
        for (cid, _, _), score in known:
            pending = score != score  # NaN: a written answer waiting for a review
            grades.append({"id": new_id(), "notebook_id": snid, "cell_id": cid, "auto_score": None if pending else float(score),
                           "manual_score": None, "extra_credit": None, "needs_manual_grade": pending})
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA synchronous = OFF")
        for table, rows in ((Student.__table__, students), (Assignment.__table__, assignments), (Notebook.__table__, notebooks),
                            (BaseCell.__table__, cells), (GradeCell.__table__, grade_cells), (SubmittedAssignment.__table__, submissions),
                            (SubmittedNotebook.__table__, submitted_notebooks), (Grade.__table__, grades)):
            for start in range(0, len(rows), 100_000):
                conn.execute(insert(table), rows[start:start + 100_000])
    engine.dispose()
    log(f"  nbgrader gradebook: {len(students):,} students, {len(submissions):,} submissions, {len(grades):,} grades ({time.perf_counter() - started:.0f} s)")
    return len(grades)


def child(task: str, path: str) -> float:
    """One timing in this fresh process: seconds from an opened database to the table."""
    if task.startswith("nbgrader"):
        from nbgrader.api import Gradebook

        gb = Gradebook(f"sqlite:///{path}")
        started = time.perf_counter()
        if task == "nbgrader-learners":
            rows = len(gb.student_dicts())
        else:
            from nbgrader.api import BaseCell, Grade, Notebook, SubmittedNotebook
            from sqlalchemy import func

            rows = len(
                gb.db.query(Notebook.name, BaseCell.name, func.avg(Grade.score), func.count(Grade.id))
                .join(BaseCell, Grade.cell_id == BaseCell.id)
                .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
                .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
                .group_by(Notebook.name, BaseCell.name)
                .all()
            )
        seconds = time.perf_counter() - started
        gb.close()
    else:
        from course import report
        from course.bank import load_course
        from course.store import ResultsStore

        course = load_course()
        store = ResultsStore(f"sqlite:///{path}", outbox=Path(path).parent / "outbox-nbgrader.jsonl")
        store.schema_version()
        import pandas  # noqa: F401  (imports before the clock, as nbgrader's)
        from course import columnar

        if task.endswith("-cold"):  # the first report on a store: no columnar cache yet
            cache = columnar.cache_path(store.engine.url)
            if cache is not None:
                cache.unlink(missing_ok=True)
            task = task.removesuffix("-cold")
        started = time.perf_counter()
        table = report.learner_summary(store, course) if task == "course-learners" else report.item_analysis(store, course)
        rows = len(table)
        seconds = time.perf_counter() - started
        store.close()
    if not rows:
        raise SystemExit(f"{task}: no rows")
    return seconds


def timed(task: str, path: Path, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        result = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", task, "--path", str(path)], capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"{task} failed:\n{result.stderr[-3000:]}")
        runs.append(float(result.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="learners, comma-separated (x ~100 answers each; default 1000,10000)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per timing; the median is shown (default 3)")
    parser.add_argument("--cache", type=Path, default=HERE.parent / "build" / "bench", help="where the built databases are kept (default build/bench)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (for benchmarks/suite.py)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(child(options.child, options.path))
        return

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    import report_scale
    from _figures import Figure, emit

    figures = []
    for learners in (int(n) for n in options.sizes.split(",") if n):
        store = report_scale.cached_path(options.cache, learners, 100)
        report_scale.ensure_built(store, learners, 100, log=log)
        gradebook = store.with_name(store.stem.replace("report-", "nbgrader-") + ".sqlite")
        if not gradebook.exists():
            partial = gradebook.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            build_gradebook(store, partial, log=log)
            partial.rename(gradebook)
        import sqlite3

        with sqlite3.connect(store) as conn:
            answers = conn.execute("SELECT count(*) FROM attempts").fetchone()[0]
        for what, ours, theirs in (("per-learner summary", "course-learners", "nbgrader-learners"), ("per-question summary", "course-items", "nbgrader-items")):
            log(f"  {answers:,} answers: {what} ...")
            cold = timed(f"{ours}-cold", store, 1)  # also leaves the cache written: the timed runs find it warm
            course_s, nbgrader_s = timed(ours, store, options.repeat), timed(theirs, gradebook, options.repeat)
            figures += [
                Figure(f"{answers:,} answers: {what}, this course", course_s, "s"),
                Figure(f"{answers:,} answers: {what}, this course, first report (no cache yet)", cold, "s"),
                Figure(f"{answers:,} answers: {what}, nbgrader 0.9", nbgrader_s, "s"),
                Figure(f"{answers:,} answers: {what}, nbgrader / this course", nbgrader_s / course_s, "×", TARGET_RATIO, higher_is_better=True),
            ]
    emit(figures, "This course against nbgrader's gradebook, the same answers")


if __name__ == "__main__":
    main()
