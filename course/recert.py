"""Who is trained, who is due, who is overdue: recertification and cohorts' due dates.

Three course settings, stored in the results database by a trainer (``course due --valid-for 12
--recertify-before 30 --due-soon 30``, audited) so that the command line, the dashboard and the
course service read the same values; until a trainer sets them, :data:`SETTINGS` gives the defaults:

``valid_months``
    How long a pass of the final assessment is valid, in calendar months (default 12; 0: a pass
    never expires). A pass on 15 March is valid until 15 March a year later.
``recertify_before_days``
    Recertification is due this many days before the pass expires (default 30), so that a
    learner who recertifies on time is never without a valid pass.
``due_soon_days``
    How many days before a due date a learner is "due soon" (default 30).
``refresher_lessons``
    The lessons (quiz ids) a learner does again before a recertification sitting (default none):
    each of their questions answered again since the recertification window opened.

A trainer may also give a cohort a due date for any lesson, and for the final assessment of
those who have not passed it yet (``course due --cohort C --quiz Q --set DATE``, audited). A
learner's state, at a moment ``now``:

``current``      holds a valid pass, and no due date is within the due-soon window;
``due soon``     a due date (recertification, or a cohort's date not met yet) is within the window;
``overdue``      a due date has passed: recertification (the pass still valid), a cohort's date
                 for the first pass, or for a lesson not done;
``expired``      the last pass's period of validity is over;
``not trained``  never passed, and no cohort due date says by when.

So over time a passed learner goes current → due soon → overdue → expired, and back to current
with a new pass (the model of healthcare LMSs such as Moodle Workplace's certifications: a
recertification window, a due date before expiry, then expiry).

Recertification: once the pass is due soon, overdue or expired, the learner may sit the final
assessment again without a trainer's retake — one new sitting per pass that fell due
(:func:`renewable`, :meth:`course.store.ResultsStore.open_sitting` with ``renews``). The old
sittings and certificates are kept; a failed recertification sitting needs a trainer's retake, as
a failed first sitting does.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from course.records import Attempt, submissions_of

if TYPE_CHECKING:
    import pandas as pd

    from course.bank import Course
    from course.progress import FinalResult
    from course.store import ResultsStore

__all__ = ["SETTINGS", "STATES", "Policy", "Due", "add_months", "policy", "passes", "status", "statuses", "renewable", "table", "learner_note"]

SETTINGS: dict[str, int] = {"valid_months": 12, "recertify_before_days": 30, "due_soon_days": 30}
"""The course settings this module reads, with their defaults (stored values override them)."""

STATES = ("expired", "overdue", "due soon", "not trained", "current")
"""Every state, the most urgent first (a learner's state is the most urgent of its parts)."""

MUST_ACT = ("expired", "overdue", "due soon", "not trained")
"""The states ``course due`` lists by default."""


@dataclass(frozen=True)
class Policy:
    """How long a pass is valid and how early a learner is warned."""

    valid_months: int = SETTINGS["valid_months"]
    recertify_before_days: int = SETTINGS["recertify_before_days"]
    due_soon_days: int = SETTINGS["due_soon_days"]
    refresher_lessons: tuple[str, ...] = ()

    def opens_at(self, passed_at: datetime) -> datetime | None:
        """When the recertification window opens (due soon): what a refresher lesson is done after."""
        due = self.recertify_by(passed_at)
        return None if due is None else max(passed_at, due - self.window)

    def valid_until(self, passed_at: datetime) -> datetime | None:
        return add_months(passed_at, self.valid_months) if self.valid_months else None

    def recertify_by(self, passed_at: datetime) -> datetime | None:
        """When recertification is due: ``recertify_before_days`` before the pass expires (never before the pass)."""
        until = self.valid_until(passed_at)
        return None if until is None else max(passed_at, until - timedelta(days=self.recertify_before_days))

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.due_soon_days)


def check_setting(name: str, value: Any, course: Course | None = None) -> Any:
    """A setting's value, checked (a refresher lesson against ``course`` if given): ValueError saying what is wrong."""
    if name == "refresher_lessons":
        if not isinstance(value, list) or not all(isinstance(q, str) and q.strip() for q in value):
            raise ValueError(f"refresher_lessons must be a list of quiz ids, not {value!r}")
        value = list(dict.fromkeys(q.strip() for q in value))
        for quiz in value if course is not None else ():
            bank = course.banks.get(quiz)
            if bank is None or bank.mode != "practice":
                raise ValueError(f"{quiz!r} is not a lesson's practice quiz; the lessons are: {', '.join(q for q, b in course.banks.items() if b.mode == 'practice')}")
        return value
    if name not in SETTINGS:
        raise ValueError(f"there is no course setting {name!r}; the settings are: {', '.join([*SETTINGS, 'refresher_lessons'])}")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= (120 if name == "valid_months" else 365):
        limit = "0 to 120 months (0: a pass never expires)" if name == "valid_months" else "0 to 365 days"
        raise ValueError(f"{name} must be a whole number from {limit}, not {value!r}")
    return value


def policy(store: ResultsStore) -> Policy:
    """The course's settings as stored (the defaults for any not set)."""
    stored = store.settings()
    numbers = {name: int(stored.get(name, default)) for name, default in SETTINGS.items()}
    return Policy(**numbers, refresher_lessons=tuple(stored.get("refresher_lessons") or ()))


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months (31 January + 1 month: the last day of February)."""
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Due:
    """A learner's training state at one moment."""

    learner: str
    cohort: str | None
    status: str
    """One of :data:`STATES`."""
    due_at: datetime | None
    """By when the learner must act next (pass, recertify, finish a lesson), or None."""
    action: str
    """What the learner must do, in a trainer's words ('' when current with nothing due)."""
    passed_at: datetime | None = None
    """When the last passing sitting of the final assessment was submitted."""
    valid_until: datetime | None = None
    """Until when that pass is valid (None: no pass, or passes never expire)."""
    submission: str | None = None
    """The last passing sitting's id."""
    lessons: tuple[str, ...] = ()
    """The lessons (quiz ids) the learner's cohort must have done by a due date and has not, due soon or overdue."""

    @property
    def may_recertify(self) -> bool:
        """The pass fell due: recertification is open (a new sitting, once per pass, after any refresher lessons)."""
        return self.submission is not None and self.final_status in ("due soon", "overdue", "expired")

    final_status: str = "not trained"
    """The state of the final assessment alone (lessons left out)."""
    refresher: tuple[str, ...] = ()
    """The refresher lessons (quiz ids) still to do before the recertification sitting opens."""


def _severity(state: str) -> int:
    return STATES.index(state)


def _final_quiz(course: Course) -> Any:
    from course.progress import _final_bank

    return _final_bank(course)


def _scored(store: ResultsStore, attempts: list[Attempt], reviews: dict[str, float] | None = None) -> list[Attempt]:
    """The attempts with each reviewed written answer carrying its latest review's score (as course.progress does)."""
    if reviews is None:
        from course.progress import _with_reviews

        return _with_reviews(store, attempts)
    out = []
    for a in attempts:
        if a.score is None and a.key in reviews:
            score = reviews[a.key]
            a = replace(a, score=score, correct=score >= a.max_score)
        out.append(a)
    return out


def passes(course: Course, store: ResultsStore, learner: str, *, attempts: list[Attempt] | None = None, reviews: dict[str, float] | None = None) -> list[FinalResult]:
    """Every passing sitting of the learner's final assessment, oldest first (scored as the progress view scores them)."""
    from course.progress import _score_sitting

    bank = _final_quiz(course)
    mine = attempts if attempts is not None else store.attempts(learner=learner, quiz=bank.quiz)
    mine = _scored(store, [a for a in mine if a.quiz == bank.quiz], reviews)
    found = []
    for number, submission in enumerate(submissions_of(mine), 1):
        result = _score_sitting(course, bank, mine, submission, number)
        if result.passed:
            found.append(result)
    return found


def _long(moment: datetime) -> str:
    from course.certificate import _long_date, _local_date

    return _long_date(_local_date(moment))


def _decide(
    course: Course, rules: Policy, learner: str, cohort: str | None, last: FinalResult | None,
    due_dates: dict[str, datetime], lessons_done: set[str], now: datetime, attempts: list[Attempt] | None = None, role: str | None = None,
) -> Due:  # fmt: skip
    final = _final_quiz(course)
    window = rules.window
    parts: list[tuple[str, datetime | None, str]] = []  # (state, due, action)

    def timed(due: datetime, late: str, what: str) -> tuple[str, datetime, str]:
        if now >= due:
            return late, due, f"{what} (was due {_long(due)})"
        if now >= due - window:
            return "due soon", due, f"{what} by {_long(due)}"
        return "", due, f"{what} by {_long(due)}"

    cohort_final = due_dates.get(final.quiz)
    passed_at = valid_until = None
    refresher: tuple[str, ...] = ()
    if last is not None:
        passed_at = last.date
        valid_until = rules.valid_until(passed_at)
        recertify_by = rules.recertify_by(passed_at)
        opens = rules.opens_at(passed_at)
        if rules.refresher_lessons and opens is not None and now >= opens:
            refresher = _refresher_missing(course, rules.refresher_lessons, attempts or [], opens, role)
        if valid_until is not None and now >= valid_until:
            final_part = ("expired", valid_until, f"recertify: sit the final assessment again (the pass expired on {_long(valid_until)})")
        elif recertify_by is not None:
            state, due, action = timed(recertify_by, "overdue", "recertify: sit the final assessment again")
            final_part = (state or "current", due, action if state else f"next: recertify by {_long(due)}")
        else:
            final_part = ("current", None, "")
    elif cohort_final is not None:
        state, due, action = timed(cohort_final, "overdue", "pass the final assessment")
        final_part = (state or "not trained", due, action)
    else:
        final_part = ("not trained", None, "pass the final assessment")
    parts.append(final_part)

    late_lessons = []
    unmet = [final_part[1]] if final_part[1] is not None else []
    for quiz, due in sorted(due_dates.items(), key=lambda item: item[1]):
        bank = course.banks.get(quiz)
        if quiz == final.quiz or bank is None or bank.mode != "practice" or quiz in lessons_done:
            continue
        unmet.append(due)
        state, due, action = timed(due, "overdue", f"finish the lesson {bank.title!r}")
        if state:
            late_lessons.append(quiz)
            parts.append((state, due, action))
    if refresher:
        titles = " and ".join(repr(course.banks[q].title) for q in refresher)
        word = "lessons" if len(refresher) > 1 else "lesson"
        final_part = (final_part[0], final_part[1], final_part[2].replace("recertify: sit", f"recertify: do the refresher {word} {titles}, then sit", 1))
        parts[0] = final_part
    worst = min(parts, key=lambda p: _severity(p[0]))
    due_at = min(unmet, default=None)
    actions = "; ".join(p[2] for p in sorted(parts, key=lambda p: _severity(p[0])) if p[2] and p[0] != "current") or final_part[2]
    return Due(
        learner=learner, cohort=cohort, status=worst[0], due_at=due_at, action=actions,
        passed_at=passed_at, valid_until=valid_until, submission=None if last is None else last.submission,
        lessons=tuple(late_lessons), final_status=final_part[0], refresher=refresher,
    )  # fmt: skip


def _refresher_missing(course: Course, quizzes: tuple[str, ...], attempts: list[Attempt], since: datetime, role: str | None) -> tuple[str, ...]:
    """The refresher lessons not answered through again (each question of the role's sections) since ``since``."""
    answered = {(a.quiz, a.question) for a in attempts if a.answered_at >= since}
    missing = []
    for quiz in quizzes:
        bank = course.banks.get(quiz)
        if bank is None:
            continue  # a lesson no longer in the course cannot be asked for
        if any((quiz, q.id) not in answered for q in bank.for_role(role)):
            missing.append(quiz)
    return tuple(missing)


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, not {now!r}")
    return now


def status(course: Course, store: ResultsStore, learner: str, *, now: datetime | None = None, rules: Policy | None = None) -> Due:
    """One learner's state at ``now`` (default: the present). LookupError if the course has no final assessment."""
    now = _now(now)
    rules = rules or policy(store)
    cohort = store.cohort(learner)
    dates = {d.quiz: d.due_at for d in store.due_dates(cohort)} if cohort else {}
    role = store.role(learner)
    mine = store.attempts(learner=learner) if dates or rules.refresher_lessons else []
    done = _lessons_done(course, mine, dates, role) if dates else set()
    found = passes(course, store, learner)
    return _decide(course, rules, learner, cohort, found[-1] if found else None, dates, done, now, mine, role)


def _lessons_done(course: Course, attempts: list[Attempt], dates: dict[str, datetime], role: str | None = None) -> set[str]:
    """The lessons among ``dates`` the learner has done (the questions of their role's sections, as progress counts them)."""
    from course.progress import _practice

    by_quiz: dict[str, list[Attempt]] = defaultdict(list)
    for a in attempts:
        by_quiz[a.quiz].append(a)
    return {q for q in dates if q in course.banks and course.banks[q].mode == "practice" and _practice(course.banks[q], by_quiz.get(q, []), role).done}


def statuses(course: Course, store: ResultsStore, *, now: datetime | None = None, cohort: str | None = None, learner: str | None = None) -> list[Due]:
    """Every learner's state at ``now`` (of one cohort or learner if given), by name. Reads the store once per kind of record."""
    now = _now(now)
    rules = policy(store)
    final = _final_quiz(course)
    people = [p for p in store.learners() if (cohort is None or p.cohort == cohort) and (learner is None or p.name == learner)]
    dates: dict[str, dict[str, datetime]] = defaultdict(dict)
    for d in store.due_dates():
        dates[d.cohort][d.quiz] = d.due_at
    needs_lessons = any(q != final.quiz for per in dates.values() for q in per) or bool(rules.refresher_lessons)
    attempts: dict[str, list[Attempt]] = defaultdict(list)
    for a in (store.attempts() if needs_lessons else store.attempts(quiz=final.quiz)):
        attempts[a.learner].append(a)
    reviews = {r.attempt_key: r.score for r in store.reviews()}  # oldest first: the latest wins
    out = []
    for person in people:
        mine = attempts.get(person.name, [])
        per = dates.get(person.cohort or "", {}) if person.cohort else {}
        found = passes(course, store, person.name, attempts=mine, reviews=reviews)
        done = _lessons_done(course, mine, per, person.role) if per else set()
        out.append(_decide(course, rules, person.name, person.cohort, found[-1] if found else None, per, done, now, mine, person.role))
    return out


def renewable(course: Course, store: ResultsStore, learner: str, *, quiz: str | None = None, now: datetime | None = None) -> str | None:
    """The passing sitting whose recertification is open at ``now`` (due soon, overdue or
    expired), for :meth:`~course.store.ResultsStore.open_sitting` ``renews``; else None (also
    for a ``quiz`` that is not the final assessment)."""
    try:
        if quiz is not None and quiz != _final_quiz(course).quiz:
            return None
        due = status(course, store, learner, now=now)
    except LookupError:
        return None
    return due.submission if due.may_recertify and not due.refresher else None


def refresher_needed(course: Course, store: ResultsStore, learner: str, *, quiz: str | None = None, now: datetime | None = None) -> tuple[str, ...]:
    """The titles of the refresher lessons the learner must do again before their recertification
    sitting of the final assessment opens (empty when none, or recertification is not open)."""
    try:
        if quiz is not None and quiz != _final_quiz(course).quiz:
            return ()
        due = status(course, store, learner, now=now)
    except LookupError:
        return ()
    return tuple(course.banks[q].title for q in due.refresher) if due.may_recertify else ()


COLUMNS = ["learner", "cohort", "training_status", "due", "action", "passed_on", "valid_until", "lessons_due"]


def table(course: Course, store: ResultsStore, *, now: datetime | None = None, cohort: str | None = None, learner: str | None = None, must_act: bool = False) -> pd.DataFrame:
    """The learners' states as a table (:data:`COLUMNS`), the most urgent first, then by due date and name."""
    import pandas as pd

    rows = [d for d in statuses(course, store, now=now, cohort=cohort, learner=learner) if not must_act or d.status in MUST_ACT]
    far = datetime.max.replace(tzinfo=timezone.utc)
    rows.sort(key=lambda d: (_severity(d.status), d.due_at or far, d.learner))
    frame = pd.DataFrame(
        [[d.learner, d.cohort, d.status, d.due_at, d.action, d.passed_at, d.valid_until, ", ".join(d.lessons)] for d in rows],
        columns=COLUMNS,
    )
    for column in ("due", "passed_on", "valid_until"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def learner_note(course: Course, store: ResultsStore, learner: str, *, now: datetime | None = None) -> str | None:
    """What the learner's course home says about their due date, or None when there is nothing to say."""
    try:
        due = status(course, store, learner, now=now)
    except LookupError:
        return None
    if due.status == "current":
        if due.valid_until is not None:
            return f"Your training is up to date: your pass is valid until {_long(due.valid_until)}."
        return None
    if due.status == "not trained":
        return None if due.due_at is None else f"Please finish the course by {_long(due.due_at)}."
    words = {"due soon": "Due soon", "overdue": "Overdue", "expired": "Expired"}[due.status]
    text = f"{words}: {_learner_words(due.action)}."
    if due.may_recertify and not due.refresher:
        text += " You may sit the final assessment again now."
    return text


def _learner_words(action: str) -> str:
    return action.replace("recertify: sit", "please sit").replace("recertify: do", "please do").replace("pass the final", "please pass the final").replace("finish the lesson", "please finish the lesson")
