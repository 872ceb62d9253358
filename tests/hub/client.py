"""Talking to the test deployment as its users do: log in, start servers, tokens, run code in kernels.

Mixed into :class:`deployment.HubProcess`; everything goes through the proxy (``self.url``), as a
browser's requests would, except where a kernel talks to the service (its own URL).

- :meth:`HubClient.login`: a ``requests.Session`` logged in through the login form (``_xsrf``).
- :meth:`HubClient.token_for`: an API token of a user, made by the harness's admin service token.
- :meth:`HubClient.start_server` / :meth:`HubClient.start_servers`: users' servers started (or
  found running) and ready.
- :meth:`HubClient.kernel` / :meth:`HubClient.run_in_kernel`: a kernel in the user's server
  (REST API with the user's token), code run over its websocket (``/api/kernels/<id>/channels``).
- :meth:`HubClient.kill_service` / :meth:`HubClient.wait_for_service_restart`: SIGKILL the managed
  service; JupyterHub starts it again when it next polls it (every 30 s, not configurable).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests


class HubClientError(RuntimeError):
    """The hub or a server did not do what was asked; the message says what it answered."""


@dataclass
class ExecResult:
    """What a cell printed and returned in a kernel."""

    stdout: str = ""
    stderr: str = ""
    result: str | None = None  # text/plain of the execute_result, if any
    error: dict[str, Any] | None = None  # ename, evalue, traceback
    status: str = ""  # the execute_reply's status: ok, error, aborted
    outputs: list[dict[str, Any]] = field(default_factory=list)  # every iopub message's content

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.error is None

    def __str__(self) -> str:
        parts = [f"status={self.status}"]
        if self.stdout:
            parts.append(f"stdout={self.stdout!r}")
        if self.stderr:
            parts.append(f"stderr={self.stderr!r}")
        if self.result is not None:
            parts.append(f"result={self.result!r}")
        if self.error:
            parts.append(f"error={self.error.get('ename')}: {self.error.get('evalue')}")
        return "ExecResult(" + ", ".join(parts) + ")"


class HubClient:
    """Client helpers; the class using it provides ``url``, ``deployment``, ``service_url``,
    ``service_pid_file`` and ``log_tail()``."""

    url: str
    service_url: str
    service_pid_file: Path
    deployment: Any

    def __init__(self, *_: object) -> None:
        self._tokens: dict[str, str] = {}

    # -- the hub's REST API --------------------------------------------------------------------

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        """A request to ``/hub/api<path>`` with ``token`` (default: the harness's admin token)."""
        headers = {"Authorization": f"token {token or self.deployment.harness_token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=kwargs.pop("timeout", 30), **kwargs)

    def user_model(self, user: str) -> dict[str, Any]:
        response = self.api("GET", f"/users/{quote(user)}")
        _check(response, f"GET user {user}")
        return response.json()

    def token_for(self, user: str, scopes: list[str] | None = None, note: str = "hub tests", expires_in: int = 3600) -> str:
        """A new API token of ``user`` (all the user's scopes, or only ``scopes``)."""
        body: dict[str, Any] = {"note": note, "expires_in": expires_in}
        if scopes is not None:
            body["scopes"] = scopes
        response = self.api("POST", f"/users/{quote(user)}/tokens", json=body)
        _check(response, f"token for {user}")
        return response.json()["token"]

    def user_token(self, user: str) -> str:
        """One token of ``user`` per hub, made on first use (for their server's REST API)."""
        if user not in self._tokens:
            self._tokens[user] = self.token_for(user, note="hub tests: server API")
        return self._tokens[user]

    # -- logging in ----------------------------------------------------------------------------

    def login(self, user: str, password: str | None = None) -> requests.Session:
        """A session logged in as ``user`` through the login form (GET, then POST with ``_xsrf``)."""
        session = requests.Session()
        page = session.get(f"{self.url}/hub/login", timeout=30)
        _check(page, "GET /hub/login")
        found = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        xsrf = found.group(1) if found else session.cookies.get("_xsrf", "")
        response = session.post(
            f"{self.url}/hub/login",
            data={"username": user, "password": password or self.deployment.user_password, "_xsrf": xsrf},
            allow_redirects=False, timeout=30,
        )  # fmt: skip
        if response.status_code != 302:
            raise HubClientError(f"login as {user} answered {response.status_code}: {response.text[:500]}")
        return session

    # -- servers -------------------------------------------------------------------------------

    def server_url(self, user: str) -> str:
        return f"{self.url}/user/{quote(user)}/"

    def start_server(self, user: str, timeout: float = 90) -> str:
        """Start ``user``'s server (or find it running) and wait until it is ready; its URL."""
        self.start_servers([user], timeout)
        return self.server_url(user)

    def start_servers(self, users: list[str] | tuple[str, ...], timeout: float = 90) -> float:
        """Start the users' servers at once (those not running) and wait until all are ready.

        Returns the seconds it took (0 when all were running already).
        """
        started = time.monotonic()
        waiting, to_start = [], []
        for user in users:
            model = self.user_model(user).get("servers", {}).get("")
            if model and model.get("ready"):
                continue
            waiting.append(user)
            if not (model and model.get("pending")):
                to_start.append(user)
        # The hub answers a POST only when the server is up (or after slow_spawn_timeout, 10 s):
        # one thread per user, so that the servers start at the same time.
        with ThreadPoolExecutor(max(1, len(to_start))) as pool:
            for user, response in zip(to_start, pool.map(lambda u: self.api("POST", f"/users/{quote(u)}/server", timeout=timeout), to_start)):
                if response.status_code not in (201, 202, 400):  # 400: already running or pending
                    raise HubClientError(f"starting {user}'s server answered {response.status_code}: {response.text[:500]}")
        deadline = started + timeout
        while waiting:
            for user in list(waiting):
                model = self.user_model(user).get("servers", {}).get("")
                if model and model.get("ready"):
                    waiting.remove(user)
                elif not model:
                    raise HubClientError(f"{user}'s server failed to start:\n{self.user_log_tail(user)}\n--- hub:\n{self.log_tail(30)}")
            if waiting and time.monotonic() > deadline:
                raise HubClientError(f"servers of {', '.join(waiting)} not ready within {timeout:g} s:\n{self.user_log_tail(waiting[0])}")
            if waiting:
                time.sleep(0.2)
        return time.monotonic() - started

    def user_log_tail(self, user: str, lines: int = 40) -> str:
        try:
            return "\n".join(self.deployment.user_log(user).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # -- kernels -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def kernel(self, user: str, timeout: float = 60) -> Iterator[Kernel]:
        """A new kernel in ``user``'s server (started if needed); shut down afterwards."""
        self.start_server(user)
        kernel = Kernel(self.server_url(user), self.user_token(user), user, timeout)
        try:
            yield kernel
        finally:
            kernel.close()

    def run_in_kernel(self, user: str, code: str, timeout: float = 60) -> ExecResult:
        """Run ``code`` in a fresh kernel of ``user``'s; what it printed, returned and raised."""
        with self.kernel(user, timeout) as kernel:
            return kernel.run(code, timeout)

    # -- the managed service -------------------------------------------------------------------

    def service_pid(self) -> int:
        """The pid of the running course service (written by its wrapper as it starts)."""
        return int(self.service_pid_file.read_text().strip())

    def kill_service(self) -> int:
        """SIGKILL the course service; its pid."""
        pid = self.service_pid()
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_for_service_restart(self, old_pid: int, timeout: float = 45) -> float:
        """Wait until the hub has started the service again and it answers; the seconds waited.

        JupyterHub notices that a managed service exited when it polls it: every 30 s (±5%,
        ``Spawner.poll_interval``'s default; the service's spawner is made without the hub's
        config, so it cannot be changed), then starts it again (services/service.py,
        ``Service._proc_stopped``).
        """
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError):
                pid = self.service_pid()
                if pid != old_pid and Path(f"/proc/{pid}").exists():
                    with contextlib.suppress(requests.RequestException):
                        requests.get(self.service_url, timeout=2)
                        return time.monotonic() - started
            time.sleep(0.2)
        raise HubClientError(f"the service was not restarted within {timeout:g} s:\n{self.log_tail(20)}")


class Kernel:
    """A kernel in a user's server, driven over its websocket with the user's token."""

    def __init__(self, server_url: str, token: str, user: str, timeout: float = 60) -> None:
        import websocket  # websocket-client, a dependency of jupyter_server

        self.server_url = server_url
        self.user = user
        self.headers = {"Authorization": f"token {token}"}
        response = requests.post(f"{server_url}api/kernels", json={"name": "python3"}, headers=self.headers, timeout=timeout)
        _check(response, f"starting a kernel for {user}")
        self.id = response.json()["id"]
        self.session = uuid.uuid4().hex
        ws_url = server_url.replace("http://", "ws://", 1) + f"api/kernels/{self.id}/channels?session_id={self.session}"
        self.ws = websocket.create_connection(ws_url, header=[f"{k}: {v}" for k, v in self.headers.items()], timeout=timeout)

    def run(self, code: str, timeout: float = 60) -> ExecResult:
        """Execute ``code``; collect stdout, stderr, the result and any error until the kernel is idle."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {
                "msg_id": msg_id, "msg_type": "execute_request", "username": self.user, "session": self.session,
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "version": "5.3",
            },
            "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }))  # fmt: skip
        result = ExecResult()
        idle = replied = False
        deadline = time.monotonic() + timeout
        while not (idle and replied):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise HubClientError(f"no answer from {self.user}'s kernel within {timeout:g} s; so far {result}")
            self.ws.settimeout(remaining)
            raw = self.ws.recv()
            if isinstance(raw, bytes):
                continue  # binary frames carry buffers (widgets); not needed here
            message = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["header"]["msg_type"], message.get("content", {})
            if message.get("channel") == "shell" and kind == "execute_reply":
                result.status = content.get("status", "")
                replied = True
            elif kind == "status":
                idle = content.get("execution_state") == "idle"
            elif kind == "stream":
                result.outputs.append(content)
                if content.get("name") == "stderr":
                    result.stderr += content.get("text", "")
                else:
                    result.stdout += content.get("text", "")
            elif kind == "execute_result":
                result.outputs.append(content)
                result.result = content.get("data", {}).get("text/plain")
            elif kind == "error":
                result.outputs.append(content)
                result.error = {"ename": content.get("ename"), "evalue": content.get("evalue"), "traceback": content.get("traceback", [])}
            elif kind == "display_data":
                result.outputs.append(content)
        return result

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        with contextlib.suppress(requests.RequestException):
            requests.delete(f"{self.server_url}api/kernels/{self.id}", headers=self.headers, timeout=30)


def _check(response: requests.Response, what: str) -> None:
    if response.status_code >= 400:
        raise HubClientError(f"{what}: {response.status_code} {response.text[:500]}")
