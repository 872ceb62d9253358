"""What the course service and its clients say to each other: the session's answers as JSON, and back.

Each ``*_to_json`` gives plain JSON data (times as ISO 8601 with their zone) and each
``*_from_json`` reads it back into the same dataclass, so a page gets from
:class:`course.client.ServiceClient` exactly what it gets from :class:`course.session.CourseSession`.
A reply that is not what it should be raises ValueError.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from course.grading import Grade, QuizScore
from course.paper import PaperQuestion
from course.progress import Home, LessonProgress
from course.session import Answered, Earlier, Practice, SittingView


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _read_time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def grade_to_json(g: Grade) -> dict[str, Any]:
    return asdict(g)


def grade_from_json(data: Any) -> Grade:
    try:
        return Grade(
            question_id=str(data["question_id"]), score=float(data["score"]), max_score=float(data["max_score"]),
            correct=bool(data["correct"]), feedback=tuple(str(f) for f in data.get("feedback", ())),
            explanation=str(data.get("explanation", "")), pending=bool(data.get("pending", False)),
            critical=bool(data.get("critical", False)), out_of_place=tuple(str(t) for t in data.get("out_of_place", ())),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not a grade: {error}") from error


def score_to_json(s: QuizScore | None) -> dict[str, Any] | None:
    return None if s is None else asdict(s)


def score_from_json(data: Any) -> QuizScore | None:
    if data is None:
        return None
    try:
        return QuizScore(
            total=float(data["total"]), maximum=float(data["maximum"]), percent=float(data["percent"]), passed=bool(data["passed"]),
            pass_mark=None if data.get("pass_mark") is None else float(data["pass_mark"]),
            critical_missed=tuple(data.get("critical_missed", ())), unanswered=tuple(data.get("unanswered", ())), pending=tuple(data.get("pending", ())),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not a score: {error}") from error


def practice_to_json(p: Practice) -> dict[str, Any]:
    return {
        "quiz": p.quiz,
        "title": p.title,
        "questions": [q.to_json() for q in p.questions],
        "earlier": {
            qid: {"response": e.response, "grade": None if e.grade is None else grade_to_json(e.grade), "answered_at": _time(e.answered_at)}
            for qid, e in p.earlier.items()
        },
        "earlier_unreadable": p.earlier_unreadable,
    }


def practice_from_json(data: Any) -> Practice:
    try:
        earlier = {
            str(qid): Earlier(e.get("response"), None if e.get("grade") is None else grade_from_json(e["grade"]), _read_time(e["answered_at"]))  # type: ignore[arg-type]
            for qid, e in (data.get("earlier") or {}).items()
        }
        return Practice(
            str(data["quiz"]), str(data["title"]), tuple(PaperQuestion.from_json(q) for q in data["questions"]), earlier, bool(data.get("earlier_unreadable", False))
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not a practice quiz: {error}") from error


def answered_to_json(a: Answered) -> dict[str, Any]:
    return {"grade": None if a.grade is None else grade_to_json(a.grade), "queued": a.queued, "key": a.key}


def answered_from_json(data: Any) -> Answered:
    try:
        return Answered(None if data.get("grade") is None else grade_from_json(data["grade"]), bool(data["queued"]), str(data["key"]))
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not an answer's grade: {error}") from error


def sitting_to_json(s: SittingView) -> dict[str, Any]:
    return {
        "quiz": s.quiz, "title": s.title, "pass_mark": s.pass_mark, "state": s.state, "sitting": s.sitting, "number": s.number,
        "questions": [q.to_json() for q in s.questions], "responses": s.responses,
        "grades": {qid: grade_to_json(g) for qid, g in s.grades.items()}, "score": score_to_json(s.score),
        "reasons": list(s.reasons), "queued": s.queued, "retake_possible": s.retake_possible,
    }  # fmt: skip


def sitting_from_json(data: Any) -> SittingView:
    try:
        state = data["state"]
        if state not in ("open", "submitted", "locked"):
            raise ValueError(f"unknown state {state!r}")
        return SittingView(
            quiz=str(data["quiz"]), title=str(data["title"]), pass_mark=float(data["pass_mark"]), state=state,
            sitting=data.get("sitting"), number=int(data.get("number", 0)),
            questions=tuple(PaperQuestion.from_json(q) for q in data.get("questions", ())),
            responses=dict(data.get("responses") or {}), grades={str(k): grade_from_json(g) for k, g in (data.get("grades") or {}).items()},
            score=score_from_json(data.get("score")), reasons=tuple(str(r) for r in data.get("reasons", ())),
            queued=bool(data.get("queued", False)), retake_possible=bool(data.get("retake_possible", False)),
        )  # fmt: skip
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not an assessment sitting: {error}") from error


def progress_to_json(rows: list[LessonProgress]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]


def progress_from_json(data: Any) -> list[LessonProgress]:
    try:
        return [LessonProgress(**{k: r[k] for k in ("quiz", "title", "lesson", "status", "detail", "done")}, passed=r.get("passed")) for r in data]
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a progress list: {error}") from error


def home_to_json(h: Home) -> dict[str, Any]:
    return {"learner": h.learner, "lessons": progress_to_json(list(h.lessons)), "next_quiz": h.next_quiz, "locked": {k: list(v) for k, v in h.locked.items()}, "role": h.role, "due": h.due}


def home_from_json(data: Any) -> Home:
    try:
        return Home(
            str(data["learner"]), tuple(progress_from_json(data["lessons"])), data.get("next_quiz"),
            {str(k): tuple(str(r) for r in v) for k, v in (data.get("locked") or {}).items()},
            str(data["role"]) if data.get("role") else None,
            due=str(data["due"]) if data.get("due") else None,
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not a course home: {error}") from error


# --- the trainer's report data (course.report.Data), for a dashboard served away from the database ---


def data_to_json(data: Any) -> dict[str, Any]:
    """A :class:`course.report.Data` as JSON: columns of values, with what each column's type was."""
    import pandas as pd

    frame = data.attempts
    columns: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for name in frame.columns:
        series = frame[name]
        kind = str(series.dtype)
        values = series.astype(object).tolist()
        if kind == "category":  # the categories as they are (their order and type), then codes
            kinds[name] = "category"
            columns[name] = {"categories": [c for c in series.cat.categories.astype(object)], "codes": series.cat.codes.tolist()}
        elif kind.startswith("datetime64"):
            kinds[name], columns[name] = "time", [None if pd.isna(v) else v.value for v in values]
        elif kind == "boolean":
            kinds[name], columns[name] = "boolean", [None if pd.isna(v) else bool(v) for v in values]
        else:
            kinds[name] = "float" if kind.startswith("float") else "object"
            columns[name] = [None if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in values]
    f = data.filters
    return {
        "columns": columns, "kinds": kinds, "order": list(frame.columns),
        "learners": data.learners.astype(object).where(data.learners.notna(), None).to_dict(orient="list"),
        "filters": {k: (getattr(f, k).isoformat() if isinstance(getattr(f, k), datetime) else getattr(f, k)) for k in ("cohort", "learner", "quiz", "since", "until")},
        "detail": data.detail,
    }  # fmt: skip


def data_from_json(obj: Any) -> Any:
    """The :class:`course.report.Data` back from :func:`data_to_json`."""
    import pandas as pd

    from course.report import Data, Filters

    try:
        people = pd.DataFrame({"learner": obj["learners"]["learner"], "cohort": obj["learners"]["cohort"], "role": obj["learners"].get("role") or [None] * len(obj["learners"]["learner"])}, dtype=object)
        columns = {}
        for name in obj["order"]:
            values, kind = obj["columns"][name], obj["kinds"][name]
            if kind == "category":
                categories = pd.Index(values["categories"], dtype=object)
                columns[name] = pd.Categorical.from_codes(values["codes"], categories=categories)
            elif kind == "time":
                columns[name] = pd.to_datetime(pd.Series(values, dtype="Int64"), unit="ns", utc=True)
            elif kind == "boolean":
                columns[name] = pd.array(values, dtype="boolean")
            elif kind == "float":
                columns[name] = pd.array([float("nan") if v is None else v for v in values], dtype="float64")
            else:
                columns[name] = pd.Series(values, dtype=object)
        attempts = pd.DataFrame(columns) if columns else pd.DataFrame(columns=obj["order"])
        filters = Filters(**{k: (datetime.fromisoformat(v) if k in ("since", "until") and v else v) for k, v in obj["filters"].items()})
        return Data(attempts, people, filters, bool(obj["detail"]))
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not the report's data: {error}") from error
