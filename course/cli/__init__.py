"""The ``course`` command line, for course authors and trainers.

    course validate [PATH ...]          check question banks
    course lessons [--check]             write the lessons' generated cells (printed questions, links)
    course report                        progress, scores and item analysis
    course export --format csv|xapi      every answer, for a spreadsheet or an LRS
    course review                        free-text answers waiting for a trainer; score one
    course certificate LEARNER           a PDF for a learner who passed the final assessment
    course cohort LEARNER COHORT         put a learner in a cohort
    course role LEARNER ROLE             change a learner's role (front_desk, nurse, clinician)
    course retake LEARNER                allow one more sitting of the final assessment
    course waive LEARNER --reason TEXT   let a learner sit the final assessment before its lessons
    course audit [--learner NAME]        the trainers' actions, as the audit trail keeps them
    course due [--all] [--format csv]    who is current, due soon, overdue, expired; set due dates
    course verify CODE [--pdf FILE]      check a certificate's code against the records
    course revoke CODE --reason TEXT     withdraw a certificate, keeping the reason
    course import FILE --out BANK.yaml   questions from Moodle (Moodle XML or GIFT) into a course bank
    course export-bank QUIZ --format F   a bank as Moodle XML or GIFT, for Moodle's question bank
    course sync                          send answers waiting in the outbox
    course serve                         run the course service (JupyterHub starts it)

On JupyterHub with the course service (``COURSE_SERVICE_URL`` set, or ``--service URL``), the
trainer's commands go through the service with the trainer's JupyterHub token
(``JUPYTERHUB_API_TOKEN`` or ``COURSE_SERVICE_TOKEN``) and act as the trainer the hub names;
elsewhere they read and write the results database (``--db`` or ``COURSE_DB_URL``).

Every command has ``--help``. A mistake (a bad bank, an unreachable database or a URL that is
not one, a file that cannot be written, a learner or quiz that is not there, filters that match
nothing, a learner who has not passed) ends in one line ``course <command>: <what>: <why>`` on
stderr and exit status 1, with nothing written (:func:`failure` is the one place that says so);
never in a traceback. Learners' text is shown with its control characters made visible.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Sequence

from course import __version__
from course.cli.authors import _lessons, _validate
from course.cli.common import TABLES, CommandError, _add_db, _add_filters, _add_source, _when
from course.cli.moodle import add_commands as add_moodle_commands
from course.cli.training import add_commands as add_training_commands
from course.records import AUDIT_ACTIONS
from course.cli.trainers import _audit, _certificate, _cohort, _export, _report, _retake, _review, _role, _sync, _waive

__all__ = ["build_parser", "main", "CommandError", "_when"]


def _serve(args: argparse.Namespace) -> int:
    from course.service import ServiceSettings, serve

    try:
        settings = ServiceSettings.from_environment()
    except ValueError as error:
        raise CommandError(str(error)) from None
    serve(settings)
    return 0


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
    certificate.add_argument("--trainer", help="your name, kept in the audit trail (default: this computer's user)")
    _add_source(certificate)

    export = command(
        "export", _export, "export every answer (CSV or xAPI)",
        "Export answers: --format csv writes one row per answer (for a spreadsheet); --format xapi writes "
        "xAPI 1.0.3 statements (a JSON array) for a Learning Record Store.",
    )  # fmt: skip
    export.add_argument("--format", required=True, choices=["csv", "xapi"])
    export.add_argument("--out", required=True, metavar="PATH", help="the file to write")
    export.add_argument("--homepage", default="https://clinic.example/course", help="xAPI: the IRI the course's activities and accounts live under")
    export.add_argument(
        "--actor", choices=["hash", "account", "name"], default="hash",
        help="xAPI: how learners are named: hash (default: an opaque id, keyed by COURSE_XAPI_KEY or a key kept in the records), "
        "account (the name as stored, e.g. the hub user name), name (also the real name: only if the clinic wants it)",
    )  # fmt: skip
    _add_filters(export)
    _add_source(export)

    report_ = command(
        "report", _report, "progress, scores and item analysis",
        "Print one table of the trainer's report. Tables: "
        + "; ".join(f"{name}: {text}" for name, text in TABLES.items()) + ".",
    )  # fmt: skip
    report_.add_argument("--table", choices=list(TABLES), default="learners", help="which table (default: learners)")
    report_.add_argument("--format", choices=["table", "csv", "json"], default="table", help="table for the terminal (default), csv or json")
    _add_filters(report_)
    _add_source(report_)

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
    _add_source(review)

    cohort = command("cohort", _cohort, "put a learner in a cohort", "Put a learner in a cohort (an empty COHORT takes them out of any).")
    cohort.add_argument("learner", metavar="LEARNER")
    cohort.add_argument("cohort", metavar="COHORT")
    cohort.add_argument("--trainer", help="your name, kept in the audit trail (default: this computer's user)")
    _add_source(cohort)

    role = command(
        "role", _role, "change a learner's role",
        "Change a learner's role: front_desk, nurse or clinician (an empty ROLE: none). The learner gives it once in the "
        "welcome lesson; their progress and final assessment follow their role's sections. Kept in the audit trail.",
    )  # fmt: skip
    role.add_argument("learner", metavar="LEARNER")
    role.add_argument("role", metavar="ROLE")
    role.add_argument("--trainer", help="your name, kept in the audit trail (default: this computer's user)")
    _add_source(role)

    retake = command("retake", _retake, "allow a learner one more sitting of an assessment", "Allow a learner to take an assessment once more (a new draw of questions).")
    retake.add_argument("learner", metavar="LEARNER")
    retake.add_argument("--trainer", help="your name, kept in the audit trail (required unless the course service knows you)")
    retake.add_argument("--quiz", default="final_assessment", help="the assessment's quiz id (default: final_assessment)")
    _add_source(retake)

    waive = command(
        "waive", _waive, "let a learner sit an assessment before its lessons",
        "Let a learner sit an assessment before finishing the lessons it depends on (for example, staff who "
        "learned it elsewhere). The reason is kept in the audit trail.",
    )  # fmt: skip
    waive.add_argument("learner", metavar="LEARNER")
    waive.add_argument("--reason", required=True, help="why (kept in the audit trail)")
    waive.add_argument("--trainer", help="your name (required unless the course service knows you)")
    waive.add_argument("--quiz", default="final_assessment", help="the assessment's quiz id (default: final_assessment)")
    _add_source(waive)

    audit = command(
        "audit", _audit, "the trainers' actions (audit trail)",
        "Print the audit trail: every review, retake, cohort change, waiver and certificate, with who did it, "
        "when, and what was there before and after. Entries are never changed.",
    )  # fmt: skip
    audit.add_argument("--learner", help="only actions about this learner")
    audit.add_argument("--action", choices=list(AUDIT_ACTIONS), help="only this kind of action")
    audit.add_argument("--format", choices=["table", "json"], default="table")
    _add_source(audit)

    add_training_commands(command)
    add_moodle_commands(command)

    command(
        "serve", _serve, "run the course service (started by JupyterHub)",
        "Run the course service: grading, sittings and records for many staff on JupyterHub, where a learner's kernel is "
        "not trusted. JupyterHub starts it as a managed service; its settings come from the environment (see docs/deploy.md).",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``course`` command line; return the exit status (also for --help and usage errors)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error argparse has already explained
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `course review | head`: the reader left; not an error to report
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as error:
        message = failure(error)
        if message is None:
            raise  # a bug, not a mistake of the person at the terminal: keep its traceback
        from course.safe_text import for_terminal

        print(for_terminal(f"course {args.command}: {message}", keep_newlines=True), file=sys.stderr)
        return 1


_WHY = {
    errno.EISDIR: "is a folder, not a file",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOENT: "no such file or folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "not permitted",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device",
    errno.EEXIST: "already exists",
    errno.EBUSY: "is in use",
}


def failure(error: BaseException) -> str | None:
    """What went wrong, in one line ``<what>: <why>`` for the person at the terminal, for every
    failure a command can expect (the file system, the database and its URL, the course service,
    unknown names, filters that match nothing, a bank with mistakes, a learner not eligible);
    None for anything else, which is a bug."""
    from course.bank import BankError
    from course.certificate import NotEligible
    from course.files import BadDestination
    from course.records import StoreError
    from course.report import NothingMatches
    from course.trainer import TrainerError

    if isinstance(error, (CommandError, StoreError, TrainerError, NothingMatches, BadDestination)):
        return str(error)
    if isinstance(error, NotEligible):
        return f"no certificate: {error.reason}"
    if isinstance(error, KeyError):  # the course service found no such quiz, question or learner
        return str(error.args[0]) if error.args else "not found"
    if isinstance(error, BankError):
        return f"the question banks have mistakes (run `course validate`):\n{error}"
    if isinstance(error, OSError):
        what = error.filename if error.filename is not None else "a file"
        why = _WHY.get(error.errno) or (error.strerror or str(error)).rstrip(".")
        return f"{what}: {why}"
    return None
