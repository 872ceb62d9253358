"""What the hub tests change on the machine, and how every change is undone, even after a crash.

The hub tests create OS users, hide the checkout (chmod 0700) and start processes that outlive a
killed pytest (the hub, the proxy and the single-user servers run in sessions of their own).
Each change is written to a *ledger* (``~/.cache/ketamine-course-tests/hub-ledger.json``)
before it is made; teardown undoes the changes and deletes the ledger. A session that finds a
ledger left by a crashed one undoes that first (:func:`recover`). A lock file keeps two sessions
from running the harness at the same time.

Processes are only ever ended by their pid: those carrying our session marker in their
environment (``KC_HUB_SESSION=<id>``, given to the hub, and by it to the proxy, the service and
every single-user server and kernel), and those running as the OS users this harness created.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

PREFIX = "kc-"  # OS user names: kc-ann, kc-bob, kc-tess
COMMENT = "ketamine-course hub tests (removed by the tests)"  # marks users this harness created
MARKER = "KC_HUB_SESSION"
STATE_DIR = Path.home() / ".cache" / "ketamine-course-tests"
LEDGER = STATE_DIR / "hub-ledger.json"
LOCK = STATE_DIR / "hub.lock"


class SystemError_(RuntimeError):
    """A change to the machine failed; the message says which."""


# --- the lock and the ledger ------------------------------------------------------------------


@contextlib.contextmanager
def exclusive(timeout: float = 600) -> Iterator[None]:
    """Hold the harness lock (waits for another session's hub tests to finish, up to timeout)."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SystemError_(f"another test session holds {LOCK} (its hub tests are running)") from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Ledger:
    """The changes this session made, saved before each is made."""

    def __init__(self, session: str, path: Path = LEDGER) -> None:
        self.path = path
        self.data: dict = {"session": session, "pid": os.getpid(), "modes": {}, "users": [], "paths": [], "pg_data": []}
        self.save()

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1))
        os.replace(tmp, self.path)

    def add(self, key: str, value: object) -> None:
        if value not in self.data[key]:
            self.data[key].append(value)
            self.save()

    def discard(self, key: str, value: object) -> None:
        if value in self.data[key]:
            self.data[key].remove(value)
            self.save()

    def set_mode(self, path: Path, mode: int | None) -> None:
        if mode is None:
            self.data["modes"].pop(str(path), None)
        else:
            self.data["modes"][str(path)] = mode
        self.save()

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def recover(path: Path = LEDGER) -> list[str]:
    """Undo what a crashed session left behind (call while holding the lock); say what was done."""
    done: list[str] = []
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except ValueError:
            data = {}
        for target, mode in data.get("modes", {}).items():
            with contextlib.suppress(OSError):
                os.chmod(target, mode)
                done.append(f"restored mode {mode:o} of {target}")
        if data.get("session"):
            stopped = stop_marked(data["session"])
            if stopped:
                done.append(f"ended {len(stopped)} leftover processes of session {data['session']}")
        for pg_data in data.get("pg_data", []):
            if Path(pg_data).exists():
                _pg_stop(Path(pg_data))
                done.append(f"stopped PostgreSQL in {pg_data}")
        for name in data.get("users", []):
            if remove_user(name):
                done.append(f"removed user {name}")
        for leftover in data.get("paths", []):
            if Path(leftover).exists():
                shutil.rmtree(leftover, ignore_errors=True)
                done.append(f"removed {leftover}")
        path.unlink(missing_ok=True)
    # Users of ours that no ledger lists (a ledger lost with its machine state, say).
    for entry in pwd.getpwall():
        if entry.pw_name.startswith(PREFIX) and entry.pw_gecos == COMMENT:
            if remove_user(entry.pw_name):
                done.append(f"removed leftover user {entry.pw_name}")
    return done


# --- processes ------------------------------------------------------------------------------


def _processes() -> Iterator[int]:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            yield int(entry.name)


def marked_pids(session: str) -> list[int]:
    """Processes started with ``KC_HUB_SESSION=<session>`` in their environment."""
    needle = f"{MARKER}={session}".encode()
    found = []
    for pid in _processes():
        if pid == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(pid)
    return found


def uid_pids(uids: Iterable[int]) -> list[int]:
    """Processes whose real or effective uid is one of ``uids``."""
    wanted = {str(uid) for uid in uids}
    found = []
    for pid in _processes():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("Uid:"):
                if wanted & set(line.split()[1:3]):
                    found.append(pid)
                break
    return found


def end_pids(pids: Iterable[int], grace: float = 5.0) -> list[int]:
    """SIGTERM the processes, wait up to ``grace`` seconds, SIGKILL what is left; return them."""
    pids = [pid for pid in pids if pid != os.getpid()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in alive if _alive(pid)]
    for pid in alive:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return pids


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop_marked(session: str, grace: float = 5.0) -> list[int]:
    """End every process of the session (found by its marker)."""
    return end_pids(marked_pids(session), grace)


# --- OS users -------------------------------------------------------------------------------


def create_user(name: str) -> pwd.struct_passwd:
    """useradd with a home directory, a group of its own and our comment."""
    if not name.startswith(PREFIX):
        raise ValueError(f"{name!r}: test users must start with {PREFIX!r}")
    _run(["useradd", "--create-home", "--user-group", "--shell", "/bin/bash", "--comment", COMMENT, name])
    return pwd.getpwnam(name)


def remove_user(name: str) -> bool:
    """End the user's processes, userdel -r; False if there was no such user of ours."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return False
    if entry.pw_gecos != COMMENT:
        raise SystemError_(f"user {name} exists but was not created by the hub tests (comment {entry.pw_gecos!r})")
    end_pids(uid_pids([entry.pw_uid]), grace=3)
    for _ in range(3):
        result = subprocess.run(["userdel", "--remove", name], capture_output=True, text=True)
        # 12: the home could not be removed (still removed as far as possible); 6: gone meanwhile
        if result.returncode in (0, 6, 12):
            break
        end_pids(uid_pids([entry.pw_uid]), grace=3)  # 8: a process came back (a kernel restarting)
        time.sleep(0.2)
    else:
        raise SystemError_(f"userdel {name} failed: {result.stderr.strip()}")
    if Path(entry.pw_dir).exists() and entry.pw_dir.startswith("/home/" + PREFIX):
        shutil.rmtree(entry.pw_dir, ignore_errors=True)
    return True


# --- PostgreSQL leftovers -------------------------------------------------------------------


def _pg_stop(data: Path) -> None:
    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not bindirs:
        return
    command = [str(bindirs[-1]), "-D", str(data), "-m", "immediate", "-w", "stop"]
    with contextlib.suppress(KeyError):
        pwd.getpwnam("postgres")
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, capture_output=True, timeout=60, cwd="/")


def _run(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SystemError_(f"{command[0]} failed: {error}") from error
    if result.returncode != 0:
        raise SystemError_(f"{' '.join(command)} exited with {result.returncode}: {result.stderr.strip()}")
    return result.stdout
