"""Certificates and recertification: certificates, their revocations, recertification sittings, course settings, due dates.

The :class:`~course.store.ResultsStore` methods that keep issued certificates (with their
verification codes) and revoke them, count recertification sittings, and store the course
settings and cohorts' due dates that :mod:`course.recert` reads; every change is audited.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from course.records import CertificateRecord, DueDate, StoreError
from course.store.auditing import _audit
from course.store.connection import _now
from course.store.tables import certificates, due_dates, recertifications, revocations, settings


class CertificatesMixin:
    """:class:`~course.store.ResultsStore`'s methods for certificates, recertification, settings and due dates."""

    def record_certificate(self, learner: str, *, by: str, details: dict[str, Any]) -> None:
        """Write "certificate issued" to the audit trail (``details``: the sitting it certifies)."""
        with self._connection(write=True) as conn:
            _audit(conn, by, "certificate", learner=learner, subject=details.get("submission"), before=None, after=details)

    def add_certificate(self, record: CertificateRecord) -> None:
        """Keep an issued certificate (its verification code) and write "certificate" to the audit trail."""
        with self._connection(write=True) as conn:
            conn.execute(
                certificates.insert().values(
                    code=record.code, learner=record.learner, quiz=record.quiz, submission=record.submission,
                    percent=float(record.percent), course_version=record.course_version, passed_at=record.passed_at,
                    valid_until=record.valid_until, issued_at=record.issued_at, issued_by=record.issued_by,
                )
            )  # fmt: skip
            after = {
                "code": record.code, "submission": record.submission, "percent": round(record.percent, 2),
                "passed_on": record.passed_at.isoformat(), "valid_until": None if record.valid_until is None else record.valid_until.isoformat(),
                "course_version": record.course_version,
            }  # fmt: skip
            _audit(conn, record.issued_by, "certificate", learner=record.learner, subject=record.submission, before=None, after=after)

    def certificate(self, code: str) -> CertificateRecord | None:
        """The certificate with this verification code (revoked or not), or None."""
        return next(iter(self._certificates(certificates.c.code == code)), None)

    def certificates(self, learner: str | None = None) -> list[CertificateRecord]:
        """Every certificate issued (to one learner if given), oldest first."""
        return self._certificates(None if learner is None else certificates.c.learner == learner)

    def _certificates(self, where: Any) -> list[CertificateRecord]:
        c, r = certificates, revocations
        query = (
            select(c, r.c.revoked_at, r.c.revoked_by, r.c.reason)
            .select_from(c.outerjoin(r, r.c.code == c.c.code))
            .order_by(c.c.issued_at, c.c.code)
        )
        if where is not None:
            query = query.where(where)
        with self._connection() as conn:
            return [_certificate_from_row(row) for row in conn.execute(query).all()]

    def revoke_certificate(self, code: str, *, reason: str, by: str) -> CertificateRecord:
        """Revoke a certificate, keeping the reason (audited); StoreError if there is no such code or it is revoked already."""
        if not reason.strip():
            raise StoreError("A revocation needs a reason (it is kept with the certificate).")
        if not by.strip():
            raise StoreError("A revocation needs the trainer's name.")
        with self._connection(write=True) as conn:
            found = conn.execute(select(certificates.c.learner).where(certificates.c.code == code)).first()
            if found is None:
                raise StoreError(f"There is no certificate with code {code!r}.")
            earlier = conn.execute(select(revocations.c.reason).where(revocations.c.code == code)).first()
            if earlier is not None:
                raise StoreError(f"Certificate {code} was revoked already ({earlier.reason}).")
            conn.execute(revocations.insert().values(code=code, reason=reason.strip(), revoked_by=by, revoked_at=_now()))
            _audit(conn, by, "revocation", learner=found.learner, subject=code, before={"revoked": False}, after={"revoked": True, "reason": reason.strip()})
        record = self.certificate(code)
        assert record is not None
        return record

    def recertifications(self, learner: str, quiz: str) -> int:
        """How many recertification sittings of ``quiz`` the learner has had (one per pass that fell due)."""
        with self._connection() as conn:
            return _count_recertifications(conn, learner, quiz)

    # -- course settings and due dates (course.recert) ----------------------------------------

    def settings(self) -> dict[str, Any]:
        """The course settings a trainer stored, by name (see :data:`course.recert.SETTINGS`)."""
        with self._connection() as conn:
            return {row.name: json.loads(row.value) for row in conn.execute(select(settings.c.name, settings.c.value)).all()}

    def set_setting(self, name: str, value: Any, *, by: str) -> None:
        """Store a course setting (audited as ``by``)."""
        if not by.strip():
            raise StoreError("A course setting needs the trainer's name.")
        with self._connection(write=True) as conn:
            earlier = conn.execute(select(settings.c.value).where(settings.c.name == name)).first()
            before = None if earlier is None else json.loads(earlier.value)
            if earlier is not None and before == value:
                return
            statement = self._insert(settings).values(name=name, value=json.dumps(value), set_by=by, set_at=_now())
            conn.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"value": json.dumps(value), "set_by": by, "set_at": _now()}))
            _audit(conn, by, "setting", learner=None, subject=name, before={name: before}, after={name: value})

    def kept_secret(self, name: str) -> str:
        """A random secret kept under ``name`` in the settings, made at the first call (not audited:
        no trainer acts; e.g. the key that makes xAPI actors opaque, course.xapi.actors_for)."""
        import secrets

        with self._connection(write=True) as conn:
            conn.execute(
                self._insert(settings)
                .values(name=name, value=json.dumps(secrets.token_hex(32)), set_by="course", set_at=_now())
                .on_conflict_do_nothing(index_elements=["name"])
            )
            return str(json.loads(conn.execute(select(settings.c.value).where(settings.c.name == name)).scalar_one()))

    def due_dates(self, cohort: str | None = None) -> list[DueDate]:
        """The cohorts' due dates (of one cohort if given), by cohort and quiz."""
        query = select(due_dates).order_by(due_dates.c.cohort, due_dates.c.quiz)
        if cohort is not None:
            query = query.where(due_dates.c.cohort == cohort)
        with self._connection() as conn:
            return [DueDate(r.cohort, r.quiz, r.due_at, r.set_by, r.set_at) for r in conn.execute(query).all()]

    def set_due_date(self, cohort: str, quiz: str, due_at: datetime | None, *, by: str) -> None:
        """Set (None: clear) by when ``cohort`` must have done ``quiz`` (audited as ``by``)."""
        if not by.strip():
            raise StoreError("A due date needs the trainer's name.")
        if not cohort.strip():
            raise StoreError("A due date is for a cohort: give its name.")
        with self._connection(write=True) as conn:
            where = (due_dates.c.cohort == cohort) & (due_dates.c.quiz == quiz)
            earlier = conn.execute(select(due_dates.c.due_at).where(where)).first()
            before = None if earlier is None else earlier.due_at.isoformat()
            after = None if due_at is None else due_at.astimezone(timezone.utc).isoformat()
            if before == after:
                return
            conn.execute(delete(due_dates).where(where))
            if due_at is not None:
                conn.execute(due_dates.insert().values(cohort=cohort, quiz=quiz, due_at=due_at, set_by=by, set_at=_now()))
            _audit(conn, by, "due_date", learner=None, subject=f"{cohort}/{quiz}", before={"due": before}, after={"cohort": cohort, "quiz": quiz, "due": after})


def _count_recertifications(conn: Connection, learner: str, quiz: str) -> int:
    query = select(func.count()).select_from(recertifications).where(recertifications.c.learner == learner, recertifications.c.quiz == quiz)
    return int(conn.execute(query).scalar_one())


def _certificate_from_row(row: Any) -> CertificateRecord:
    return CertificateRecord(
        row.code, row.learner, row.quiz, row.submission, row.percent, row.course_version, row.passed_at, row.valid_until,
        row.issued_at, row.issued_by, row.revoked_at, row.revoked_by, row.reason,
    )  # fmt: skip
