"""The author's commands for Moodle: ``course import FILE`` (Moodle XML or GIFT into a course
bank) and ``course export-bank QUIZ --format moodle-xml|gift`` (see :mod:`course.moodle`)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from course.cli.common import CommandError, _destination, _plural
from course.safe_text import for_terminal


def add_commands(command) -> None:  # noqa: ANN001 - course.cli.build_parser's helper
    """Add ``import`` and ``export-bank`` to the ``course`` parser."""
    imp = command(
        "import", _import, "a Moodle XML or GIFT file into a course bank (YAML)",
        "Read questions exported from Moodle (Moodle XML, or GIFT) and write a course bank that `course validate` "
        "accepts. Single and multiple choice, true/false, numerical, matching, ordering and essay questions are "
        "carried with their feedback; what cannot be carried is named, one line per question.",
    )  # fmt: skip
    imp.add_argument("file", metavar="FILE", help="a Moodle XML (.xml) or GIFT (.gift, .txt) file")
    imp.add_argument("--out", required=True, metavar="PATH", help="the bank file to write (.yaml), e.g. quizzes/08_from_moodle.yaml")
    imp.add_argument("--format", choices=["moodle-xml", "gift"], help="the file's format (default: from its name or first characters)")
    imp.add_argument("--quiz", help="the bank's quiz id (default: from --out's name)")
    imp.add_argument("--title", help="the bank's title (default: the Moodle category, else the quiz id)")
    imp.add_argument("--lesson", help="the lesson notebook it belongs to (default: --out's name with .ipynb)")
    imp.add_argument("--mode", choices=["practice", "assessment"], default="practice")
    imp.add_argument("--pass-mark", type=float, metavar="PERCENT", help="for an assessment: the pass mark")
    imp.add_argument("--replace", action="store_true", help="replace --out if it exists")

    export = command(
        "export-bank", _export_bank, "a course bank as Moodle XML or GIFT",
        "Write a bank's questions for Moodle's question bank. The course's own fields (ids, sections, safety-critical "
        "flags, topics) travel in Moodle tags (XML) or comments (GIFT), so importing the file again gives the same bank; "
        "what Moodle cannot hold is named, one line per question.",
    )  # fmt: skip
    export.add_argument("quiz", metavar="QUIZ", help="the bank's quiz id")
    export.add_argument("--format", required=True, choices=["moodle-xml", "gift"])
    export.add_argument("--out", required=True, metavar="PATH", help="the file to write")


def _import(args: argparse.Namespace) -> int:
    from course.files import replace_file
    from course.moodle import MoodleError, bank_yaml, import_file

    out = _destination(args.out)
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise CommandError(f"--out {args.out}: a bank file ends in .yaml")
    if out.exists() and not args.replace:
        raise CommandError(f"--out {args.out}: already exists (give another name, or --replace)")
    stem = re.sub(r"^\d+[_-]*", "", out.stem) or out.stem
    quiz = args.quiz or re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_") or "imported"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", quiz):
        raise CommandError(f"--quiz {quiz!r}: a quiz id has letters, digits, _ . - only")
    try:
        done = import_file(args.file, fmt=args.format, quiz=quiz, title=args.title, lesson=args.lesson or f"{out.stem}.ipynb", mode=args.mode, pass_mark=args.pass_mark)
    except MoodleError as error:
        raise CommandError(str(error)) from None
    for line in done.lost:
        print(for_terminal(f"not carried: {line}"), file=sys.stderr)
    replace_file(out, bank_yaml(done.data).encode("utf-8"))
    from course.bank import check_course

    _, problems = check_course([out])
    count = len(done.data["questions"])
    print(for_terminal(f"wrote {_plural(count, 'question')} to {out} (quiz {quiz}); {_plural(len(done.lost), 'thing')} not carried" + (" (listed above)" if done.lost else "")))
    if problems:
        for problem in problems:
            print(for_terminal(str(problem)), file=sys.stderr)
        raise CommandError(f"{out}: written, but `course validate` finds {_plural(len(problems), 'problem')} (listed above) to fix")
    return 0


def _export_bank(args: argparse.Namespace) -> int:
    from course.bank import load_course
    from course.files import replace_file
    from course.moodle import MoodleError, export_bank

    out = _destination(args.out)
    course = load_course()
    if args.quiz not in course.banks:
        raise CommandError(f"there is no quiz {args.quiz!r}; the quizzes are: {', '.join(sorted(course.banks))}")
    bank = course.banks[args.quiz]
    try:
        done = export_bank(bank, args.format)
    except MoodleError as error:
        raise CommandError(str(error)) from None
    for line in done.lost:
        print(for_terminal(f"not carried: {line}"), file=sys.stderr)
    replace_file(Path(out), done.data.encode("utf-8"))
    shown = len(bank.questions) - sum(1 for line in done.lost if "not exported" in line)
    print(for_terminal(f"wrote {_plural(shown, 'question')} of {bank.title!r} to {out} ({args.format}); {_plural(len(done.lost), 'thing')} not carried" + (" (listed above)" if done.lost else "")))
    return 0
