"""The results store as a trainer's dashboard sees it on JupyterHub: through the course service.

A trainer's server on the hub has neither the database password nor the banks; its dashboard
gets what it shows from the course service, as the trainer the hub names. :class:`ServiceStore`
offers the part of :class:`course.store.ResultsStore` the dashboard, the report and the xAPI
export use — the report's data (:meth:`load_data`), learners, answers, cohorts, retakes, reviews,
waivers and the audit trail — and :func:`course_from_service` the full banks (trainers may see
keys; the service gives them to trainers only).
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from course import wire
from course.bank import Course, load_course
from course.client import TrainerClient, _filter_query
from course.records import Attempt, AuditEntry, Learner


class ServiceStore:
    """What the dashboard asks of the results store, answered by the course service."""

    def __init__(self, client: TrainerClient) -> None:
        self.client = client
        self.url = "the course service"

    @classmethod
    def from_environment(cls) -> ServiceStore:
        return cls(TrainerClient.from_environment())

    @property
    def actor(self) -> str:
        """The trainer the hub says this is (kept with every action)."""
        return str(self.client.me()["name"])

    # --- reading -------------------------------------------------------------------------------

    def load_data(self, filters: Any, *, detail: bool = True, key: str | None = None) -> Any:
        query = {**_filter_query(filters), "detail": "1" if detail else "0"}
        if key is not None:
            query["key"] = key
        return wire.data_from_json(self.client._http.json("GET", "snapshot", query=query))

    def learners(self) -> list[Learner]:
        return [Learner(p["name"], p["cohort"], datetime.fromisoformat(p["since"]), p.get("role")) for p in self.client.learners()]

    def role(self, name: str) -> str | None:
        return next((p.get("role") for p in self.client.learners() if p["name"] == name), None)

    def attempts(self, *, learner: str | None = None, quiz: str | None = None) -> list[Attempt]:
        rows = self.client._http.json("GET", "attempts", query={"learner": learner, "quiz": quiz})
        return [Attempt(**{**row, "answered_at": datetime.fromisoformat(row["answered_at"])}) for row in rows]

    def audit(self, *, learner: str | None = None, action: str | None = None) -> list[AuditEntry]:
        return [
            AuditEntry(e.get("id", 0), datetime.fromisoformat(e["at"]), e["actor"], e["action"], e["learner"], e["subject"], e["before"], e["after"])
            for e in self.client.audit(learner, action)
        ]

    # --- trainers' actions (the service records them under the hub's name) ---------------------

    def set_cohort(self, name: str, cohort: str | None, *, by: str | None = None) -> None:
        self.client.set_cohort(name, cohort)

    def set_role(self, name: str, role: str | None, *, by: str | None = None) -> None:
        self.client.set_role(name, role)

    def allow_retake(self, learner: str, quiz: str, *, trainer: str = "") -> None:
        self.client.allow_retake(learner, quiz)

    def add_review(self, attempt_key: str, *, score: float, reviewer: str = "", comment: str = "") -> None:
        self.client.review(attempt_key, score, comment)

    def waive(self, learner: str, quiz: str, *, by: str = "", reason: str = "") -> None:
        self.client.waive(learner, quiz, reason)

    def close(self) -> None:
        self.client._http.close()

    def __enter__(self) -> ServiceStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def course_from_service(client: TrainerClient) -> Course:
    """The full banks, as the course service has them (loaded with the course's own loader)."""
    banks = client._http.json("GET", "course")["banks"]
    with tempfile.TemporaryDirectory(prefix="course-banks-") as name:  # read, then gone: no copy of the keys stays on disk
        folder = Path(name)
        for file, text in banks.items():
            (folder / Path(file).name).write_text(text, encoding="utf-8")
        return load_course(folder)
