"""What every ``course`` command shares: errors, options, filters, where the records are, who acts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from course import config

if TYPE_CHECKING:
    import pandas as pd

    from course.bank import Course
    from course.store import ResultsStore


class CommandError(Exception):
    """A mistake to report to the person at the terminal (exit status 1)."""


def _open(args: argparse.Namespace) -> tuple[Course, ResultsStore]:
    """The banks and the records: from the course service on JupyterHub, else this computer's."""
    if _service(args):
        from course.remote_store import ServiceStore, course_from_service

        remote = ServiceStore(_trainer_client(args))
        return course_from_service(remote.client), remote  # type: ignore[return-value]
    from course.bank import load_course

    return load_course(), _records(args)


def _records(args: argparse.Namespace) -> ResultsStore:
    """The results database a trainer's command reads or changes. A SQLite file that is not
    there is a mistake in --db or COURSE_DB_URL (a typo would otherwise make a new, empty
    database and report nothing as if it were the clinic's records): refused, nothing created."""
    from course.store import ResultsStore, _is_file_database

    store = ResultsStore(getattr(args, "db", None))
    url = store.engine.url
    if url.get_backend_name() == "sqlite" and _is_file_database(url.database) and not Path(url.database).expanduser().exists():
        raise CommandError(f"{url.database}: no results database there (nothing has been stored yet; check --db or COURSE_DB_URL)")
    return store


def _destination(out: str, **kwargs: Any) -> Path:
    """The file an --out names, checked before anything is read or done (see course.files.destination)."""
    from course.files import BadDestination, destination

    try:
        return destination(out, **kwargs)
    except BadDestination as bad:
        raise CommandError(f"--out {bad}") from None


def _when(text: str) -> datetime:
    """A date (2026-11-01) or date and time, read as UTC unless it says otherwise."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL", help="results database URL (default: COURSE_DB_URL or the local SQLite file)")


def _add_source(parser: argparse.ArgumentParser) -> None:
    """--db, or --service: a trainer's command may go through the course service on JupyterHub."""
    _add_db(parser)
    parser.add_argument("--service", metavar="URL", help="the course service (default: COURSE_SERVICE_URL when set); acts as your JupyterHub user")


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


from course.trainer import TABLES  # noqa: E402, F401 - re-exported for course.cli (light: no bank or database is loaded)


def _service(args: argparse.Namespace) -> str | None:
    """The course service to go through, or None to use the database directly."""
    if getattr(args, "db", None):
        return None
    return getattr(args, "service", None) or config.service_url()


def _trainer_client(args: argparse.Namespace):
    from course.client import TrainerClient

    return TrainerClient.from_environment(_service(args))


def _actor(args: argparse.Namespace, option: str) -> str:
    """Who acts. Through the service: the hub's name for the token (a different name is refused).
    On the database: the name given, which is kept in the audit trail."""
    given = getattr(args, option.lstrip("-").replace("-", "_"), None)
    if _service(args):
        me = _trainer_client(args).me()["name"]
        if given and given != me:
            raise CommandError(f"on JupyterHub you act as {me!r} (the hub says so); {option} {given!r} cannot be used")
        return me
    if not given or not given.strip():
        raise CommandError(f"give {option} (your name, kept with the action in the audit trail)")
    return given.strip()


def _table(name: str, args: argparse.Namespace) -> "pd.DataFrame":
    steps = _Steps(["read", name], "report")
    try:
        if _service(args):
            frame = _trainer_client(args).table(name, _filters(args))
            steps("asked the course service")
            return frame
        from course import trainer

        course, store = _open(args)
        with store:
            return trainer.table(name, store, course, _filters(args), step=steps)
    finally:
        steps.close()


_TERMINAL_COLUMNS = {
    "learners": ["learner", "cohort", "role", "lessons_started", "lessons_completed", "track_lessons_done", "track_pct", "attempts", "last_activity", "score_pct", "assessment_status", "assessment_pct", "assessment_critical_missed"],
    "questions": ["quiz", "question", "type", "n", "facility", "discrimination", "flags"],
    "regrade": ["learner", "question", "answered_at", "stored_score", "regraded_score", "reason"],
    "review": ["key", "learner", "question", "answered_at", "answer"],
}


def _cell(value: Any) -> Any:
    """A text cell for the terminal: a learner's control characters made visible, at most 48 characters."""
    from course.safe_text import for_terminal

    if not isinstance(value, str):
        return value
    text = for_terminal(value)
    return text if len(text) <= 48 else text[:47] + "…"


def _print_table(frame: "pd.DataFrame", name: str) -> None:
    import pandas as pd

    if frame.empty:
        print("(nothing to show)")
        return
    shown = frame[[c for c in _TERMINAL_COLUMNS.get(name, list(frame.columns)) if c in frame.columns]].copy()
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].dt.strftime("%Y-%m-%d %H:%M")
        elif not (pd.api.types.is_numeric_dtype(shown[column]) or pd.api.types.is_bool_dtype(shown[column])):
            shown[column] = shown[column].astype(object).map(_cell)
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200, "display.float_format", "{:.2f}".format):
        print(shown.to_string(index=False, na_rep="-"))
