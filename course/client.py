"""Clients of the course service: a learner's kernel (:class:`ServiceClient`) and a trainer's tools (:class:`TrainerClient`).

:class:`ServiceClient` offers what :class:`course.session.CourseSession` offers a page (the
:class:`~course.session.Backend` methods), by asking the course service with the server's
JupyterHub API token. It holds no key and decides nothing: the hub tells the service who the
learner is. When the service cannot be reached, an answer the learner gave is kept in an outbox
on this computer (``service-outbox.jsonl`` in ``COURSE_DATA_DIR``, else ``~/.ketamine-course``)
and sent again, with the same idempotency key, before the next request: resending is harmless,
and nothing the learner typed is lost.

:class:`TrainerClient` does what ``course report``, ``review``, ``retake``, ``cohort``, ``waive``,
``certificate`` and ``audit`` do, through the service, as the trainer whose token it carries.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from course import config, outbox, wire
from course.grading import UngradableResponse
from course.progress import Home, LessonProgress
from course.records import StoreError
from course.session import Answered, AssessmentClosed, IncompleteAssessment, Practice, SittingView

TOKEN_VARIABLES = ("COURSE_SERVICE_TOKEN", "JUPYTERHUB_API_TOKEN")


class ServiceError(StoreError):
    """The course service refused or failed; the message can be shown as it is."""


class ServiceUnavailable(ServiceError):
    """The course service cannot be reached just now (send again later)."""


class _Connection:
    """JSON over one kept-alive HTTP connection to the service, with the token on every request."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        parsed = urlparse(base_url if base_url.endswith("/") else base_url + "/")
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ServiceError(f"The course service URL is not an http(s) URL: {base_url!r}.")
        self.scheme, self.host, self.port, self.base = parsed.scheme, parsed.hostname, parsed.port, parsed.path
        self.token = token
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._conn is None:
            kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            self._conn = kind(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, body: Any = None, query: Mapping[str, Any] | None = None) -> tuple[int, str, bytes]:
        """(status, content type, body); ServiceUnavailable when the service cannot be reached."""
        url = self.base + "api/" + path
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if params:
            url += "?" + urlencode(params)
        headers = {"Authorization": f"token {self.token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: once more on a new one
            try:
                conn = self._connect()
                conn.request(method, url, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
                return response.status, response.getheader("Content-Type", ""), data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                self.close()
                if attempt == 2:
                    raise ServiceUnavailable(f"The course service closed the connection ({error}).") from error
            except (OSError, http.client.HTTPException, socket.timeout) as error:
                self.close()
                raise ServiceUnavailable(f"The course service cannot be reached just now ({error}).") from error
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, body: Any = None, query: Mapping[str, Any] | None = None) -> Any:
        """The reply's JSON; the service's errors raised as the session raises them."""
        status, _kind, data = self.request(method, path, body, query)
        return _decode(status, data)


def _decode(status: int, data: bytes) -> Any:
    try:
        reply = json.loads(data or b"null")
    except ValueError:
        reply = None
    if 200 <= status < 300:
        if reply is None and data:
            raise ServiceError("The course service sent a reply that is not JSON.")
        return reply
    message = reply.get("message") if isinstance(reply, dict) else None
    message = str(message or f"The course service answered HTTP {status}.")
    error = reply.get("error") if isinstance(reply, dict) else None
    if status == 422 and error == "incomplete":
        raise IncompleteAssessment(dict(reply.get("problems") or {}))
    if status == 422:
        raise UngradableResponse(message)
    if status == 409 and error == "closed":
        raise AssessmentClosed(message)
    if status == 404:
        raise KeyError(message)
    if status in (502, 503, 504) or status >= 500 and error != "banks":
        raise ServiceUnavailable(message)
    raise ServiceError(message)


def _token() -> str:
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    raise ServiceError("There is no JupyterHub API token here (JUPYTERHUB_API_TOKEN), so the course service cannot tell who you are.")


def default_outbox() -> Path:
    folder = os.environ.get("COURSE_DATA_DIR", "").strip()
    return (Path(folder).expanduser() if folder else Path.home() / ".ketamine-course") / "service-outbox.jsonl"


class ServiceClient:
    """A learner's page's way to the course service (the :class:`~course.session.Backend` methods)."""

    def __init__(self, base_url: str, token: str, *, outbox_path: Path | None = None, timeout: float = 10.0) -> None:
        self._http = _Connection(base_url, token, timeout)
        self.outbox = outbox_path or default_outbox()
        self._me: dict[str, Any] | None = None
        self._modes: dict[str, str] = {}

    @classmethod
    def from_environment(cls) -> ServiceClient:
        """The client for this kernel: ``COURSE_SERVICE_URL`` and the server's JupyterHub token."""
        url = config.service_url()
        if not url:
            raise ServiceError("COURSE_SERVICE_URL is not set: this kernel does not know where the course service is.")
        return cls(url, _token())

    # --- who ---------------------------------------------------------------------------------

    @property
    def learner(self) -> str:
        """Who the hub says the token's user is (asked once)."""
        if self._me is None:
            self._me = self._http.json("GET", "me")
        return str(self._me["name"])

    @property
    def trainer(self) -> bool:
        self.learner
        return bool(self._me and self._me.get("trainer"))

    # --- the Backend methods ------------------------------------------------------------------

    def mode(self, quiz: str) -> str:
        if quiz not in self._modes:
            self._modes[quiz] = str(self._http.json("GET", f"quizzes/{quiz}")["mode"])
        return self._modes[quiz]

    def practice(self, quiz: str, section: str | None = None) -> Practice:
        self.flush()
        return wire.practice_from_json(self._http.json("GET", f"quizzes/{quiz}/practice", query={"section": section}))

    def answer(self, quiz: str, question: str, response: Any, *, key: str | None = None) -> Answered:
        """Grade and store one answer through the service; kept in the outbox if it cannot be reached."""
        import uuid

        key = key or uuid.uuid4().hex
        self.flush()
        body = {"question": question, "response": response, "key": key}
        try:
            return wire.answered_from_json(self._http.json("POST", f"quizzes/{quiz}/answers", body))
        except ServiceUnavailable:
            outbox.append(self.outbox, {"key": key, "kind": "answer", "quiz": quiz, **body, "at": datetime.now(timezone.utc).isoformat()})
            return Answered(None, True, key)

    def sitting(self, quiz: str) -> SittingView:
        self.flush()
        return wire.sitting_from_json(self._http.json("POST", f"quizzes/{quiz}/sitting"))

    def submit(self, quiz: str, sitting: str, responses: Mapping[str, Any], *, key: str | None = None) -> SittingView:
        """Submit a sitting; if the service cannot be reached, the answers wait here and go later."""
        body = {"responses": dict(responses)}
        try:
            return wire.sitting_from_json(self._http.json("POST", f"quizzes/{quiz}/sittings/{sitting}/submit", body))
        except ServiceUnavailable:
            outbox.append(self.outbox, {"key": key or f"submit-{sitting}", "kind": "submit", "quiz": quiz, "sitting": sitting, **body, "at": datetime.now(timezone.utc).isoformat()})
            raise ServiceUnavailable(
                "Your answers are saved on this computer: the course cannot be reached just now. They will be submitted "
                "automatically as soon as it is back (reopen this page later to see your result) — nothing is lost."
            ) from None

    def progress(self) -> list[LessonProgress]:
        self.flush()
        return wire.progress_from_json(self._http.json("GET", "progress"))

    def home(self) -> Home:
        self.flush()
        return wire.home_from_json(self._http.json("GET", "home"))

    def role(self) -> str | None:
        """The learner's role as the course service has it (None while not given)."""
        role = self._http.json("GET", "role").get("role")
        return str(role) if role else None

    def set_role(self, role: str) -> str:
        """Give the learner's role, once (ServiceError with the service's words when refused)."""
        return str(self._http.json("POST", "role", {"role": role})["role"])

    # --- the outbox ----------------------------------------------------------------------------

    def flush(self) -> int:
        """Send what waits in the outbox, oldest first; stop at the first one the service cannot take now.

        An entry the service refuses for good (an answer to a question that no longer exists, a
        sitting already submitted) is moved aside (``<outbox>.corrupt``), never silently dropped.
        Returns how many were sent.
        """
        try:
            entries = outbox.read(self.outbox)
        except OSError:
            return 0
        sent = 0
        for entry in entries:
            try:
                if entry.get("kind") == "submit":
                    self._http.json("POST", f"quizzes/{entry['quiz']}/sittings/{entry['sitting']}/submit", {"responses": entry["responses"]})
                else:
                    self._http.json("POST", f"quizzes/{entry['quiz']}/answers", {"question": entry["question"], "response": entry.get("response"), "key": entry["key"]})
            except ServiceUnavailable:
                break
            except (ServiceError, UngradableResponse, IncompleteAssessment, AssessmentClosed, KeyError, TypeError):
                outbox.set_aside(self.outbox, {entry["key"]})
                continue
            outbox.remove(self.outbox, {entry["key"]})
            sent += 1
        return sent


class TrainerClient:
    """A trainer's actions and reports through the course service, as the token's hub user."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 60.0) -> None:
        self._http = _Connection(base_url, token, timeout)

    @classmethod
    def from_environment(cls, url: str | None = None) -> TrainerClient:
        base = url or config.service_url()
        if not base:
            raise ServiceError("no course service URL (COURSE_SERVICE_URL or --service)")
        return cls(base, _token())

    def me(self) -> dict[str, Any]:
        return dict(self._http.json("GET", "me"))

    def learners(self) -> list[dict[str, Any]]:
        return list(self._http.json("GET", "learners"))

    def table(self, name: str, filters: Any = None) -> Any:
        """A report table as a DataFrame, computed by the service."""
        import io

        import pandas as pd

        status, _kind, data = self._http.request("GET", f"report/{name}", query=_filter_query(filters))
        if status != 200:
            _decode(status, data)
        return pd.read_json(io.StringIO(data.decode()), orient="table")

    def review(self, key: str, score: float, comment: str = "") -> dict[str, Any]:
        return dict(self._http.json("POST", "reviews", {"key": key, "score": score, "comment": comment}))

    def allow_retake(self, learner: str, quiz: str) -> dict[str, Any]:
        return dict(self._http.json("POST", "retakes", {"learner": learner, "quiz": quiz}))

    def set_role(self, learner: str, role: str | None) -> dict[str, Any]:
        return self._http.json("POST", "roles", {"learner": learner, "role": role})

    def set_cohort(self, learner: str, cohort: str | None) -> dict[str, Any]:
        return dict(self._http.json("POST", "cohorts", {"learner": learner, "cohort": cohort}))

    def waive(self, learner: str, quiz: str, reason: str) -> dict[str, Any]:
        return dict(self._http.json("POST", "waivers", {"learner": learner, "quiz": quiz, "reason": reason}))

    def certificate(self, learner: str) -> tuple[bytes, str, str | None]:
        """(the PDF, its verification code, valid until as an ISO time or None), issued by the service."""
        import base64
        import binascii

        reply = self._http.json("POST", "certificates", {"learner": learner})
        try:
            return base64.b64decode(reply["pdf"], validate=True), str(reply["code"]), reply.get("valid_until")
        except (KeyError, TypeError, binascii.Error):
            raise ServiceError("The course service did not send a certificate.") from None

    def audit(self, learner: str | None = None, action: str | None = None) -> list[dict[str, Any]]:
        return list(self._http.json("GET", "audit", query={"learner": learner, "action": action}))

    def verify(self, code: str) -> Any:
        """What the records say about a certificate's code (:class:`course.verify.Verification`)."""
        from urllib.parse import quote

        from course.verify import verification_from_json

        return verification_from_json(self._http.json("GET", f"certificates/{quote(code, safe='')}"))

    def xapi(self, *, homepage: str, since: Any = None, actor: str = "hash") -> list[dict[str, Any]]:
        """The xAPI statements, made by the course service (it has the reviews and the actors' key)."""
        query = {"homepage": homepage, "actor": actor, "since": since.isoformat() if since is not None else None}
        return list(self._http.json("GET", "xapi", query=query))

    def set_due_date(self, cohort: str, quiz: str, due: Any) -> dict[str, Any]:
        return dict(self._http.json("POST", "due-dates", {"cohort": cohort, "quiz": quiz, "due": None if due is None else due.isoformat()}))

    def set_setting(self, name: str, value: Any) -> dict[str, Any]:
        return dict(self._http.json("POST", "settings", {"name": name, "value": value}))

    def revoke(self, code: str, reason: str) -> dict[str, Any]:
        return dict(self._http.json("POST", "revocations", {"code": code, "reason": reason}))


def _filter_query(filters: Any) -> dict[str, str]:
    if filters is None:
        return {}
    query = {}
    for name in ("cohort", "learner", "quiz"):
        if getattr(filters, name, None) is not None:
            query[name] = getattr(filters, name)
    for name in ("since", "until"):
        if getattr(filters, name, None) is not None:
            query[name] = getattr(filters, name).isoformat()
    return query
