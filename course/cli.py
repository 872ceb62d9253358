"""The ``course`` command line, for course authors and trainers.

    course validate [PATH ...]          check question banks
    course lessons [--check]             write the lessons' generated cells (printed questions, links)
    course report                        progress, scores and item analysis
    course export --format csv|xapi      every answer, for a spreadsheet or an LRS
    course review                        free-text answers waiting for a trainer; score one
    course certificate LEARNER           a PDF for a learner who passed the final assessment
    course cohort LEARNER COHORT         put a learner in a cohort
    course retake LEARNER                allow one more sitting of the final assessment
    course sync                          send answers waiting in the outbox

Every command has ``--help``. A mistake (a bad bank, an unreachable database, a learner who
has not passed) ends in a message and a non-zero exit status, never in a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from course import __version__, config

if TYPE_CHECKING:
    import pandas as pd

    from course.bank import Course
    from course.store import ResultsStore


class CommandError(Exception):
    """A mistake to report to the person at the terminal (exit status 1)."""


# --- shared ---------------------------------------------------------------------------------------


def _open(args: argparse.Namespace) -> tuple[Course, ResultsStore]:
    from course.bank import load_course
    from course.store import ResultsStore

    return load_course(), ResultsStore(args.db)


def _when(text: str) -> datetime:
    """A date (2026-11-01) or date and time, read as UTC unless it says otherwise."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL", help="results database URL (default: COURSE_DB_URL or the local SQLite file)")


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cohort", help="only learners of this cohort")
    parser.add_argument("--learner", help="only this learner")
    parser.add_argument("--quiz", help="only this quiz (its quiz id)")
    parser.add_argument("--since", type=_when, metavar="DATE", help="only answers given on or after DATE")
    parser.add_argument("--until", type=_when, metavar="DATE", help="only answers given before DATE")


def _filters(args: argparse.Namespace):
    from course.report import Filters

    return Filters(cohort=args.cohort, learner=args.learner, quiz=args.quiz, since=args.since, until=args.until)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


class _Steps:
    """A progress bar over the named steps of a long command (shown on a terminal only)."""

    def __init__(self, steps: Sequence[str], what: str) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=len(steps), desc=what, unit="step", leave=False, disable=not sys.stderr.isatty(), file=sys.stderr)

    def __call__(self, label: str) -> None:
        self.bar.set_postfix_str(label)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


TABLES = {
    "learners": "one row per learner: lessons, scores, final assessment (default)",
    "progress": "learners x lessons: status of each lesson",
    "cohorts": "one row per cohort",
    "questions": "item analysis: facility, discrimination, flags",
    "options": "how often each option of each choice question was chosen",
    "regrade": "stored scores the current banks no longer give",
    "review": "written answers waiting for a trainer",
}


def _table(name: str, store: ResultsStore, course: Course, filters) -> "pd.DataFrame":
    from course import report

    steps = _Steps(["read", name], "report")
    try:
        data = report.load(store, filters, detail=name in ("options", "regrade", "review"))
        steps("read the store")
        frame = {
            "learners": lambda: report.learner_summary(data, course),
            "progress": lambda: report.progress_matrix(data, course).reset_index(),
            "cohorts": lambda: report.cohort_summary(data, course),
            "questions": lambda: report.item_analysis(data, course),
            "options": lambda: report.distractors(data, course),
            "regrade": lambda: report.regrade(data, course),
            "review": lambda: report.review_queue(data, course),
        }[name]()
        steps(name)
    finally:
        steps.close()
    return frame


_TERMINAL_COLUMNS = {
    "learners": ["learner", "cohort", "lessons_started", "lessons_completed", "attempts", "last_activity", "score_pct", "assessment_status", "assessment_pct", "assessment_critical_missed"],
    "questions": ["quiz", "question", "type", "n", "facility", "discrimination", "flags"],
    "regrade": ["learner", "question", "answered_at", "stored_score", "regraded_score", "reason"],
    "review": ["key", "learner", "question", "answered_at", "answer"],
}


def _print_table(frame: "pd.DataFrame", name: str) -> None:
    import pandas as pd

    if frame.empty:
        print("(nothing to show)")
        return
    shown = frame[[c for c in _TERMINAL_COLUMNS.get(name, list(frame.columns)) if c in frame.columns]].copy()
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].dt.strftime("%Y-%m-%d %H:%M")
        elif shown[column].dtype == object:
            shown[column] = shown[column].map(lambda v: v if not isinstance(v, str) or len(v) <= 48 else v[:47] + "…")
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200, "display.float_format", "{:.2f}".format):
        print(shown.to_string(index=False, na_rep="-"))


# --- commands -------------------------------------------------------------------------------------


def _report(args: argparse.Namespace) -> int:
    course, store = _open(args)
    with store:
        frame = _table(args.table, store, course, _filters(args))
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False, date_format="%Y-%m-%dT%H:%M:%S%z")
    elif args.format == "json":
        print(frame.to_json(orient="records", date_format="iso", indent=1, force_ascii=False))
    else:
        _print_table(frame, args.table)
    return 0


def _review(args: argparse.Namespace) -> int:
    from course import report

    course, store = _open(args)
    with store:
        if args.key is None:
            queue = report.review_queue(store, course, _filters(args))
            if queue.empty:
                print("no written answers wait for a review")
                return 0
            for row in queue.itertuples(index=False):
                print(f"--- {row.key}  {row.learner}  {row.quiz}/{row.question}  {row.answered_at:%Y-%m-%d %H:%M} UTC  (0 to {row.max_score:g} points)")
                print(f"question: {row.prompt}")
                print(f"answer:   {row.answer}")
                if args.model:
                    print(f"a good answer: {row.model_answer}")
            print(f"\n{_plural(len(queue), 'answer')} to review. Score one with: course review KEY --score N --reviewer NAME [--comment TEXT]")
            return 0
        if args.score is None or not args.reviewer:
            raise CommandError("to score an answer give --score and --reviewer (to list them, run course review without KEY)")
        row = report.record_review(store, args.key, args.score, args.reviewer, args.comment or "", course=course)
    print(f"saved: {row['learner']}, {row['question']}: {args.score:g} of {row['max_score']:g} (by {args.reviewer})")
    return 0




def _validate(args: argparse.Namespace) -> int:
    from course.bank import bank_files, check_course

    paths = [Path(p) for p in args.paths] or [config.quizzes_dir()]
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        print(f"{p}: no such file or folder", file=sys.stderr)
    present = [p for p in paths if p.exists()]
    files = bank_files(present)
    notebooks = None if args.no_lessons else config.notebooks_dir()
    banks, problems = check_course(present, notebooks=notebooks)
    for problem in problems:
        print(problem)
    bad_files = len({p.file for p in problems})
    questions = sum(len(b.questions) for b in banks.values())
    if problems or missing:
        count = len(problems) + len(missing)
        print(f"{count} error{'s' * (count != 1)} in {bad_files + len(missing)} of {len(files) + len(missing)} bank files")
        return 1
    if not files:
        print("no bank files found")
        return 1
    print(f"ok: {len(files)} bank file{'s' * (len(files) != 1)}, {questions} questions, no errors")
    return 0


def _lessons(args: argparse.Namespace) -> int:
    from course.bank import load_course
    from course.lessons import notebooks_to_sync, sync_notebook

    course = load_course()
    paths = notebooks_to_sync(config.notebooks_dir(), course)
    changed = [p for p in paths if sync_notebook(p, course, write=not args.check)]
    if args.check:
        if changed:
            names = ", ".join(p.name for p in changed)
            print(f"{_plural(len(changed), 'notebook')} out of date with the question banks ({names}): run `make lessons`", file=sys.stderr)
            return 1
        print(f"ok: {_plural(len(paths), 'notebook')} up to date")
        return 0
    print(f"updated {len(changed)} of {_plural(len(paths), 'notebook')}" + (f": {', '.join(p.name for p in changed)}" if changed else ""))
    return 0


def _sync(args: argparse.Namespace) -> int:
    from course.store import ResultsStore, StoreError

    with ResultsStore(args.db) as store:
        waiting = store.pending_outbox()
        if not waiting:
            print(f"nothing to send: the outbox {store.outbox} is empty")
            return 0
        try:
            result = store.sync()
        except StoreError as error:
            print(f"not sent: {error}", file=sys.stderr)
            return 1
    print(f"sent {_plural(result.sent, 'answer')}; {result.remaining} still waiting")
    return 0 if result.remaining == 0 else 1


def _certificate(args: argparse.Namespace) -> int:
    from course.certificate import NotEligible, certificate

    course, store = _open(args)
    with store:
        try:
            path = certificate(course, store, args.learner, args.out)
        except NotEligible as refusal:
            print(f"no certificate: {refusal.reason}", file=sys.stderr)
            return 1
    print(f"wrote {path}")
    return 0


def _export(args: argparse.Namespace) -> int:
    course, store = _open(args)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise CommandError(f"cannot write {out}: the folder {out.parent} does not exist")
    with store:
        if args.format == "xapi":
            from course import xapi

            if args.cohort or args.learner or args.quiz or args.until:
                raise CommandError("--format xapi takes --since only (an LRS needs every statement of a learner's sitting)")
            steps = _Steps(["read", "write"], "export")
            try:
                statements = xapi.statements(store, course, homepage=args.homepage, since=args.since)
                steps("built the statements")
                xapi.write(statements, out)
                steps("wrote the file")
            finally:
                steps.close()
            print(f"wrote {_plural(len(statements), 'xAPI statement')} to {out}")
            return 0
        from course import report
        from course.files import replace_file

        steps = _Steps(["read", "write"], "export")
        try:
            frame = report.answers(store, course, _filters(args))
            steps("read the store")
            replace_file(out, report.to_csv(frame))
            steps("wrote the file")
        finally:
            steps.close()
        print(f"wrote {_plural(len(frame), 'answer')} to {out}")
    return 0


def _cohort(args: argparse.Namespace) -> int:
    from course.store import ResultsStore

    with ResultsStore(args.db) as store:
        store.set_cohort(args.learner, args.cohort or None)
    print(f"{args.learner}: cohort {args.cohort!r}" if args.cohort else f"{args.learner}: no cohort")
    return 0


def _retake(args: argparse.Namespace) -> int:
    course, store = _open(args)
    with store:
        try:
            bank = course.bank(args.quiz)
        except KeyError:
            raise CommandError(f"there is no quiz {args.quiz!r}") from None
        if bank.mode != "assessment":
            raise CommandError(f"{args.quiz!r} is a practice quiz: learners may retry it at any time")
        if args.learner not in {learner.name for learner in store.learners()}:
            raise CommandError(f"there is no learner named {args.learner!r}")
        store.allow_retake(args.learner, args.quiz, trainer=args.trainer)
    print(f"{args.learner} may take {bank.title!r} once more (allowed by {args.trainer})")
    return 0


# --- the parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every ``course`` command."""
    parser = argparse.ArgumentParser(prog="course", description="The ketamine-therapy staff course: tools for authors and trainers.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace], int], summary: str, description: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=description)
        sub.set_defaults(run=run)
        return sub

    validate = command("validate", _validate, "check question banks", "Check question banks and print every problem as 'file:line: question-id: field: message'.")
    validate.add_argument("paths", nargs="*", metavar="PATH", help="a bank file or a folder of banks (default: quizzes/)")
    validate.add_argument("--no-lessons", action="store_true", help="do not check sections against the lesson notebooks")

    lessons = command(
        "lessons", _lessons, "write the lessons' generated cells",
        "Write, from the question banks, the cells of each lesson that a reader without the running course sees "
        "(the printed questions, never their keys) and the links between lessons. Run it after changing a bank or a lesson.",
    )  # fmt: skip
    lessons.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook is out of date")

    sync = command(
        "sync", _sync, "send answers waiting in the outbox",
        "Send the answers kept on this computer while the results database could not be reached. "
        "Each answer is stored once, however often this runs.",
    )  # fmt: skip
    _add_db(sync)

    certificate = command(
        "certificate", _certificate, "write a learner's certificate (PDF)",
        "Write a one-page PDF certificate for a learner whose latest sitting of the final assessment passed. "
        "Refuses, saying why, for a learner who has not passed.",
    )  # fmt: skip
    certificate.add_argument("learner", metavar="LEARNER", help="the learner's name, as stored")
    certificate.add_argument("--out", required=True, metavar="PATH", help="the PDF file to write, or a folder")
    _add_db(certificate)

    export = command(
        "export", _export, "export every answer (CSV or xAPI)",
        "Export answers: --format csv writes one row per answer (for a spreadsheet); --format xapi writes "
        "xAPI 1.0.3 statements (a JSON array) for a Learning Record Store.",
    )  # fmt: skip
    export.add_argument("--format", required=True, choices=["csv", "xapi"])
    export.add_argument("--out", required=True, metavar="PATH", help="the file to write")
    export.add_argument("--homepage", default="https://clinic.example/course", help="xAPI: the IRI the course's activities and accounts live under")
    _add_filters(export)
    _add_db(export)

    report_ = command(
        "report", _report, "progress, scores and item analysis",
        "Print one table of the trainer's report. Tables: "
        + "; ".join(f"{name}: {text}" for name, text in TABLES.items()) + ".",
    )  # fmt: skip
    report_.add_argument("--table", choices=list(TABLES), default="learners", help="which table (default: learners)")
    report_.add_argument("--format", choices=["table", "csv", "json"], default="table", help="table for the terminal (default), csv or json")
    _add_filters(report_)
    _add_db(report_)

    review = command(
        "review", _review, "list written answers to review; score one",
        "Without KEY: list the free-text answers waiting for a trainer, oldest first. "
        "With KEY: store your score (and comment) for that answer.",
    )  # fmt: skip
    review.add_argument("key", nargs="?", metavar="KEY", help="the answer's key, as listed")
    review.add_argument("--score", type=float, help="points given (0 to the question's points)")
    review.add_argument("--reviewer", help="your name")
    review.add_argument("--comment", help="a comment for the learner")
    review.add_argument("--model", action="store_true", help="also print what a good answer says")
    _add_filters(review)
    _add_db(review)

    cohort = command("cohort", _cohort, "put a learner in a cohort", "Put a learner in a cohort (an empty COHORT takes them out of any).")
    cohort.add_argument("learner", metavar="LEARNER")
    cohort.add_argument("cohort", metavar="COHORT")
    _add_db(cohort)

    retake = command("retake", _retake, "allow a learner one more sitting of an assessment", "Allow a learner to take an assessment once more (a new draw of questions).")
    retake.add_argument("learner", metavar="LEARNER")
    retake.add_argument("--trainer", required=True, help="your name (kept with the permission)")
    retake.add_argument("--quiz", default="final_assessment", help="the assessment's quiz id (default: final_assessment)")
    _add_db(retake)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``course`` command line; return the exit status."""
    from course.bank import BankError
    from course.records import StoreError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except (CommandError, StoreError) as error:
        print(f"course {args.command}: {error}", file=sys.stderr)
        return 1
    except BankError as error:
        print(f"course {args.command}: the question banks have mistakes (run `course validate`):\n{error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `course review | head`: the reader left; not an error to report
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
