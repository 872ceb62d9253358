"""The staff roles a course is taught to: which lessons' sections and questions each one needs.

A lesson names, in its notebook metadata, the roles that need each of its ``##`` sections (a
section it does not name is for every role); a question names its roles in its bank (default:
every role). A learner gives their role once, in the welcome lesson; a trainer may change it.
"""

from __future__ import annotations

ROLES: dict[str, str] = {
    "front_desk": "Front desk",
    "nurse": "Nurse",
    "clinician": "Clinician",
}
"""Every role, by id, with the name a learner or trainer reads."""


def check_role(role: str) -> str:
    """The role id, stripped; ValueError naming the roles if it is not one of :data:`ROLES`."""
    text = str(role).strip().lower().replace(" ", "_").replace("-", "_")
    if text not in ROLES:
        raise ValueError(f"{role!r} is not a role; the roles are: {', '.join(ROLES)}")
    return text


def role_name(role: str | None) -> str:
    """What a person reads for a role id ('Nurse'), or 'not given'."""
    return ROLES.get(role or "", "not given")
