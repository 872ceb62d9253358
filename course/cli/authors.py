"""The course author's commands: check the question banks, write the lessons' generated cells."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from course import config
from course.cli.common import _plural


def _validate(args: argparse.Namespace) -> int:
    from course.bank import bank_files, check_course, course_warnings

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
    warnings = course_warnings(banks)
    for warning in warnings:
        print(warning)
    print(f"ok: {_plural(len(files), 'bank file')}, {_plural(questions, 'question')}, no errors" + (f", {_plural(len(warnings), 'warning')} to look at" if warnings else ""))
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
