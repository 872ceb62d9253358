"""The course service's handlers for trainers (members of the trainer group, see
:class:`~course.service.api.TrainerApi`): learners, reports, reviews, retakes, cohorts, roles,
waivers, certificates and their records, xAPI statements, due dates, settings, revocations, and
for a dashboard away from the database the snapshot, the banks, the attempts and the audit trail.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

from course import wire
from course.service.api import Refused, TrainerApi, _code, _text


class Learners(TrainerApi):
    async def get(self) -> None:
        people = await self.call(self.service.store.learners)
        self.reply([{"name": p.name, "cohort": p.cohort, "since": p.created_at.isoformat(), "role": p.role} for p in people])


class Report(TrainerApi):
    async def get(self, name: str) -> None:
        from course import report, trainer

        filters = self.filters()
        frame = await self.call(trainer.table, name, self.service.store, self.service.course(), filters)
        if self.get_argument("format", "json") == "csv":
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.finish(report.to_csv(frame))
            return
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(frame.to_json(orient="table", date_format="iso", force_ascii=False, index=False))


class Reviews(TrainerApi):
    async def get(self) -> None:
        from course import trainer

        frame = await self.call(trainer.table, "review", self.service.store, self.service.course(), self.filters())
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(frame.to_json(orient="table", date_format="iso", force_ascii=False, index=False))

    async def post(self) -> None:
        from course import trainer

        data = self.body()
        score = data.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise Refused(400, "bad_request", "'score' must be a number.")
        done = await self.call(trainer.review, self.service.store, self.service.course(), _text(data, "key"), float(score), by=self.user, comment=_text(data, "comment", required=False))
        self.reply(done)


class Retakes(TrainerApi):
    async def post(self) -> None:
        from course import trainer

        data = self.body()
        learner, quiz = _text(data, "learner"), data.get("quiz") or "final_assessment"
        title = await self.call(trainer.allow_retake, self.service.store, self.service.course(), learner, str(quiz), by=self.user)
        self.reply({"learner": learner, "quiz": quiz, "title": title, "by": self.user})


class Cohorts(TrainerApi):
    async def post(self) -> None:
        from course import trainer

        data = self.body()
        learner, cohort = _text(data, "learner"), data.get("cohort")
        if cohort is not None and not isinstance(cohort, str):
            raise Refused(400, "bad_request", "'cohort' must be a string or null.")
        await self.call(trainer.set_cohort, self.service.store, learner, cohort, by=self.user)
        self.reply({"learner": learner, "cohort": cohort or None, "by": self.user})


class Roles(TrainerApi):
    async def post(self) -> None:
        from course import trainer

        data = self.body()
        learner, role = _text(data, "learner"), data.get("role")
        if role is not None and not isinstance(role, str):
            raise Refused(400, "bad_request", "'role' must be a string or null.")
        given = await self.call(trainer.set_role, self.service.store, learner, role, by=self.user)
        self.reply({"learner": learner, "role": given, "by": self.user})


class Waivers(TrainerApi):
    async def post(self) -> None:
        from course import trainer

        data = self.body()
        learner, quiz = _text(data, "learner"), str(data.get("quiz") or "final_assessment")
        title = await self.call(trainer.waive, self.service.store, self.service.course(), learner, quiz, by=self.user, reason=_text(data, "reason", required=False))
        self.reply({"learner": learner, "quiz": quiz, "title": title, "by": self.user})


class Certificates(TrainerApi):
    async def post(self) -> None:
        from course import trainer
        from course.certificate import NotEligible

        learner = _text(self.body(), "learner")
        try:
            pdf, issued = await self.call(trainer.certificate_pdf, self.service.store, self.service.course(), learner, by=self.user)
        except Refused:
            raise
        except NotEligible as refusal:
            raise Refused(409, "not_eligible", refusal.reason) from None
        # the code and its validity with the PDF, so that the trainer's command can say them
        self.reply({
            "code": issued.code, "valid_until": None if issued.valid_until is None else issued.valid_until.isoformat(),
            "pdf": base64.b64encode(pdf).decode("ascii"),
        })  # fmt: skip


class CertificateRecordApi(TrainerApi):
    """``GET api/certificates/<code>``: the whole record of a certificate, for a trainer (``course
    verify``): who issued or revoked it and why, which the public ``api/verify/<code>`` leaves out."""

    async def get(self, code: str) -> None:
        from course.verify import verification_to_json, verify

        answer = await self.call(verify, self.service.store, _code(code))
        self.reply(verification_to_json(answer))


class XapiStatements(TrainerApi):
    """``GET xapi?homepage=&since=&actor=``: the xAPI statements (course.xapi), made here where the reviews and the key are."""

    async def get(self) -> None:
        from course import xapi

        actor = self.get_argument("actor", "hash")
        homepage = self.get_argument("homepage", xapi.DEFAULT_HOMEPAGE)
        since = self.filters().since

        def build() -> list[dict[str, Any]]:
            return xapi.statements(self.service.store, self.service.course(), homepage=homepage, since=since, actors=xapi.actors_for(self.service.store, actor))

        self.reply(await self.call(build))


class DueDates(TrainerApi):
    """``POST due-dates`` ``{cohort, quiz, due}``: a cohort's due date (ISO date-time, or null to clear it)."""

    async def post(self) -> None:
        from course import trainer

        data = self.body()
        cohort, quiz, due = _text(data, "cohort"), _text(data, "quiz"), data.get("due")
        when = None
        if due is not None:
            try:
                when = datetime.fromisoformat(str(due))
            except ValueError:
                raise Refused(400, "bad_request", f"'due' must be an ISO date and time or null, not {due!r}.") from None
            when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        title = await self.call(trainer.set_due_date, self.service.store, self.service.course(), cohort, quiz, when, by=self.user)
        self.reply({"cohort": cohort, "quiz": quiz, "title": title, "due": None if when is None else when.isoformat(), "by": self.user})


class CourseSettings(TrainerApi):
    """``POST settings`` ``{name, value}``: a course setting (course.recert.SETTINGS)."""

    async def post(self) -> None:
        from course import trainer

        data = self.body()
        name, value = _text(data, "name"), data.get("value")
        await self.call(trainer.set_setting, self.service.store, name, value, by=self.user, course=self.service.course())
        self.reply({"name": name, "value": value, "by": self.user})


class Revocations(TrainerApi):
    async def post(self) -> None:
        from course import trainer

        data = self.body()
        code, reason = _text(data, "code"), _text(data, "reason")
        record = await self.call(trainer.revoke, self.service.store, code, reason, by=self.user)
        self.reply({"code": record.code, "learner": record.learner, "reason": record.revoked_reason, "by": self.user})


class Snapshot(TrainerApi):
    """The report's data (course.report.Data) for a trainer's dashboard, which computes its tables."""

    async def get(self) -> None:
        from course import report

        detail = self.get_argument("detail", "1") != "0"
        key = self.get_argument("key", None)
        data = await self.call(report._load, self.service.store, self.filters(), detail=detail, key=key)
        self.reply(wire.data_to_json(data))


class CourseFiles(TrainerApi):
    """The full banks, for a trainer's dashboard (trainers may see the keys; learners never)."""

    async def get(self) -> None:
        def read() -> dict[str, str]:
            from course.bank import bank_files

            return {p.name: p.read_text(encoding="utf-8") for p in bank_files([self.service.settings.quizzes])}

        self.reply({"banks": await self.call(read)})


class Attempts(TrainerApi):
    """Every stored answer (for an xAPI export made away from the database)."""

    async def get(self) -> None:
        from dataclasses import asdict

        found = await self.call(self.service.store.attempts, learner=self.get_argument("learner", None), quiz=self.get_argument("quiz", None))
        self.reply([{**asdict(a), "answered_at": a.answered_at.isoformat()} for a in found])


class Audit(TrainerApi):
    async def get(self) -> None:
        entries = await self.call(self.service.store.audit, learner=self.get_argument("learner", None), action=self.get_argument("action", None))
        self.reply([
            {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action, "learner": e.learner, "subject": e.subject, "before": e.before, "after": e.after}
            for e in entries
        ])  # fmt: skip
