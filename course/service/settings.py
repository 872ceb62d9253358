"""The course service's settings: :class:`ServiceSettings`, read from the environment JupyterHub
gives a managed service (the variables are listed in :mod:`course.service`), and the service's
secret, made once and kept in its folder when the environment gives none.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from course import config

DEFAULT_TRAINER_GROUP = "course-trainers"


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the service needs to run (see :mod:`course.service` for the variables)."""

    url: str
    prefix: str
    api_url: str
    api_token: str
    db_url: str
    quizzes: Path
    data_dir: Path
    secret: bytes
    service_name: str = "course"
    trainer_group: str = DEFAULT_TRAINER_GROUP
    threads: int = 8
    bind: str | None = None
    """The address to listen on, when not the service URL's host (``0.0.0.0`` in a container)."""

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> ServiceSettings:
        """Read the settings; ValueError naming the variable that is missing or wrong."""
        env = os.environ if environ is None else environ

        def need(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ValueError(f"{name} is not set (JupyterHub sets it for a managed service; see docs/deploy.md)")
            return value

        url = need("JUPYTERHUB_SERVICE_URL")
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.port:
            raise ValueError(f"JUPYTERHUB_SERVICE_URL must be http://HOST:PORT, not {url!r}")
        prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", "/services/course/").strip() or "/"
        prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        db_url = env.get("COURSE_DB_URL", "").strip()
        if not db_url:
            raise ValueError("COURSE_DB_URL is not set: the course service needs the clinic's results database (see docs/deploy.md)")
        quizzes = Path(env.get("COURSE_QUIZZES_DIR", "").strip() or config.quizzes_dir())
        data_dir = Path(env.get("COURSE_DATA_DIR", "").strip() or config.data_dir())
        threads_text = env.get("COURSE_SERVICE_THREADS", "8").strip() or "8"
        if not threads_text.isdigit() or not 1 <= int(threads_text) <= 64:
            raise ValueError(f"COURSE_SERVICE_THREADS must be a whole number from 1 to 64, not {threads_text!r}")
        secret_text = env.get("COURSE_SERVICE_SECRET", "").strip()
        secret = secret_text.encode() if secret_text else _kept_secret(data_dir)
        return cls(
            url=url, prefix=prefix, api_url=need("JUPYTERHUB_API_URL"), api_token=need("JUPYTERHUB_API_TOKEN"),
            db_url=db_url, quizzes=quizzes, data_dir=data_dir, secret=secret,
            service_name=env.get("JUPYTERHUB_SERVICE_NAME", "course").strip() or "course",
            trainer_group=env.get("COURSE_TRAINER_GROUP", DEFAULT_TRAINER_GROUP).strip() or DEFAULT_TRAINER_GROUP,
            threads=int(threads_text), bind=env.get("COURSE_SERVICE_BIND", "").strip() or None,
        )  # fmt: skip


def _kept_secret(folder: Path) -> bytes:
    """The service's secret, made once and kept in its folder (readable by the service only)."""
    path = folder / "service-secret"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as file:
        file.write(token)
    return token
