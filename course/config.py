"""Where the course finds its files and its results database.

Every location can be overridden by an environment variable, so that tests,
JupyterHub deployments and CI can point the course elsewhere:

``COURSE_QUIZZES_DIR``
    The question banks (default: ``quizzes/`` in the project).
``COURSE_NOTEBOOKS_DIR``
    The lesson notebooks (default: ``notebooks/`` in the project).
``COURSE_DATA_DIR``
    The learner's local data: the SQLite results database, the outbox of
    answers waiting to be sent, the remembered learner name
    (default: ``var/`` in the project, which git ignores).
``COURSE_DB_URL``
    An SQLAlchemy URL for the results store (default: a SQLite file
    ``results.sqlite`` in the data directory). On a shared JupyterHub only
    the course service has it (see ``docs/deploy.md``).
``COURSE_SERVICE_URL``
    Where a lesson kernel on JupyterHub reaches the course service (set for
    every learner's server by the hub's configuration). When it is set, the
    kernel grades and stores nothing itself: it sends each answer to the
    service, which knows the learner from the hub.
``COURSE_VERIFY_URL``
    The public address of the certificate verification page (the course service's
    ``<prefix>verify``, e.g. ``https://hub.clinic.example/services/course/verify``). When set, a
    certificate's QR code opens that page with its code; otherwise the QR code holds the code.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _dir(variable: str, default: Path) -> Path:
    value = os.environ.get(variable, "").strip()
    return Path(value).expanduser() if value else default


def quizzes_dir() -> Path:
    """The folder that holds the question banks."""
    return _dir("COURSE_QUIZZES_DIR", PROJECT_ROOT / "quizzes")


def notebooks_dir() -> Path:
    """The folder that holds the lesson notebooks."""
    return _dir("COURSE_NOTEBOOKS_DIR", PROJECT_ROOT / "notebooks")


def data_dir() -> Path:
    """The folder for the local database, the outbox and the learner's name."""
    return _dir("COURSE_DATA_DIR", PROJECT_ROOT / "var")


def database_url() -> str:
    """The results store's SQLAlchemy URL."""
    url = os.environ.get("COURSE_DB_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{data_dir() / 'results.sqlite'}"


def outbox_path() -> Path:
    """The file where answers wait while the database cannot be reached."""
    return data_dir() / "outbox.jsonl"


def service_url() -> str | None:
    """The course service's URL when the course runs on JupyterHub with the service, else None."""
    url = os.environ.get("COURSE_SERVICE_URL", "").strip()
    return url.rstrip("/") + "/" if url else None


def verify_url() -> str | None:
    """The certificate verification page's public address, or None (see ``COURSE_VERIFY_URL``)."""
    url = os.environ.get("COURSE_VERIFY_URL", "").strip()
    return url or None
