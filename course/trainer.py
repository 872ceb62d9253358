"""What a trainer can do, with its checks and its audit trail: one place for the command line and the course service.

Each action checks what it is asked (the learner exists, the quiz is an assessment, the answer is a
written one) and raises :class:`TrainerError` with a message for the trainer when it cannot be
done; the store writes the action to the audit trail in the same transaction as the change.
``by`` is who acts: the hub user on JupyterHub, else the name given (or this computer's user).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from course.bank import Course

    from course.report import Filters
    from course.store import ResultsStore

TABLES = {
    "learners": "one row per learner: lessons, scores, final assessment (default)",
    "progress": "learners x lessons: status of each lesson",
    "cohorts": "one row per cohort",
    "questions": "item analysis: facility, discrimination, flags",
    "options": "how often each option of each choice question was chosen",
    "regrade": "stored scores the current banks no longer give",
    "review": "written answers waiting for a trainer",
    "due": "one row per learner: current, due soon, overdue, expired or not trained, and by when",
}
_DETAIL = ("options", "regrade", "review")


class TrainerError(ValueError):
    """The action cannot be done as asked; the message says why, in a trainer's words."""


def table(name: str, store: ResultsStore, course: Course, filters: Filters | None = None, *, step: Any = None) -> pd.DataFrame:
    """One table of the trainer's report (see :data:`TABLES`); ``step(label)`` is called after each part.

    Filters that match nothing (a learner, cohort or quiz that is not there; no answer in the
    dates) raise :class:`TrainerError` instead of a table of everyone "not taken"."""
    from course import report

    if name not in TABLES:
        raise TrainerError(f"there is no table {name!r}; the tables are: {', '.join(TABLES)}")
    if name == "due":
        return due_table(store, course, filters)
    data = report.load(store, filters, detail=name in _DETAIL)
    try:
        report.check_matches(data, course)
    except report.NothingMatches as nothing:
        raise TrainerError(str(nothing)) from None
    if step:
        step("read the store")
    frame = {
        "learners": lambda: report.learner_summary(data, course),
        "progress": lambda: report.progress_matrix(data, course).reset_index(),
        "cohorts": lambda: report.cohort_summary(data, course),
        "questions": lambda: report.item_analysis(data, course),
        "options": lambda: report.distractors(data, course),
        "regrade": lambda: report.regrade(data, course),
        "review": lambda: report.review_queue(data, course),
    }[name]()
    if step:
        step(name)
    return frame


def _learner(store: ResultsStore, name: str) -> None:
    if name not in {learner.name for learner in store.learners()}:
        raise TrainerError(f"there is no learner named {name!r}")


def _assessment(course: Course, quiz: str) -> Any:
    try:
        bank = course.bank(quiz)
    except KeyError:
        raise TrainerError(f"there is no quiz {quiz!r}") from None
    if bank.mode != "assessment":
        raise TrainerError(f"{quiz!r} is a practice quiz: learners may retry it at any time")
    return bank


def review(store: ResultsStore, course: Course, key: str, score: float, *, by: str, comment: str = "") -> dict[str, Any]:
    """Score a written answer; returns the learner, question and maximum of the answer scored."""
    from course import report
    from course.records import StoreError

    try:
        row = report.record_review(store, key, score, by, comment, course=course)
    except StoreError as error:
        raise TrainerError(str(error)) from None
    return {"learner": row["learner"], "question": row["question"], "max_score": float(row["max_score"]), "score": float(score)}


def allow_retake(store: ResultsStore, course: Course, learner: str, quiz: str, *, by: str) -> str:
    """Let a learner sit an assessment once more; returns the assessment's title."""
    bank = _assessment(course, quiz)
    _learner(store, learner)
    store.allow_retake(learner, quiz, trainer=by)
    return bank.title


def set_cohort(store: ResultsStore, learner: str, cohort: str | None, *, by: str) -> None:
    """Put a learner in a cohort (None or "": in none)."""
    _learner(store, learner)
    store.set_cohort(learner, cohort or None, by=by)


def set_role(store: ResultsStore, learner: str, role: str | None, *, by: str) -> str | None:
    """Change a learner's role (``course.roles.ROLES``; None or "": no role); returns the role id."""
    from course.roles import check_role

    _learner(store, learner)
    try:
        role = check_role(role) if role else None
    except ValueError as error:
        raise TrainerError(str(error)) from None
    store.set_role(learner, role, by=by)
    return role


def waive(store: ResultsStore, course: Course, learner: str, quiz: str, *, by: str, reason: str) -> str:
    """Let a learner sit an assessment before finishing its lessons; returns its title."""
    bank = _assessment(course, quiz)
    _learner(store, learner)
    if not reason.strip():
        raise TrainerError("say why the lessons are waived (it is kept in the audit trail)")
    store.waive(learner, quiz, by=by, reason=reason.strip())
    return bank.title


def certificate(store: ResultsStore, course: Course, learner: str, out: Path | str, *, by: str) -> Path:
    """Issue the learner's certificate (a verification code kept in the records, audited) and write
    it; NotEligible (nothing kept or written) otherwise."""
    from course.certificate import issue

    return issue(course, store, learner, out, by=by)[0]


def certificate_pdf(store: ResultsStore, course: Course, learner: str, *, by: str) -> tuple[bytes, Any]:
    """(the certificate as PDF bytes, its record: verification code, valid until) for the course
    service, recorded as issued."""
    with tempfile.TemporaryDirectory() as folder:
        pdf = certificate(store, course, learner, Path(folder) / "certificate.pdf", by=by).read_bytes()
    return pdf, store.certificates(learner)[-1]


# --- recertification, due dates, certificates (course.recert, course.verify) ---------------------


def due_table(store: ResultsStore, course: Course, filters: Filters | None = None, *, now: Any = None, must_act: bool = False) -> pd.DataFrame:
    """The learners' training states (:func:`course.recert.table`), of the filters' cohort or learner."""
    from course import recert

    cohort = getattr(filters, "cohort", None)
    learner = getattr(filters, "learner", None)
    people = store.learners()
    if learner is not None and learner not in {p.name for p in people}:
        raise TrainerError(f"there is no learner named {learner!r}")
    if cohort is not None and cohort not in {p.cohort for p in people}:
        raise TrainerError(f"there is no cohort {cohort!r}")
    try:
        return recert.table(course, store, now=now, cohort=cohort, learner=learner, must_act=must_act)
    except LookupError as error:
        raise TrainerError(str(error)) from None


def set_due_date(store: ResultsStore, course: Course, cohort: str, quiz: str, due_at: Any, *, by: str) -> str:
    """Give a cohort a due date for a lesson or the final assessment (None: clear it); returns the quiz's title."""
    try:
        bank = course.bank(quiz)
    except KeyError:
        raise TrainerError(f"there is no quiz {quiz!r}") from None
    if not cohort or not cohort.strip():
        raise TrainerError("give the cohort the due date is for (--cohort)")
    if cohort not in {p.cohort for p in store.learners()} and due_at is not None:
        raise TrainerError(f"there is no cohort {cohort!r} (put a learner in it first: course cohort LEARNER COHORT)")
    store.set_due_date(cohort, quiz, due_at, by=by)
    return bank.title


def set_setting(store: ResultsStore, name: str, value: Any, *, by: str, course: Course | None = None) -> None:
    """Store a course setting (:data:`course.recert.SETTINGS`, ``refresher_lessons``), checked (against ``course`` if given)."""
    from course.recert import check_setting

    try:
        value = check_setting(name, value, course)
    except ValueError as error:
        raise TrainerError(str(error)) from None
    store.set_setting(name, value, by=by)


def revoke(store: ResultsStore, code: str, reason: str, *, by: str) -> Any:
    """Revoke a certificate by its verification code, keeping the reason (audited)."""
    from course.records import StoreError
    from course.verify import normalise

    try:
        return store.revoke_certificate(normalise(code), reason=reason, by=by)
    except (StoreError, ValueError) as error:
        raise TrainerError(str(error)) from None
