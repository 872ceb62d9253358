"""JupyterHub for a clinic on one server: many staff, the course service, PostgreSQL.

See docs/deploy.md for the steps (users, folders, database, TLS) and what each part protects.
Values that differ per clinic come from the environment of the hub (a systemd unit's
EnvironmentFile, for example), so this file is the same everywhere:

    COURSE_HUB_URL          the address staff open, e.g. https://course.clinic.example (TLS in front)
    COURSE_ROOT             the course's read-only install for learners (default /srv/course)
    COURSE_SERVICE_ROOT     the service's private folder, mode 0700, owned by COURSE_SERVICE_USER
                            (default /srv/course-service: quizzes/ with the keys, data/, service.env)
    COURSE_SERVICE_USER     the OS user the course service runs as (default: course)
    COURSE_TRAINERS         trainers' hub names, comma-separated (they join the course-trainers group)
    COURSE_ADMINS           hub administrators, comma-separated

The database password is only in $COURSE_SERVICE_ROOT/service.env (mode 0600, read by this file
as the hub starts, passed to the course service alone): never in a learner's server.
"""

import os
from pathlib import Path

from course import learner_view  # the hub runs from the course's environment

c = get_config()  # noqa: F821 - defined by JupyterHub when it loads this file

ROOT = Path(os.environ.get("COURSE_ROOT", "/srv/course"))
SERVICE_ROOT = Path(os.environ.get("COURSE_SERVICE_ROOT", "/srv/course-service"))
SERVICE_USER = os.environ.get("COURSE_SERVICE_USER", "course")
SERVICE_PORT = 10101
TRAINER_GROUP = "course-trainers"
ACCESS = "access:services!service=course"


def names(variable: str) -> set[str]:
    return {n.strip() for n in os.environ.get(variable, "").split(",") if n.strip()}


def service_env() -> dict[str, str]:
    """The course service's settings, from service.env (KEY=VALUE lines; the file holds the DB password)."""
    env = {}
    for line in (SERVICE_ROOT / "service.env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip().strip("'\"")
    return env


# --- the hub -------------------------------------------------------------------------------
c.JupyterHub.bind_url = "http://127.0.0.1:8000"  # a TLS proxy (nginx, caddy) in front serves COURSE_HUB_URL
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.db_url = "sqlite:////srv/jupyterhub/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/srv/jupyterhub/jupyterhub_cookie_secret"
if os.environ.get("COURSE_HUB_URL"):
    c.JupyterHub.public_url = os.environ["COURSE_HUB_URL"]

# Staff log in with their own accounts. PAM (the server's users) is the simplest; a clinic with
# single sign-on uses an OAuthenticator (Azure AD, Google, generic OIDC) instead: the course only
# needs the hub to know who each person is.
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allow_existing_users = True
c.Authenticator.admin_users = names("COURSE_ADMINS")

# --- the learners' servers: each runs as the member of staff's own OS user -----------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(ROOT / "venv" / "bin" / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = str(ROOT / "notebooks")  # read-only for learners: the lessons, no banks
# The learner's view exactly as `make lab` serves it (course/learner_view.py): Voila with the
# course's template, the course home, a kernel started in advance, idle kernels ended.
c.Spawner.default_url = learner_view.DEFAULT_URL
c.Spawner.args = learner_view.server_args(default_url=False)
c.Spawner.environment = {
    # where kernels send answers: the course service, through the hub's proxy. (While it cannot
    # be reached, a learner's answers wait in ~/.ketamine-course/service-outbox.jsonl.)
    "COURSE_SERVICE_URL": "http://127.0.0.1:8000/services/course/",
}
# A server's API token (JUPYTERHUB_API_TOKEN in every kernel) may reach the course service and
# nothing more than JupyterHub's default for a server; the service asks the hub whose token it is.
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server", ACCESS]

# --- the course service --------------------------------------------------------------------
c.JupyterHub.services = [
    {
        "name": "course",
        "url": f"http://127.0.0.1:{SERVICE_PORT}",
        "command": [str(ROOT / "venv" / "bin" / "course"), "serve"],
        "user": SERVICE_USER,  # the only OS user that can read SERVICE_ROOT (the keys, the password)
        "cwd": str(SERVICE_ROOT),
        "environment": {
            "COURSE_QUIZZES_DIR": str(SERVICE_ROOT / "quizzes"),
            # the lessons' metadata names which roles need which sections (issue 11): the draw and
            # the progress of each role read it there (without it, every section is for every role)
            "COURSE_NOTEBOOKS_DIR": str(ROOT / "notebooks"),
            "COURSE_DATA_DIR": str(SERVICE_ROOT / "data"),
            "COURSE_TRAINER_GROUP": TRAINER_GROUP,
            # the public verification page a certificate's QR code opens (docs/deploy.md, "Verifying a certificate")
            **({"COURSE_VERIFY_URL": os.environ["COURSE_HUB_URL"].rstrip("/") + "/services/course/verify"} if os.environ.get("COURSE_HUB_URL") else {}),
            **service_env(),  # COURSE_DB_URL (with its password), COURSE_SERVICE_SECRET
        },
        "oauth_no_confirm": True,
    }
]
c.JupyterHub.load_roles = [
    # every user may use the course service (the service decides what each may do there)
    {"name": "user", "scopes": ["self", ACCESS]},
    # the service may read who is in the trainers' group, and nothing else
    {"name": "course-service", "scopes": ["read:users:groups", f"read:groups!group={TRAINER_GROUP}"], "services": ["course"]},
]
c.JupyterHub.load_groups = {TRAINER_GROUP: {"users": sorted(names("COURSE_TRAINERS"))}}
