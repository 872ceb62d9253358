"""A throwaway PostgreSQL server for the tests: initdb into a temporary folder, start, stop.

Uses Debian's binaries in /usr/lib/postgresql/<version>/bin (the newest). As root, installs the
``postgresql`` package if it is missing and runs the server as the unprivileged ``postgres`` user.
The server listens on 127.0.0.1 (a free port) and on a unix socket inside the temporary folder;
it trusts local connections, so the URL needs no password.

``start_server(password=...)`` makes a server that requires a password instead: scram-sha-256
for TCP and unix-socket connections alike, the ``postgres`` superuser's password set by initdb
(from a file, so it is never on a command line), and :attr:`PostgresServer.url` carrying it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import ci


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be run here; the message says why."""


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl."""
    candidates = [
        path
        for path in Path("/usr/lib/postgresql").glob("*/bin")
        if (path / "initdb").exists() and (path / "pg_ctl").exists()
    ]
    candidates.sort(key=lambda path: _version_key(path.parent.name))
    return candidates[-1] if candidates else None


def ensure_bindir() -> Path:
    """The PostgreSQL binaries, installed with apt-get if missing and running as root."""
    bindir = find_bindir()
    if bindir is not None:
        return bindir
    if os.geteuid() != 0:
        raise PostgresUnavailable("no PostgreSQL binaries in /usr/lib/postgresql/*/bin")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
        try:
            result = subprocess.run(
                command, env=environment, capture_output=True, text=True, timeout=600
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PostgresUnavailable(f"{' '.join(command)} failed: {error}") from error
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(command)} failed: {_tail(result.stderr or result.stdout)}"
            )
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable("apt-get installed postgresql but no initdb was found")
    return bindir


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder."""

    def __init__(self, bindir: Path, password: str | None = None) -> None:
        self.bindir = bindir
        self.password = password  # None: trust authentication (no password)
        self.user = _server_user()
        self.base = Path(tempfile.mkdtemp(prefix="course-pg-"))
        self.data = self.base / "data"
        self.sockets = self.base / "sockets"
        self.log = self.base / "server.log"
        self.port = 0
        self.running = False
        self.sockets.mkdir()
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            for path in (self.base, self.sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the ``postgres`` database."""
        return self.database_url("postgres")

    def database_url(self, database: str, user: str = "postgres", password: str | None = None) -> str:
        """The URL of ``database`` as ``user`` (the superuser's password if the server has one)."""
        if password is None and user == "postgres":
            password = self.password
        credentials = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
        return f"postgresql+psycopg://{credentials}@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        """initdb: UTF-8, C locale, no fsync (a test cluster); trust, or scram-sha-256 with a password."""
        if self.password is None:
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync",
            )  # fmt: skip
            return
        pwfile = self.base / "pwfile"
        pwfile.write_text(self.password + "\n")
        os.chmod(pwfile, 0o600)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        try:
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "-A", "scram-sha-256",
                f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C", "--no-sync",
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)

    def start(self, attempts: int = 3) -> None:
        """Start on a free port (a new one if another process took it meanwhile)."""
        for attempt in range(attempts):
            if not self.port or attempt:
                self.port = free_port()
            options = (
                f"-h 127.0.0.1 -p {self.port} -k {self.sockets} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data), "-l", str(self.log),
                    "-o", options, "-w", "-t", "60", "start",
                )  # fmt: skip
            except PostgresUnavailable:
                if attempt == attempts - 1:
                    raise PostgresUnavailable(f"postgres did not start: {_tail(self._log())}")
                continue
            self.running = True
            return

    def stop(self) -> None:
        """pg_ctl stop -m fast (waits until the server is gone)."""
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            self.running = False

    def remove(self) -> None:
        """Stop the server if it runs and delete its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.bindir / program), *arguments]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=120, cwd=self.base
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PostgresUnavailable(f"{program} failed: {error}") from error
        if result.returncode != 0:
            raise PostgresUnavailable(f"{program} failed: {_tail(result.stderr or result.stdout)}")

    def _log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


def start_server(password: str | None = None) -> PostgresServer:
    """A new cluster, initialised and running; PostgresUnavailable if that cannot be done.

    With ``password``, every connection needs it (scram-sha-256); the superuser is ``postgres``.
    """
    server = PostgresServer(ensure_bindir(), password=password)
    try:
        server.init()
        server.start()
    except BaseException:
        server.remove()
        raise
    return server


def start_or_skip(password: str | None = None) -> PostgresServer:
    """A running throwaway server; else skip the test (fail it when CI=true) with the reason."""
    try:
        return start_server(password)
    except PostgresUnavailable as error:
        reason = str(error)
    ci.unavailable(
        f"PostgreSQL not available: {reason}. Install Debian's postgresql package "
        "(apt-get install postgresql) or run as root to let the tests install it.",
        f"PostgreSQL not available: {reason}",
    )


def _server_user() -> str | None:
    """The unprivileged user to run the server as when we are root (postgres refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as error:
        raise PostgresUnavailable("running as root and there is no 'postgres' user") from error
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root and 'runuser' is missing")
    return "postgres"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in name.split("."))


def _tail(output: str, lines: int = 8) -> str:
    return " | ".join(output.strip().splitlines()[-lines:]) or "(no output)"
