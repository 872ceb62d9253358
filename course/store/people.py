"""Learners, their cohorts and their roles.

The :class:`~course.store.ResultsStore` methods that list and add learners and read or change a
learner's cohort or role (a change is audited).
"""

from __future__ import annotations

from sqlalchemy import select, update

from course.records import Learner, StoreError
from course.store.auditing import _audit
from course.store.connection import _now
from course.store.tables import learners


class LearnersMixin:
    """:class:`~course.store.ResultsStore`'s methods for learners, cohorts and roles."""

    def learners(self) -> list[Learner]:
        """Every learner, by name."""
        with self._connection() as conn:
            rows = conn.execute(select(learners).order_by(learners.c.name)).all()
        return [Learner(row.name, row.cohort, row.created_at, row.role) for row in rows]

    def ensure_learner(self, name: str, cohort: str | None = None) -> None:
        """Add the learner if new; a cohort, if given, replaces the learner's cohort."""
        statement = self._insert(learners).values(name=name, cohort=cohort, created_at=_now())
        if cohort is None:
            statement = statement.on_conflict_do_nothing(index_elements=["name"])
        else:
            statement = statement.on_conflict_do_update(
                index_elements=["name"], set_={"cohort": cohort}
            )
        with self._connection(write=True) as conn:
            conn.execute(statement)

    def set_cohort(self, name: str, cohort: str | None, *, by: str | None = None) -> None:
        """Put a known learner in a cohort (None: in none); audited as ``by`` (default: this OS user)."""
        with self._connection(write=True) as conn:
            before = conn.execute(select(learners.c.cohort).where(learners.c.name == name)).first()
            if before is None:
                raise StoreError(f"There is no learner named {name!r}.")
            conn.execute(update(learners).where(learners.c.name == name).values(cohort=cohort))
            _audit(conn, by, "cohort", learner=name, subject=None, before={"cohort": before.cohort}, after={"cohort": cohort})

    def cohort(self, name: str) -> str | None:
        """The learner's cohort, or None if in none or no such learner."""
        with self._connection() as conn:
            return conn.execute(select(learners.c.cohort).where(learners.c.name == name)).scalar()

    def role(self, name: str) -> str | None:
        """The learner's role (``course.roles.ROLES``), or None if not given yet or no such learner."""
        with self._connection() as conn:
            return conn.execute(select(learners.c.role).where(learners.c.name == name)).scalar()

    def set_role(self, name: str, role: str | None, *, by: str | None = None) -> None:
        """Give a known learner a role (None: none); audited as ``by`` (default: this OS user).

        The learner gives it once, in the welcome lesson; a trainer may change it later.
        """
        from course.roles import check_role

        role = None if role is None else check_role(role)
        with self._connection(write=True) as conn:
            before = conn.execute(select(learners.c.role).where(learners.c.name == name)).first()
            if before is None:
                raise StoreError(f"There is no learner named {name!r}.")
            if before.role == role:
                return
            conn.execute(update(learners).where(learners.c.name == name).values(role=role))
            _audit(conn, by, "role", learner=name, subject=None, before={"role": before.role}, after={"role": role})
