"""How the dashboard writes the report's values for people: its constants, the heading and kind of
each report column (:data:`LABELS`, :data:`KINDS`), one formatter per kind of value, the
stylesheet (:data:`STYLE`), an audit entry's change in words and a review's typed score."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd

from course import localtime, report
from course.render import inline

ALL = "(all)"
STATUS_COLOURS = {
    "not started": "#f2f2f2",
    "in progress": "#fff3c4",
    "done": "#c8e6c9",
    "not taken": "#f2f2f2",
    "passed": "#81c784",
    "awaiting review": "#bbdefb",
    "failed": "#ef9a9a",
}
TRAINING_COLOURS = {"current": "#c8e6c9", "due soon": "#fff3c4", "overdue": "#ffcc80", "expired": "#ef9a9a", "not trained": "#f2f2f2"}
REVIEWS_SHOWN = 25
LINK_LIMIT = 20 * 1024 * 1024  # larger exports are written to a file only, not offered as a link
MISSING = localtime.MISSING  # "—"
PROMPT_LENGTH = 90  # characters of a question's prompt shown where the question is named

# --- how a trainer reads the report's columns -------------------------------------------------

LABELS: dict[str, str] = {
    # people and cohorts (report.learner_summary, report.cohort_summary)
    "learner": "Learner",
    "cohort": "Cohort",
    "role": "Role",
    "track_lessons_done": "Lessons done for the role",
    "track_pct": "Answered for the role",
    "learners": "Learners",
    "started": "Started",
    "completed": "Finished every lesson",
    "passed": "Passed the final assessment",
    "mean_score": "Average first-try score",
    "mean_assessment_pct": "Average final assessment score",
    "lessons_started": "Lessons started",
    "lessons_completed": "Lessons done",
    "attempts": "Answers given",
    "last_activity": "Last active",
    "score_pct": "First-try score",
    "assessment_status": "Final assessment",
    "assessment_pct": "Final assessment score",
    "assessment_critical_missed": "Safety questions missed",
    "assessment_pending": "Awaiting your review",
    # questions (report.item_analysis, report.distractors)
    "quiz": "Lesson",
    "question": "Question",
    "type": "Kind of question",
    "critical": "Safety-critical",
    "n": "Learners who answered",
    "pending": "Awaiting your review",
    "facility": "First-try score",
    "discrimination": "Stronger learners did better",
    "flags": "Flag",
    "text": "Answer option",
    "correct": "Right answer",
    "chosen": "Chosen by",
    "share": "Share who chose it",
    # re-grading (report.regrade)
    "answered_at": "Answered",
    "response": "Answer stored",
    "stored_score": "Score stored",
    "regraded_score": "Score now",
    "max_score": "Out of",
    "reason": "Why it differs",
    # training status (course.recert.table)
    "training_status": "Training",
    "due": "Due",
    "action": "What to do",
    "passed_on": "Last passed",
    "valid_until": "Valid until",
    "lessons_due": "Lessons due",
}
"""The heading a trainer reads for each report column the dashboard shows."""

KINDS: dict[str, str] = {
    "learner": "name",
    "cohort": "cohort",
    "learners": "count",
    "started": "count",
    "completed": "count",
    "passed": "count",
    "mean_score": "percent",
    "mean_assessment_pct": "percent",
    "lessons_started": "count",
    "lessons_completed": "count",
    "track_lessons_done": "count",
    "track_pct": "percent",
    "attempts": "count",
    "last_activity": "time",
    "score_pct": "percent",
    "assessment_status": "status",
    "assessment_pct": "percent",
    "assessment_critical_missed": "questions",
    "assessment_pending": "count",
    "quiz": "lesson",
    "question": "question",
    "type": "question type",
    "critical": "yes/no",
    "n": "count",
    "pending": "count",
    "facility": "share",
    "discrimination": "discrimination",
    "flags": "flags",
    "text": "long text",
    "correct": "yes/no",
    "chosen": "count",
    "share": "share",
    "answered_at": "time",
    "response": "long text",
    "stored_score": "score",
    "regraded_score": "score",
    "max_score": "score",
    "reason": "long text",
    "training_status": "training",
    "due": "time",
    "action": "long text",
    "passed_on": "time",
    "valid_until": "time",
    "lessons_due": "lessons",
}
"""The kind of value in each column the dashboard shows: which formatter writes it."""

NUMERIC_KINDS = {"count", "percent", "share", "score"}  # right-aligned, never wrapped
CELL_CLASSES = {"name": "dash-nowrap", "cohort": "dash-nowrap", "time": "dash-nowrap", "status": "dash-nowrap",
                "question": "dash-question", "questions": "dash-question", "long text": "dash-long"}
QUESTION_TYPE_NAMES = {
    "single_choice": "Pick one",
    "multiple_choice": "Select all that apply",
    "true_false": "True or false",
    "numeric": "Number",
    "ordering": "Put in order",
    "matching": "Matching",
    "free_text": "Written answer",
}
FLAG_NAMES = {
    "too easy": "Too easy",
    "too hard": "Too hard",
    "negative discrimination": "Stronger learners did worse: check the key and wording",
    "few answers": "Too few answers yet",
}
ACTIONABLE_FLAGS = ("too easy", "too hard", "negative discrimination")


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 learner``, ``2 learners``, ``1,024 answers`` (``nouns``: an irregular plural)."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


def percent(value: Any) -> str:
    """A percentage in whole percent, rounded down, so that 79.6% never reads as a pass mark of 80%."""
    if _missing(value):
        return MISSING
    return f"{math.floor(float(value) + 1e-9):d}%"


def _count(value: Any) -> str:
    return MISSING if _missing(value) else f"{int(value):,}"


def _score(value: Any) -> str:
    return MISSING if _missing(value) else f"{float(value):g}"


def _text(value: Any) -> str:
    return MISSING if _missing(value) else str(value)


def _cohort(value: Any) -> str:
    return "No cohort" if _missing(value) else str(value)


def _yes_no(value: Any) -> str:
    return MISSING if _missing(value) else ("Yes" if bool(value) else "No")


def _status(value: Any) -> str:
    return MISSING if _missing(value) else str(value)[:1].upper() + str(value)[1:]


def _discrimination(value: Any) -> str:
    """Pearson r in words (Moodle's guidance: 0.3 or more discriminates well), with the figure."""
    if _missing(value):
        return MISSING
    r = float(value)
    words = "clearly" if r >= 0.3 else "slightly" if r >= 0 else "no, the reverse"
    return f"{words} ({r:+.2f})".replace("-", "−")


def _flags(value: Any) -> str:
    if _missing(value):
        return MISSING
    return "; ".join(FLAG_NAMES.get(flag, flag) for flag in str(value).split(", ") if flag)


FORMATS: dict[str, Callable[[Any], str]] = {
    "text": _text,
    "long text": _text,
    "name": _text,
    "cohort": _cohort,
    "count": _count,
    "percent": percent,
    "share": lambda v: MISSING if _missing(v) else percent(100 * float(v)),
    "score": _score,
    "yes/no": _yes_no,
    "status": _status,
    "question type": lambda v: MISSING if _missing(v) else QUESTION_TYPE_NAMES.get(str(v), str(v)),
    "discrimination": _discrimination,
    "flags": _flags,
    "training": lambda v: MISSING if _missing(v) else str(v).capitalize(),
}
"""One formatter per kind of value that needs nothing but the value (see :meth:`Dashboard.format`)."""


def plain_prompt(prompt: str, limit: int = PROMPT_LENGTH) -> str:
    """A question's Markdown prompt as one line of plain text, cut at a word with "…" past ``limit``."""
    text = html.unescape(re.sub(r"<[^>]+>", "", inline(" ".join(prompt.split()))))
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.–—-")
    return cut + "…"


def _day_start(value: Any, where: Any, *, end: bool = False) -> datetime | None:
    """A DatePicker's day as the first moment of that day in the clinic's zone (``end``: of the next day)."""
    if value is None:
        return None
    day = value + pd.Timedelta(days=1).to_pytimedelta() if end else value
    return localtime.start_of_day(day, where)


STYLE = """<style>
.dash-filters, .dash-section { max-width: 100%; }
.dash-section .widget-html, .dash-section .widget-html-content,
.dash-filters .widget-html, .dash-filters .widget-html-content { min-width: 0; max-width: 100%; }
.dash-scroll {
  overflow-x: auto; max-width: 100%;
  /* a shadow at an edge where the table goes on: it scrolls sideways */
  background: linear-gradient(to right, var(--jp-layout-color0, #fff) 30%, transparent) left / 2em 100% no-repeat local,
              linear-gradient(to left, var(--jp-layout-color0, #fff) 30%, transparent) right / 2em 100% no-repeat local,
              radial-gradient(farthest-side at 0 50%, rgba(0, 0, 0, .25), transparent) left / .7em 100% no-repeat scroll,
              radial-gradient(farthest-side at 100% 50%, rgba(0, 0, 0, .25), transparent) right / .7em 100% no-repeat scroll;
}
.dash-scroll:focus-visible { outline: 2px solid #2b5d8a; outline-offset: 2px; }  /* focusable: the keyboard scrolls it */
.dash-section h3 { font-size: 1em; font-weight: bold; margin: 1em 0 .4em; }
.dash-table { border-collapse: collapse; margin: .2em 0 .8em; line-height: 1.35; }
.dash-table th, .dash-table td { padding: .3em .6em; text-align: left; vertical-align: top; }
.dash-table thead th { border-bottom: 2px solid #9e9e9e; vertical-align: bottom; }
.dash-table tbody tr + tr > * { border-top: 1px solid #e0e0e0; }
.dash-table .dash-num { text-align: right; white-space: nowrap; }
.dash-table th.dash-num { white-space: normal; }
.dash-table .dash-nowrap { white-space: nowrap; }
.dash-table .dash-question { min-width: 14em; max-width: 30em; }
.dash-table .dash-long { min-width: 12em; max-width: 30em; }
.dash-matrix th[scope='row'] { position: sticky; left: 0; background: var(--jp-layout-color0, #fff); }
.dash-answer { border-left: 3px solid #90caf9; background: #f5f9ff; margin: .4em 0; padding: .3em .8em; }
.dash-id { color: #757575; font-size: 85%; overflow-wrap: anywhere; }
.dash-note { color: #424242; }
.dash-error { color: #b71c1c; }
.dash-warning { color: #8a5300; }
.dash-ok { color: #1b5e20; }
.dash-figure { margin: 0; }
.dash-plot { display: block; width: min(720px, 100%); height: auto; }
.dash-review-card { border-top: 1px solid #e0e0e0; padding: .5em 0; }
.dash-wrap { flex-wrap: wrap; gap: .2em 0; }
</style>"""


def _change_text(before: Any, after: Any) -> str:
    """An audit entry's change in words: ``score 1 → 2``, ``cohort none → 2026-11 nurses``."""
    def shown(value: Any) -> str:
        return "none" if value is None or value == "" else f"{value:g}" if isinstance(value, float) else str(value)

    if isinstance(after, dict):
        keys = [k for k in after if k not in ("question", "course_version")]
        parts = []
        for k in keys:
            old = before.get(k) if isinstance(before, dict) else None
            parts.append(f"{k} {shown(old)} → {shown(after[k])}" if isinstance(before, dict) and k in before else f"{k}: {shown(after[k])}")
        return "; ".join(parts)
    return shown(after)


def review_score(typed: str, maximum: float) -> tuple[float, str | None]:
    """A trainer's typed score (``1``, ``1.5``, ``1,5``) and None; or NaN and the one-line reason it cannot be stored."""
    ask = f"Type a score from 0 to {maximum:g}."
    text = (typed or "").strip()
    if not text:
        return math.nan, ask
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return math.nan, f"“{text}” is not a number. {ask}"
    if not math.isfinite(value):
        return math.nan, f"“{text}” is not a number. {ask}"
    if value < 0 or value > maximum + report.TOLERANCE:
        return math.nan, f"{value:g} is outside 0 to {maximum:g}. {ask}"
    return value, None
