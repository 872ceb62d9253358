"""The ``course`` command line: ``course validate``, ``course sync`` (more join as they are built).

Every command has ``--help``. A learner's or an author's mistake ends in a message and a
non-zero exit status, never in a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from course import __version__, config


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
    print(f"sent {result.sent} answer{'s' * (result.sent != 1)}; {result.remaining} still waiting")
    return 0 if result.remaining == 0 else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every ``course`` command."""
    parser = argparse.ArgumentParser(prog="course", description="The ketamine-therapy staff course: tools for authors and trainers.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="check question banks",
        description="Check question banks and print every problem as 'file:line: question-id: field: message'.",
    )
    validate.add_argument("paths", nargs="*", metavar="PATH", help="a bank file or a folder of banks (default: quizzes/)")
    validate.add_argument("--no-lessons", action="store_true", help="do not check sections against the lesson notebooks")
    validate.set_defaults(run=_validate)

    sync = commands.add_parser(
        "sync",
        help="send answers waiting in the outbox",
        description="Send the answers kept on this computer while the results database could not be reached. "
        "Each answer is stored once, however often this runs.",
    )
    sync.add_argument("--db", metavar="URL", help="results database URL (default: COURSE_DB_URL or the local SQLite file)")
    sync.set_defaults(run=_sync)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``course`` command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
