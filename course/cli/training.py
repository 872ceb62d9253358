"""The training lead's commands: who is due (``course due``), is this certificate real
(``course verify``), withdraw one (``course revoke``).

Each works on the results database (``--db``) or, on JupyterHub, through the course service as the
trainer the hub names (see :mod:`course.cli.common`).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from course.cli.common import CommandError, _actor, _add_source, _open, _records, _service, _trainer_client, _when
from course.safe_text import for_terminal


def add_commands(command) -> None:  # noqa: ANN001 - course.cli.build_parser's helper
    """Add ``due``, ``verify`` and ``revoke`` to the ``course`` parser (``command(name, run, summary, description)``)."""
    due = command(
        "due", _due, "who must (re)train, and by when; set due dates",
        "List each learner's training state: current, due soon, overdue, expired or not trained, with the due date and what to do "
        "(by default only those who must act; --all for everyone). With --set DATE (and --cohort, --quiz) a trainer gives a cohort "
        "a due date for a lesson or the final assessment ('none' clears it); --valid-for and --due-soon set how long a pass is "
        "valid, how long before it expires recertification is due, and how early learners are due soon. Every change is kept in the audit trail.",
    )  # fmt: skip
    due.add_argument("--cohort", help="only learners of this cohort; with --set, the cohort the due date is for")
    due.add_argument("--learner", help="only this learner")
    due.add_argument("--all", action="store_true", help="list every learner, also those who are current")
    due.add_argument("--format", choices=["table", "csv"], default="table", help="table for the terminal (default) or csv for a mailing")
    due.add_argument("--at", type=_when, metavar="DATE", help="judge the states at DATE (default: now)")
    due.add_argument("--set", dest="set_date", metavar="DATE", help="give --cohort a due date for --quiz (YYYY-MM-DD, the end of that day in UTC; 'none' clears it)")
    due.add_argument("--quiz", default=None, help="with --set: the lesson's or assessment's quiz id (default: final_assessment)")
    due.add_argument("--valid-for", type=int, metavar="MONTHS", help="set how many months a pass is valid (0: it never expires; default 12)")
    due.add_argument("--recertify-before", type=int, metavar="DAYS", help="set how many days before a pass expires recertification is due (default 30)")
    due.add_argument("--due-soon", type=int, metavar="DAYS", help="set how many days before a due date a learner is due soon (default 30)")
    due.add_argument("--refresher", metavar="QUIZ[,QUIZ]", help="set the lessons done again before a recertification sitting (quiz ids, comma-separated; 'none': no refresher)")
    due.add_argument("--trainer", help="your name, kept in the audit trail (required to change anything unless the course service knows you)")
    _add_source(due)

    verify = command(
        "verify", _verify, "check a certificate's verification code against the records",
        "Say what the records hold for a certificate's code: who, which course version, when passed, valid until; or that there "
        "is no such certificate, or that it was revoked (and why) or has expired. Exit status 0 only for a valid certificate. "
        "With --pdf, also check that the PDF's name and dates are the records' (an edited PDF does not verify).",
    )  # fmt: skip
    verify.add_argument("code", metavar="CODE", help="the code printed on the certificate (case, spaces and dashes do not matter)")
    verify.add_argument("--pdf", metavar="FILE", help="a certificate PDF to compare with the records")
    verify.add_argument("--at", type=_when, metavar="DATE", help="verify as at DATE (default: now)")
    _add_source(verify)

    revoke = command(
        "revoke", _revoke, "withdraw a certificate (the reason is kept)",
        "Revoke a certificate by its verification code: from now on it does not verify, and says why. The certificate, the "
        "reason and who revoked it stay in the records and the audit trail.",
    )  # fmt: skip
    revoke.add_argument("code", metavar="CODE")
    revoke.add_argument("--reason", required=True, help="why (kept with the certificate; shown when it is verified)")
    revoke.add_argument("--trainer", help="your name (required unless the course service knows you)")
    _add_source(revoke)


def _due(args: argparse.Namespace) -> int:
    changing = args.set_date is not None or args.valid_for is not None or args.due_soon is not None or args.recertify_before is not None or args.refresher is not None
    if changing:
        return _change_due(args)
    if args.quiz:
        raise CommandError("--quiz goes with --set DATE (the states cover every lesson with a due date)")
    from course import report, trainer

    if _service(args):
        if args.at:
            raise CommandError("--at works on the database only (--db); the course service judges at the present")
        frame = _trainer_client(args).table("due", report.Filters(cohort=args.cohort, learner=args.learner))
        if not args.all:
            from course.recert import MUST_ACT

            frame = frame[frame["training_status"].isin(MUST_ACT)]
    else:
        course, store = _open(args)
        with store:
            frame = trainer.due_table(store, course, report.Filters(cohort=args.cohort, learner=args.learner), now=args.at, must_act=not args.all)
    if args.format == "csv":
        sys.stdout.write(report.csv_text(frame))
        return 0
    if frame.empty:
        print("nobody must act now" + (" (in these filters)" if args.cohort or args.learner else "") + "; --all lists everyone")
        return 0
    from course.cli.common import _print_table

    _print_table(frame[["learner", "cohort", "training_status", "due", "action"]], "due")
    counts = frame["training_status"].value_counts()
    print("; ".join(f"{counts[s]} {s}" for s in ("expired", "overdue", "due soon", "not trained", "current") if s in counts))
    return 0


def _change_due(args: argparse.Namespace) -> int:
    from course import trainer

    who = _actor(args, "--trainer")
    when = None
    if args.set_date is not None:
        if not args.cohort:
            raise CommandError("--set needs --cohort (the cohort the due date is for)")
        when = None if args.set_date.strip().lower() in ("none", "") else _due_moment(args.set_date)
    refresher = None
    if args.refresher is not None:
        refresher = [] if args.refresher.strip().lower() in ("", "none") else [q.strip() for q in args.refresher.split(",") if q.strip()]
    settings = [(n, v) for n, v in (("valid_months", args.valid_for), ("recertify_before_days", args.recertify_before), ("due_soon_days", args.due_soon), ("refresher_lessons", refresher)) if v is not None]
    quiz = args.quiz or "final_assessment"
    if _service(args):  # the service checks and records it under the hub's name for the trainer
        client = _trainer_client(args)
        for name, value in settings:
            client.set_setting(name, value)
            print(for_terminal(f"{name.replace('_', ' ')}: {_shown(value)} (set by {who})"))
        if args.set_date is not None:
            title = client.set_due_date(args.cohort, quiz, when)["title"]
            _said_due(args.cohort, title, when, who)
        return 0
    course, store = _open(args)
    with store:
        for name, value in settings:
            trainer.set_setting(store, name, value, by=who, course=course)
            print(for_terminal(f"{name.replace('_', ' ')}: {_shown(value)} (set by {who})"))
        if args.set_date is not None:
            title = trainer.set_due_date(store, course, args.cohort, quiz, when, by=who)
            _said_due(args.cohort, title, when, who)
    return 0


def _shown(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return str(value)


def _said_due(cohort: str, title: str, when: datetime | None, who: str) -> None:
    shown = "no due date" if when is None else f"due {when:%Y-%m-%d %H:%M} UTC"
    print(for_terminal(f"cohort {cohort!r}, {title!r}: {shown} (set by {who})"))


def _due_moment(text: str) -> datetime:
    """A due date: a day means the end of that day (UTC); a date and time is taken as given."""
    try:
        moment = _when(text)
    except argparse.ArgumentTypeError as error:
        raise CommandError(f"--set: {error}") from None
    if len(text.strip()) == 10:  # YYYY-MM-DD: due by the end of that day
        moment = moment.replace(hour=23, minute=59, second=59)
    return moment.astimezone(timezone.utc)


def _verify(args: argparse.Namespace) -> int:
    from course.verify import Verification, check_pdf, normalise, verify

    try:
        code = normalise(args.code)
    except ValueError as error:
        raise CommandError(str(error)) from None
    if _service(args):
        if args.at:
            raise CommandError("--at works on the database only (--db)")
        answer: Verification = _trainer_client(args).verify(code)
    else:
        with _records(args) as store:
            answer = verify(store, code, now=args.at)
    for label, value in answer.lines():
        print(for_terminal(f"{label + ':':<16}{value}"))
    problems: list[str] = []
    if args.pdf and answer.record is not None:
        try:
            problems = check_pdf(args.pdf, answer)
        except ValueError as error:
            raise CommandError(str(error)) from None
        for problem in problems:
            print(for_terminal(f"PDF:            {problem}"))
        if not problems:
            print("PDF:            agrees with the records")
    if not answer.valid or problems:
        why = "no such certificate" if answer.record is None else answer.state if not problems else "the PDF differs from the records"
        print(for_terminal(f"course verify: {code}: not valid ({why})"), file=sys.stderr)
        return 1
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from course import trainer
    from course.verify import normalise

    try:
        code = normalise(args.code)
    except ValueError as error:
        raise CommandError(str(error)) from None
    if not args.reason.strip():
        raise CommandError("--reason must say why (it is kept with the certificate)")
    who = _actor(args, "--trainer")
    if _service(args):
        record = _trainer_client(args).revoke(code, args.reason)
        learner = record["learner"]
    else:
        with _records(args) as store:
            learner = trainer.revoke(store, code, args.reason, by=who).learner
    print(for_terminal(f"revoked {code} ({learner}): {args.reason.strip()} (by {who})"))
    return 0
