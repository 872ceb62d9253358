"""The trainer's commands: report, review, export, certificate, cohort, retake, waive, audit, sync.

Each works on the results database (``--db``) or, on JupyterHub, through the course service as the
trainer the hub names (see :mod:`course.cli.common`).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from course.cli.common import CommandError, _actor, _destination, _filters, _open, _plural, _print_table, _records, _service, _Steps, _table, _trainer_client
from course.safe_text import for_terminal


def _report(args: argparse.Namespace) -> int:
    frame = _table(args.table, args)
    if args.format == "csv":
        from course.report import csv_text

        sys.stdout.write(csv_text(frame))
    elif args.format == "json":
        from course.safe_text import json_for_terminal

        records = json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))
        print(json_for_terminal(records, indent=1))
    else:
        _print_table(frame, args.table)
    return 0


def _review(args: argparse.Namespace) -> int:
    if args.key is None:
        queue = _table("review", args)
        if queue.empty:
            print("no written answers wait for a review")
            return 0
        for row in queue.itertuples(index=False):
            print(for_terminal(f"--- {row.key}  {row.learner}  {row.quiz}/{row.question}  {row.answered_at:%Y-%m-%d %H:%M} UTC  (0 to {row.max_score:g} points)"))
            print(for_terminal(f"question: {row.prompt}", keep_newlines=True))
            print(for_terminal(f"answer:   {row.answer}", keep_newlines=True))
            if args.model:
                print(for_terminal(f"a good answer: {row.model_answer}", keep_newlines=True))
        print(f"\n{_plural(len(queue), 'answer')} to review. Score one with: course review KEY --score N --reviewer NAME [--comment TEXT]")
        return 0
    if args.score is None:
        raise CommandError("to score an answer give --score and --reviewer (to list them, run course review without KEY)")
    reviewer = _actor(args, "--reviewer")
    if _service(args):
        row = _trainer_client(args).review(args.key, args.score, args.comment or "")
    else:
        from course import trainer

        course, store = _open(args)
        with store:
            row = trainer.review(store, course, args.key, args.score, by=reviewer, comment=args.comment or "")
    print(for_terminal(f"saved: {row['learner']}, {row['question']}: {args.score:g} of {row['max_score']:g} (by {reviewer})"))
    return 0


def _export(args: argparse.Namespace) -> int:
    out = _destination(args.out)
    if args.format == "xapi" and (args.cohort or args.learner or args.quiz or args.until):
        raise CommandError("--format xapi takes --since only (an LRS needs every statement of a learner's sitting)")
    course, store = _open(args)
    with store:
        from course import report

        if args.format == "xapi":
            import itertools

            from course import xapi

            steps = _Steps(["read", "write"], "export")
            try:
                if _service(args):  # the service has the reviews and the key that makes learners opaque
                    statements = iter(_trainer_client(args).xapi(homepage=args.homepage, since=args.since, actor=args.actor))
                else:
                    statements = xapi.iter_statements(store, course, homepage=args.homepage, since=args.since, actors=xapi.actors_for(store, args.actor))
                first = next(statements, None)  # statements are built one at a time, as they are written
                steps("built the statements")
                if args.since and first is None:
                    raise CommandError(f"no answers were given {report.window(args.since, None)}; nothing written")
                written = itertools.count()
                xapi.write((s for s, _ in zip(itertools.chain([first] if first else [], statements), written)), out)
                steps("wrote the file")
            finally:
                steps.close()
            print(f"wrote {_plural(next(written), 'xAPI statement')} to {out}")
            return 0
        from course.export_csv import Plan
        from course.files import replace_file

        steps = _Steps(["read", "write"], "export")
        if _service(args):  # through the course service: the service sends the answers' frame
            try:
                filters = _filters(args)
                data = report.load(store, filters)
                report.check_matches(data, course)  # NothingMatches: nothing written
                frame = report.answers(data, course)
                steps("read the store")
                if frame.empty and filters != report.Filters():
                    raise CommandError(f"no answers match {_given_filters(args)}; nothing written")
                replace_file(out, report.to_csv(frame))
                steps("wrote the file")
            finally:
                steps.close()
            print(f"wrote {_plural(len(frame), 'answer')} to {out}")
            return 0
        try:
            filters = _filters(args)
            plan = Plan(store, filters)  # the answers' ids and times; the answers are read chunk by chunk
            plan.check_matches(course)  # NothingMatches: nothing written
            steps("read the store")
            if not plan.answers and filters != report.Filters():
                raise CommandError(f"no answers match {_given_filters(args)}; nothing written")
            replace_file(out, plan.chunks(course))  # streamed: memory stays flat whatever the store's size
            steps("wrote the file")
        finally:
            steps.close()
        print(f"wrote {_plural(plan.answers, 'answer')} to {out}")
    return 0


def _given_filters(args: argparse.Namespace) -> str:
    """The filters given, as typed: --learner 'Eve New' --since 2026-11-01."""
    given = [f"--{name} {getattr(args, name)!r}" for name in ("cohort", "learner", "quiz") if getattr(args, name) is not None]
    given += [f"--{name} {getattr(args, name):%Y-%m-%d}" for name in ("since", "until") if getattr(args, name) is not None]
    return " ".join(given)


def _certificate(args: argparse.Namespace) -> int:
    from course.certificate import _slug

    path = _destination(args.out, folder_file=f"certificate-{_slug(args.learner)}.pdf", suffix=".pdf")
    trainer_name = _actor(args, "--trainer") if _service(args) or args.trainer else None
    if _service(args):
        from course.client import ServiceError

        try:
            pdf, code, valid_until = _trainer_client(args).certificate(args.learner)
        except ServiceError as refusal:
            raise CommandError(f"no certificate: {refusal}") from None
        from course.files import replace_file

        replace_file(path, pdf)
        until = f", valid until {valid_until[:10]}" if valid_until else ""
        print(f"wrote {path} (verification code {code}{until}; issued by {trainer_name}, recorded in the audit trail)")
        return 0
    from course import trainer
    from course.store import local_actor

    course, store = _open(args)
    with store:
        path = trainer.certificate(store, course, args.learner, path, by=trainer_name or local_actor())  # NotEligible: nothing written
        issued = store.certificates(args.learner)[-1]
    until = f", valid until {issued.valid_until:%Y-%m-%d}" if issued.valid_until else ""
    print(f"wrote {path} (verification code {issued.code}{until})")
    return 0


def _cohort(args: argparse.Namespace) -> int:
    from course import trainer

    cohort = args.cohort or None
    if _service(args):
        _trainer_client(args).set_cohort(args.learner, cohort)
    else:
        from course.store import local_actor

        with _records(args) as store:
            trainer.set_cohort(store, args.learner, cohort, by=args.trainer or local_actor())
    print(for_terminal(f"{args.learner}: cohort {args.cohort!r}" if args.cohort else f"{args.learner}: no cohort"))
    return 0


def _role(args: argparse.Namespace) -> int:
    from course import trainer
    from course.roles import check_role, role_name

    try:
        role = check_role(args.role) if args.role.strip() else None
    except ValueError as error:
        raise CommandError(str(error)) from None
    if _service(args):
        _actor(args, "--trainer")  # through the service the hub names who acts: another --trainer is refused
        _trainer_client(args).set_role(args.learner, role)
    else:
        from course.store import local_actor

        with _records(args) as store:
            trainer.set_role(store, args.learner, role, by=args.trainer or local_actor())
    print(for_terminal(f"{args.learner}: role {role_name(role)}" if role else f"{args.learner}: role not given"))
    return 0


def _retake(args: argparse.Namespace) -> int:
    from course import trainer

    who = _actor(args, "--trainer")
    if _service(args):
        title = _trainer_client(args).allow_retake(args.learner, args.quiz)["title"]
    else:
        course, store = _open(args)
        with store:
            title = trainer.allow_retake(store, course, args.learner, args.quiz, by=who)
    print(for_terminal(f"{args.learner} may take {title!r} once more (allowed by {who})"))
    return 0


def _waive(args: argparse.Namespace) -> int:
    from course import trainer

    who = _actor(args, "--trainer")
    if _service(args):
        title = _trainer_client(args).waive(args.learner, args.quiz, args.reason)["title"]
    else:
        course, store = _open(args)
        with store:
            title = trainer.waive(store, course, args.learner, args.quiz, by=who, reason=args.reason)
    print(for_terminal(f"{args.learner} may sit {title!r} before finishing its lessons (waived by {who}: {args.reason})"))
    return 0


def _audit(args: argparse.Namespace) -> int:
    from course.safe_text import json_for_terminal

    if _service(args):
        client = _trainer_client(args)
        entries = client.audit(args.learner, args.action)
        if args.learner and not entries and args.learner not in {p["name"] for p in client.learners()}:
            raise CommandError(f"there is no learner named {args.learner!r}")
    else:
        with _records(args) as store:
            entries = [
                {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "learner": e.learner, "subject": e.subject, "before": e.before, "after": e.after}
                for e in store.audit(learner=args.learner, action=args.action)
            ]
            if args.learner and not entries and args.learner not in {p.name for p in store.learners()}:
                raise CommandError(f"there is no learner named {args.learner!r}")
    if args.format == "json":
        print(json_for_terminal(entries, indent=1))
        return 0
    if not entries:
        print(for_terminal("no trainer actions recorded" + (f" for {args.learner}" if args.learner else "")))
        return 0
    for e in entries:
        when = datetime.fromisoformat(e["at"]).astimezone().strftime("%Y-%m-%d %H:%M")
        change = f"{_brief(e['before'])} -> {_brief(e['after'])}" if e["before"] is not None else _brief(e["after"])
        print(for_terminal(f"{when}  {e['actor']}  {e['action']}  {e['learner'] or '-'}  {e['subject'] or ''}  {change}"))
    print(f"{_plural(len(entries), 'action')}")
    return 0


def _brief(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v!r}" for k, v in value.items() if k != "comment" or v)
    return "" if value is None else str(value)


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
