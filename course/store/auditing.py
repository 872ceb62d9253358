"""The audit trail: who changed what, when, before and after.

:func:`_audit` writes one entry in the caller's transaction (so an entry is kept exactly when its
change is), in the ``audit`` table the database keeps append-only; :func:`local_actor` names who
acts when no name is given; :meth:`~course.store.ResultsStore.audit` reads the trail.
"""

from __future__ import annotations

import getpass
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from course.records import AUDIT_ACTIONS, AuditEntry
from course.store.connection import _now
from course.store.tables import audit


class AuditMixin:
    """:class:`~course.store.ResultsStore`'s method that reads the audit trail."""

    def audit(self, *, learner: str | None = None, action: str | None = None) -> list[AuditEntry]:
        """The audit trail, oldest first (of one learner and/or one kind of action if given)."""
        query = select(audit).order_by(audit.c.id)
        if learner is not None:
            query = query.where(audit.c.learner == learner)
        if action is not None:
            query = query.where(audit.c.action == action)
        with self._connection() as conn:
            rows = conn.execute(query).all()
        return [
            AuditEntry(r.id, r.at, r.actor, r.action, r.learner, r.subject, _json_or_none(r.before), _json_or_none(r.after))
            for r in rows
        ]


def local_actor() -> str:
    """Who acts when a trainer's command runs without a name: this computer's user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _audit(conn: Connection, actor: str | None, action: str, *, learner: str | None, subject: str | None, before: Any, after: Any) -> None:
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    conn.execute(
        audit.insert().values(
            at=_now(), actor=(actor or "").strip() or local_actor(), action=action, learner=learner, subject=subject,
            before=None if before is None else json.dumps(before, ensure_ascii=False),
            after=None if after is None else json.dumps(after, ensure_ascii=False),
        )
    )  # fmt: skip


def _json_or_none(text_value: str | None) -> Any:
    return None if text_value is None else json.loads(text_value)
