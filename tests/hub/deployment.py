"""A real one-server JupyterHub deployment for the tests, in a temporary folder.

:func:`build_deployment` prepares what does not depend on the course service (done once per test
session): the layout, the OS users, the learner environment, the hidden checkout, PostgreSQL with
passwords and the proxy. :class:`HubProcess` writes a hub configuration for a
:class:`HubSettings` and runs the hub (as root) on it.

Layout (``/tmp/kc-hub-XXXXXX``, mode 0755)::

    service/    0700 root: the hub's config, sqlite db, cookie secret and proxy pid file;
                quizzes/ (the banks with keys); var/ (the service's data folder); service.env
    notebooks/  0755: a copy of the lesson notebooks (no banks)
    env/        0755: the learner Python environment (see learner_env.py)
    logs/       0711: hub.log, proxy.log, service.log (root, 0600); users/<name>.log (the user's, 0600)
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import npm_cache
import pgserver

from . import learner_env, system
from course import learner_view

from .client import HubClient

ROOT = Path(__file__).resolve().parents[2]
CHP_VERSION = "5.3.0"
LEARNERS = ("kc-ann", "kc-bob")
TRAINER = "kc-tess"
SERVICE_NAME = "course"
SERVICE_DB = "course"
SERVICE_ROLE = "course_service"
# What the course service needs of the hub to tell whether a user is in the trainer group, and
# why (JupyterHub 6.1.1, apihandlers/base.py, user_model and group_model), either of:
# - read:users:groups: GET /hub/api/users/<name> then carries "groups"
#   ('read:users:groups': {'kind', 'name', 'groups'});
# - read:groups!group=<group>: GET /hub/api/groups/<group> then carries "users"
#   ('read:groups': {'kind', 'name', 'properties', 'users'}), for that one group only
#   (course/service/state.py asks this way). read:groups:name alone gives the name, not the users.


def service_scopes(trainer_group: str) -> tuple[str, ...]:
    return ("read:users:groups", f"read:groups!group={trainer_group}")

# A server's token (JUPYTERHUB_API_TOKEN) gets Spawner.server_token_scopes (default: the 'server'
# role: users:activity!user, access:servers!server), *intersected with the scopes the user holds*
# (user.py, User.spawn: _resolve_requested_scopes(requested_scopes, have_scopes, ...)). HubAuth in
# the service accepts a token only if it carries access:services!service=<name> (services/auth.py,
# HubAuth.access_scopes from JUPYTERHUB_OAUTH_ACCESS_SCOPES, set by the hub for a managed service:
# services/service.py, _ServiceSpawner.oauth_access_scopes). The default 'user' role is only
# 'self', which does not include it (roles.py, get_default_roles; scopes.py, _expand_self_scope).
ACCESS_SCOPE = f"access:services!service={SERVICE_NAME}"
SERVER_TOKEN_SCOPES = ("users:activity!user", "access:servers!server", ACCESS_SCOPE)
USER_ROLE_SCOPES = ("self", ACCESS_SCOPE)
# The harness's own API client (a service with a token, no process): users, servers, tokens.
HARNESS_SCOPES = ("admin:users", "admin:servers", "tokens", "admin:groups", "read:services", "read:hub", "read:roles")


class DeploymentError(RuntimeError):
    """The deployment could not be set up; the message says why."""


class Unavailable(DeploymentError):
    """Something the harness needs cannot be had here (skip outside CI)."""


# --- the settings of one hub ----------------------------------------------------------------


@dataclass(frozen=True)
class HubSettings:
    """What a test module may choose; the rest of the deployment is shared by the session.

    ``service_command`` and ``service_environment`` may be callables taking the
    :class:`Deployment` (for its paths and database URL). ``service_environment`` is merged over
    :meth:`Deployment.service_environment` (``None`` values remove a variable).
    """

    service_command: Sequence[str] | Callable[[Deployment], Sequence[str]] = (sys.executable, "-m", "course", "serve")
    service_environment: Mapping[str, str | None] | Callable[[Deployment], Mapping[str, str | None]] | None = None
    trainer_group: str = "course-trainers"
    default_url: str = "/voila/render/home.ipynb"
    service_scopes: tuple[str, ...] | None = None  # None: service_scopes(trainer_group)
    learner_environment: Mapping[str, str] | None = None  # more variables for servers and kernels
    # The learner's view as `make lab` serves it (one definition: course.learner_view).
    server_args: tuple[str, ...] = tuple(learner_view.server_args(default_url=False))


# --- the session's deployment (everything but the hub) --------------------------------------


@dataclass
class Deployment:
    root: Path
    session: str  # the marker value in every process's environment
    service_dir: Path
    notebooks: Path
    logs: Path
    env: learner_env.LearnerEnv
    chp: Path
    pg: pgserver.PostgresServer
    user_password: str
    service_db_password: str
    harness_token: str
    learners: tuple[str, ...] = LEARNERS
    trainer: str = TRAINER
    checkout: Path = ROOT
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def users(self) -> tuple[str, ...]:
        return (*self.learners, self.trainer)

    @property
    def quizzes(self) -> Path:
        return self.service_dir / "quizzes"

    @property
    def service_data(self) -> Path:
        return self.service_dir / "var"

    @property
    def service_db_url(self) -> str:
        """The course database as the course_service role (password included): the service's only."""
        return self.pg.database_url(SERVICE_DB, user=SERVICE_ROLE, password=self.service_db_password)

    @property
    def pg_admin_url(self) -> str:
        return self.pg.url

    def user_log(self, user: str) -> Path:
        return self.logs / "users" / f"{user}.log"

    def service_environment(self, settings: HubSettings) -> dict[str, str]:
        """The course service's environment before the settings' own (the DB password goes here only)."""
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "COURSE_DB_URL": self.service_db_url,
            "COURSE_QUIZZES_DIR": str(self.quizzes),
            "COURSE_NOTEBOOKS_DIR": str(self.notebooks),
            "COURSE_DATA_DIR": str(self.service_data),
            "COURSE_TRAINER_GROUP": settings.trainer_group,
            system.MARKER: self.session,
        }


def build_deployment(stack: contextlib.ExitStack, ledger: system.Ledger) -> Deployment:
    """Set up everything but the hub; ``stack`` undoes it (also when this fails half-way)."""
    timings: dict[str, float] = {}

    mark = time.monotonic()
    chp = ensure_chp()
    timings["proxy (npm, cached)"] = time.monotonic() - mark

    mark = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="kc-hub-"))
    ledger.add("paths", str(root))
    stack.callback(ledger.discard, "paths", str(root))
    stack.callback(shutil.rmtree, root, ignore_errors=True)
    os.chmod(root, 0o755)
    service_dir = root / "service"
    service_dir.mkdir(mode=0o700)
    os.chmod(service_dir, 0o700)
    shutil.copytree(ROOT / "quizzes", service_dir / "quizzes")
    (service_dir / "var").mkdir()
    notebooks = root / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    _world_readable(notebooks)
    logs = root / "logs"
    (logs / "users").mkdir(parents=True)
    os.chmod(logs, 0o711)
    os.chmod(logs / "users", 0o711)
    timings["layout"] = time.monotonic() - mark

    mark = time.monotonic()
    env = learner_env.build(root / "env", ROOT / ".venv", ROOT / "course", ROOT / "share")
    timings["learner env"] = time.monotonic() - mark

    mark = time.monotonic()
    for name in (*LEARNERS, TRAINER):
        ledger.add("users", name)
        stack.callback(ledger.discard, "users", name)
        stack.callback(system.remove_user, name)
        entry = system.create_user(name)
        log = logs / "users" / f"{name}.log"
        log.touch(mode=0o600)
        os.chown(log, entry.pw_uid, entry.pw_gid)
    timings["users"] = time.monotonic() - mark

    mark = time.monotonic()
    hide_checkout(stack, ledger, ROOT)
    timings["hide checkout"] = time.monotonic() - mark

    mark = time.monotonic()
    pg, service_db_password = start_postgres(stack, ledger)
    timings["postgres"] = time.monotonic() - mark

    deployment = Deployment(
        root=root, session=ledger.data["session"], service_dir=service_dir, notebooks=notebooks, logs=logs, env=env, chp=chp, pg=pg,
        user_password=secrets.token_urlsafe(12), service_db_password=service_db_password, harness_token=secrets.token_hex(32), timings=timings,
    )  # fmt: skip
    check_learner_can_run(deployment)
    return deployment


def _world_readable(folder: Path) -> None:
    os.chmod(folder, 0o755)
    for path in folder.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def hide_checkout(stack: contextlib.ExitStack, ledger: system.Ledger, checkout: Path) -> None:
    """chmod 0700 the checkout (quizzes/, .git/, var/ hold the keys); restored by ``stack``."""
    mode = checkout.stat().st_mode & 0o7777
    ledger.set_mode(checkout, mode)

    def restore() -> None:
        os.chmod(checkout, mode)
        ledger.set_mode(checkout, None)

    stack.callback(restore)
    os.chmod(checkout, 0o700)


def start_postgres(stack: contextlib.ExitStack, ledger: system.Ledger) -> tuple[pgserver.PostgresServer, str]:
    """PostgreSQL with passwords; the database ``course`` owned by the role ``course_service``."""
    import psycopg
    from psycopg import sql

    try:
        bindir = pgserver.ensure_bindir()
    except pgserver.PostgresUnavailable as error:
        raise Unavailable(f"PostgreSQL not available: {error}") from error
    server = pgserver.PostgresServer(bindir, password=secrets.token_urlsafe(16))
    ledger.add("paths", str(server.base))
    ledger.add("pg_data", str(server.data))

    def remove() -> None:
        server.remove()
        ledger.discard("pg_data", str(server.data))
        ledger.discard("paths", str(server.base))

    stack.callback(remove)
    server.init()
    server.start()
    service_password = secrets.token_urlsafe(16)
    with psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", password=server.password, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(SERVICE_ROLE), sql.Literal(service_password)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(SERVICE_DB), sql.Identifier(SERVICE_ROLE)))
    return server, service_password


def ensure_chp() -> Path:
    """configurable-http-proxy from npm, installed once into ~/.cache/ketamine-course-tests."""
    try:
        folder = npm_cache.installed("configurable-http-proxy", CHP_VERSION)
    except npm_cache.NpmUnavailable as error:
        raise Unavailable(str(error)) from error
    return folder / "node_modules" / ".bin" / "configurable-http-proxy"


def check_learner_can_run(deployment: Deployment) -> None:
    """The learner environment runs as a learner, with the checkout hidden (fail early and clearly)."""
    user = deployment.learners[0]
    code = "import course, jupyterhub.singleuser, ipykernel, voila, ipywidgets; print(course.__file__)"
    env = {"PATH": "/usr/bin:/bin", "HOME": f"/home/{user}", **deployment.env.environment}
    result = subprocess.run(
        [shutil.which("runuser") or "/usr/sbin/runuser", "-u", user, "--", str(deployment.env.python), "-c", code],
        capture_output=True, text=True, timeout=120, env=env, cwd="/",
    )  # fmt: skip
    if result.returncode != 0:
        raise DeploymentError(f"the learner environment does not run as {user}: {result.stderr.strip()[-2000:]}")


# --- the hub ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wrapped(command: Sequence[str], log: Path, pid_file: Path | None = None, name: str = "wrapped") -> list[str]:
    """``command`` with its output appended to ``log`` (and its pid written to ``pid_file``).

    ``sh -c 'exec ...'`` replaces itself with the command: same pid, signals reach it directly.
    """
    script = ""
    if pid_file is not None:
        script += f"echo $$ > {shlex.quote(str(pid_file))}; "
    script += f'exec "$@" >> {shlex.quote(str(log))} 2>&1'
    return ["/bin/sh", "-c", script, name, *command]


def _default_interrupt() -> None:
    """In the hub's process before exec: SIGINT handled again, if pytest was started ignoring it.

    A shell starts background jobs with SIGINT ignored, and an ignored signal stays ignored
    across exec, down to the managed service. The hub stops a service with SIGINT first and
    waits 30 s (LocalProcessSpawner.interrupt_timeout; not configurable for services) before
    SIGTERM: a service that ignores SIGINT makes every hub stop take 30 s longer.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class HubProcess(HubClient):
    """JupyterHub (as root) on the deployment, for one :class:`HubSettings`."""

    def __init__(self, deployment: Deployment, settings: HubSettings) -> None:
        self.deployment = deployment
        self.settings = settings
        self.process: subprocess.Popen | None = None
        self.timings: dict[str, float] = {}
        self.proxy_port = self.api_port = self.hub_port = self.service_port = 0
        self.log = deployment.logs / "hub.log"
        self.proxy_log = deployment.logs / "proxy.log"
        self.service_log = deployment.logs / "service.log"
        self.service_pid_file = deployment.service_dir / "service.pid"
        super().__init__()

    # -- what tests and clients use --

    @property
    def url(self) -> str:
        """The proxy's public URL (what a browser opens)."""
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def service_url(self) -> str:
        """The course service as kernels reach it (COURSE_SERVICE_URL): direct, with its prefix."""
        return f"http://127.0.0.1:{self.service_port}/services/{SERVICE_NAME}/"

    @property
    def service_proxy_url(self) -> str:
        """The course service through the proxy (what a browser uses)."""
        return f"{self.url}/services/{SERVICE_NAME}/"

    @property
    def logs(self) -> list[Path]:
        return [self.log, self.proxy_log, self.service_log, *(self.deployment.user_log(u) for u in self.deployment.users)]

    # -- configuration --

    def service_command(self) -> list[str]:
        command = self.settings.service_command
        return list(command(self.deployment) if callable(command) else command)

    def service_environment(self) -> dict[str, str]:
        environment: dict[str, str | None] = dict(self.deployment.service_environment(self.settings))
        extra = self.settings.service_environment
        if callable(extra):
            extra = extra(self.deployment)
        environment.update(extra or {})
        return {k: v for k, v in environment.items() if v is not None}

    def learner_environment(self) -> dict[str, str]:
        d = self.deployment
        environment = {
            "PATH": f"{d.env.bin}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "COURSE_SERVICE_URL": self.service_url,
            system.MARKER: d.session,
            **d.env.environment,
        }
        environment.update(self.settings.learner_environment or {})
        return environment

    def config(self) -> str:
        d, s = self.deployment, self.settings
        service_dir = d.service_dir
        service_environment = self.service_environment()
        (service_dir / "service.env").write_text("".join(f"{k}={shlex.quote(v)}\n" for k, v in sorted(service_environment.items())))
        os.chmod(service_dir / "service.env", 0o600)
        # The learner env's python as "$0" (its scripts' shebangs would point into the checkout);
        # the output appended to logs/users/$JUPYTERHUB_USER.log (the hub puts the name in the env).
        users_logs = shlex.quote(str(d.logs / "users"))
        singleuser = ["/bin/sh", "-c", f'exec "$0" -m jupyterhub.singleuser "$@" >> {users_logs}/"$JUPYTERHUB_USER".log 2>&1', str(d.env.python)]
        values: dict[str, Any] = {
            "JupyterHub.ip": "127.0.0.1",
            "JupyterHub.port": self.proxy_port,
            "JupyterHub.hub_ip": "127.0.0.1",
            "JupyterHub.hub_port": self.hub_port,
            "JupyterHub.db_url": f"sqlite:///{service_dir / 'jupyterhub.sqlite'}",
            "JupyterHub.cookie_secret_file": str(service_dir / "jupyterhub_cookie_secret"),
            "JupyterHub.pid_file": str(service_dir / "jupyterhub.pid"),
            "JupyterHub.cleanup_servers": True,
            "JupyterHub.cleanup_proxy": True,
            "ConfigurableHTTPProxy.api_url": f"http://127.0.0.1:{self.api_port}",
            "ConfigurableHTTPProxy.command": _wrapped([str(d.chp)], self.proxy_log, name="configurable-http-proxy"),
            "ConfigurableHTTPProxy.pid_file": str(service_dir / "proxy.pid"),
            # SharedPasswordAuthenticator, not DummyAuthenticator: DummyAuthenticator.password is
            # deprecated since JupyterHub 5.3 in its favour (the same: one password, allowed users).
            "JupyterHub.authenticator_class": "shared-password",
            "SharedPasswordAuthenticator.user_password": d.user_password,
            "Authenticator.allowed_users": set(d.users),
            "JupyterHub.spawner_class": "localprocess",  # each user's server runs as that OS user
            "Spawner.cmd": singleuser,
            "Spawner.args": list(s.server_args),
            "Spawner.notebook_dir": str(d.notebooks),
            "Spawner.default_url": s.default_url,
            "Spawner.environment": self.learner_environment(),
            "Spawner.server_token_scopes": list(SERVER_TOKEN_SCOPES),
            "Spawner.start_timeout": 90,
            "Spawner.http_timeout": 90,
            "JupyterHub.services": [
                {
                    "name": SERVICE_NAME,
                    "url": f"http://127.0.0.1:{self.service_port}",
                    "command": _wrapped(self.service_command(), self.service_log, self.service_pid_file, name="course-service"),
                    "environment": service_environment,
                    "cwd": str(service_dir),
                    "oauth_no_confirm": True,
                },
                {"name": "harness", "api_token": d.harness_token},
            ],
            "JupyterHub.load_roles": [
                {"name": "user", "scopes": list(USER_ROLE_SCOPES)},
                {"name": "course-service", "scopes": list(s.service_scopes if s.service_scopes is not None else service_scopes(s.trainer_group)), "services": [SERVICE_NAME]},
                {"name": "harness", "scopes": list(HARNESS_SCOPES), "services": ["harness"]},
            ],
            "JupyterHub.load_groups": {s.trainer_group: {"users": [d.trainer]}},
        }
        lines = ["# Written by tests/hub/deployment.py for one test session.", "c = get_config()  # noqa: F821"]
        lines += [f"c.{key} = {value!r}" for key, value in values.items()]
        return "\n".join(lines) + "\n"

    # -- start and stop --

    def start(self, timeout: float = 90, attempts: int = 2) -> None:
        for attempt in range(attempts):
            try:
                self._start_once(timeout)
                return
            except DeploymentError as error:
                self.stop()
                if attempt == attempts - 1 or "already in use" not in str(error).lower():
                    raise

    def _start_once(self, timeout: float) -> None:
        d = self.deployment
        started = time.monotonic()
        self.proxy_port, self.api_port, self.hub_port, self.service_port = (free_port() for _ in range(4))
        for stale in ("jupyterhub.sqlite", "jupyterhub_cookie_secret", "service.pid", "proxy.pid", "jupyterhub.pid"):
            (d.service_dir / stale).unlink(missing_ok=True)
        config = d.service_dir / "jupyterhub_config.py"
        config.write_text(self.config())
        os.chmod(config, 0o600)
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "COURSE_", "JUPYTER_", "CONFIGPROXY_")) and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
        environment[system.MARKER] = d.session
        environment["PYTHONUNBUFFERED"] = "1"
        with open(self.log, "ab") as log:
            os.chmod(self.log, 0o600)
            log.write(f"\n===== hub starting at {time.strftime('%H:%M:%S')} =====\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                cwd=d.service_dir, env=environment, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_default_interrupt,
            )  # fmt: skip
        offset = self.log.stat().st_size
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise DeploymentError(f"JupyterHub exited with {self.process.returncode}:\n{self.log_tail(25)}\n--- service log:\n{self.service_log_tail()}")
            if b"JupyterHub is now running" in self.log.read_bytes()[offset - 200 :]:
                break
            if time.monotonic() > deadline:
                raise DeploymentError(f"JupyterHub did not start within {timeout:g} s:\n{self.log_tail(25)}\n--- service log:\n{self.service_log_tail()}")
            time.sleep(0.1)
        self._wait_for(f"{self.url}/hub/api/", deadline)
        self.timings["hub start"] = time.monotonic() - started

    def _wait_for(self, url: str, deadline: float) -> None:
        last: object = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError) as error:
                last = error
            time.sleep(0.1)
        raise DeploymentError(f"{url} did not answer ({last}):\n{self.log_tail()}")

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM the hub (it stops the servers, the service and the proxy), then end any leftover."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None
        system.stop_marked(self.deployment.session, grace=5)

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log, lines)

    def service_log_tail(self, lines: int = 25) -> str:
        return _tail(self.service_log, lines)


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) or "(empty)"
    except OSError:
        return "(no log)"
