"""An answer's round trip on JupyterHub: kernel → course service → database → feedback, and the service's throughput.

Starts a real JupyterHub (with configurable-http-proxy from npm) running the course service as a
managed service, on a scratch SQLite database (or PostgreSQL with ``--postgres``), makes a hub
user and a token as a server's, then answers with :class:`course.client.ServiceClient` — the
kernel's own client — first one at a time (latency: median and p95), then from many threads at
once for a few seconds (throughput, answers per second on this machine's cores).

    .venv/bin/python benchmarks/service_latency.py [-n 500] [--clients 16] [--seconds 5] [--postgres] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Figure, emit  # noqa: E402

TARGET_MEDIAN_MS = 15.0
ACCESS = "access:services!service=course"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    """JupyterHub with the course service, in a scratch folder (no learners' servers: clients are this process)."""

    def __init__(self, db_url: str | None) -> None:
        from hub.deployment import ensure_chp  # tests/hub: configurable-http-proxy from npm, cached

        self.folder = Path(tempfile.mkdtemp(prefix="course-bench-hub-"))
        self.ports = {name: free_port() for name in ("proxy", "api", "hub", "service")}
        self.token = uuid.uuid4().hex
        self.db_url = db_url or f"sqlite:///{self.folder / 'results.sqlite'}"
        config = {
            "JupyterHub.ip": "127.0.0.1", "JupyterHub.port": self.ports["proxy"], "JupyterHub.hub_ip": "127.0.0.1",
            "JupyterHub.hub_port": self.ports["hub"], "JupyterHub.db_url": f"sqlite:///{self.folder / 'hub.sqlite'}",
            "JupyterHub.cookie_secret_file": str(self.folder / "cookie_secret"),
            "ConfigurableHTTPProxy.api_url": f"http://127.0.0.1:{self.ports['api']}",
            "ConfigurableHTTPProxy.command": [str(ensure_chp())],
            "JupyterHub.authenticator_class": "shared-password", "SharedPasswordAuthenticator.user_password": uuid.uuid4().hex,
            "JupyterHub.services": [
                {"name": "course", "url": f"http://127.0.0.1:{self.ports['service']}", "command": [sys.executable, "-m", "course", "serve"],
                 "environment": {"COURSE_DB_URL": self.db_url, "COURSE_QUIZZES_DIR": str(ROOT / "quizzes"), "COURSE_DATA_DIR": str(self.folder / "service"), "PATH": os.environ.get("PATH", "")}},
                {"name": "bench", "api_token": self.token},
            ],
            "JupyterHub.load_roles": [
                {"name": "user", "scopes": ["self", ACCESS]},
                {"name": "course-service", "scopes": ["read:users:groups", "read:groups!group=course-trainers"], "services": ["course"]},
                {"name": "bench", "scopes": ["admin:users", "tokens"], "services": ["bench"]},
            ],
        }  # fmt: skip
        (self.folder / "jupyterhub_config.py").write_text("c = get_config()\n" + "".join(f"c.{k} = {v!r}\n" for k, v in config.items()))
        self.log = open(self.folder / "hub.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(self.folder / "jupyterhub_config.py")], cwd=self.folder, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.ports['proxy']}"
        self.service_url = f"http://127.0.0.1:{self.ports['service']}/services/course/"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"JupyterHub exited:\n{(self.folder / 'hub.log').read_text()[-3000:]}")
            try:
                if requests.get(self.service_url + "api/health", timeout=1).ok and requests.get(self.url + "/hub/api/", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit("JupyterHub or the course service did not answer within 90 s")

    def user_token(self, name: str) -> str:
        headers = {"Authorization": f"token {self.token}"}
        requests.post(f"{self.url}/hub/api/users/{name}", headers=headers, timeout=10)
        reply = requests.post(f"{self.url}/hub/api/users/{name}/tokens", headers=headers, json={"scopes": [ACCESS], "note": "benchmark"}, timeout=10)
        reply.raise_for_status()
        return reply.json()["token"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="answers one at a time (latency)")
    parser.add_argument("--clients", type=int, default=16, help="clients answering at once (throughput)")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long the clients answer at once")
    parser.add_argument("--postgres", action="store_true", help="on a scratch PostgreSQL server instead of SQLite")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()

    from course.client import ServiceClient

    pg = None
    if options.postgres:
        import pgserver

        pg = pgserver.start_server()
    hub = Hub(pg.url if pg else None)
    store = "PostgreSQL" if pg else "SQLite"
    try:
        token = hub.user_token("bench-learner")
        client = ServiceClient(hub.service_url, token, outbox_path=hub.folder / "outbox.jsonl")
        for _ in range(30):  # warm up: the hub's answer about the token is cached, connections opened
            client.answer("welcome", "welcome-practice-retry", True)
        latencies = []
        for n in range(options.n):
            started = time.perf_counter()
            answered = client.answer("welcome", "welcome-practice-retry", n % 2 == 0)
            latencies.append((time.perf_counter() - started) * 1000)
            assert answered.grade is not None and not answered.queued
        latencies.sort()

        count = [0]
        lock = threading.Lock()
        stop_at = time.perf_counter() + options.seconds
        tokens = [hub.user_token(f"bench-{k}") for k in range(options.clients)]

        def answer_until_stopped(k: int) -> None:
            mine = ServiceClient(hub.service_url, tokens[k], outbox_path=hub.folder / f"outbox-{k}.jsonl")
            done = 0
            while time.perf_counter() < stop_at:
                assert mine.answer("welcome", "welcome-practice-retry", True).grade is not None
                done += 1
            with lock:
                count[0] += done

        threads = [threading.Thread(target=answer_until_stopped, args=(k,)) for k in range(options.clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        per_second = count[0] / (time.perf_counter() - started)
    finally:
        hub.stop()
        if pg:
            pg.remove()
    median, p95 = statistics.median(latencies), latencies[max(0, round(0.95 * len(latencies)) - 1)]
    figures = [
        Figure(f"service round trip, median ({store})", median, "ms", TARGET_MEDIAN_MS),
        Figure(f"service round trip, p95 ({store})", p95, "ms"),
        Figure(f"service throughput, {options.clients} clients ({store})", per_second, "answers/s"),
    ]
    emit(figures, f"Course service on JupyterHub: {options.n} answers one at a time, then {options.clients} clients for {options.seconds:g} s")
    if not options.json:
        print(json.dumps({"n": options.n, "cpus": os.cpu_count()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
