"""Start and stop the JupyterLab and Voilà servers the browser tests talk to."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on just now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerError(RuntimeError):
    """The server exited or did not answer in time."""


class Server:
    """A server process of ours, its base URL and its log file."""

    def __init__(self, name: str, command: list[str], *, port: int, env: dict[str, str], cwd: Path, log: Path):
        self.name = name
        self.command = command
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._log_file = open(log, "wb")  # noqa: SIM115 - closed in stop()
        # Its own session, so that stop() can end the whole group it started and nothing else.
        self.process = subprocess.Popen(
            command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_until_answers(self, path: str, timeout: float) -> None:
        """Poll ``GET path`` until it answers 200; ServerError if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.name} exited with {self.process.returncode} before answering:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as response:
                    if response.status == 200:
                        return
                    last = response.status
            except (urllib.error.URLError, OSError) as error:
                last = error
            time.sleep(0.1)
        raise ServerError(f"{self.name} did not answer {self.url}{path} within {timeout:g} s (last: {last}):\n{self.log_tail()}")

    def wait_until_listening(self, timeout: float) -> None:
        """Wait until the port accepts connections (without asking for a page that does work)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.name} exited with {self.process.returncode} before listening:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise ServerError(f"{self.name} did not listen on port {self.port} within {timeout:g} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (the server shuts its kernels down), wait for the exit; SIGKILL our group if needed."""
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(10)
        finally:
            self._log_file.close()
