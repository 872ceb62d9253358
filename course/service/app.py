"""The course service's web application (tornado, with JupyterHub's own service authentication).

Every request carries a JupyterHub API token (``Authorization: token ...``): a learner's kernel
sends its server's token, a trainer's command line or dashboard the trainer's. The hub says whose
token it is (:class:`jupyterhub.services.auth.HubAuth`, cached for a few minutes); the service
never takes a name from the request. Database work runs on a small thread pool, so one slow
request never holds up the others.

Learners (any hub user whose token may access the service), under ``<prefix>api/``:

==========================================  ===================================================
``GET me``                                  who the hub says you are, and whether you train
``GET quizzes/<quiz>``                      the quiz's mode (practice or assessment)
``GET quizzes/<quiz>/practice?section=S``   its questions (a paper: no keys) and your answers
``POST quizzes/<quiz>/answers``             ``{question, response, key}``: graded and stored
``POST quizzes/<quiz>/sitting``             your open sitting (opened now if need be) or result
``POST quizzes/<quiz>/sittings/<id>/submit``  ``{responses}``: graded and stored, once
``GET progress``, ``GET home``              your progress; your course home
==========================================  ===================================================

Trainers (members of the trainer group) also have ``GET learners``, ``GET report/<table>``
(``?format=json|csv`` and the report's filters), ``GET reviews``, ``POST reviews``
``{key, score, comment}``, ``POST retakes`` / ``cohorts`` / ``waivers``, ``POST certificates``
``{learner}`` (``{code, valid_until, pdf}``, the PDF in base64), ``GET audit``, and for a dashboard away from the database ``GET snapshot``
(the report's data), ``GET course`` (the banks) and ``GET attempts``, ``POST revocations``
``{code, reason}`` (revoke a certificate), ``POST due-dates`` ``{cohort, quiz, due}`` and ``POST settings``
``{name, value}`` (course.recert), and ``GET xapi`` (the xAPI statements). ``GET health`` needs no token.

Certificate verification is public, without a token (the code printed on a certificate is
unguessable, and an inspector or another employer has no hub account): ``GET <prefix>verify?code=``
is the page a certificate's QR code opens, ``GET api/verify/<code>`` the same as JSON (only
``course.verify.PUBLIC_FIELDS``). They answer only for a whole code — name, course version, when
passed, valid until, revoked (when, not why or by whom), expired, no such certificate — and never
list or search certificates. A trainer's ``course verify`` reads the whole record, with who issued or
revoked it and why, from ``GET api/certificates/<code>``.

Errors are JSON ``{"error": kind, "message": text}``: 400 a bad request, 403 not allowed, 404 no
such quiz or question, 409 not possible now (a closed sitting, no certificate), 422 an answer
that cannot be graded (nothing stored), 503 the database cannot be reached (send again later).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import os
import secrets
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from jupyterhub.services.auth import HubAuth, HubAuthenticated, UserNotAllowed
from tornado import httpclient, web
from tornado.ioloop import PeriodicCallback

from course import __version__, config, wire
from course.bank import BankError, Course, course_cached
from course.grading import UngradableResponse
from course.paper import Paper
from course.records import StoreError
from course.session import AssessmentClosed, CourseSession, IncompleteAssessment

log = logging.getLogger("course.service")

DEFAULT_TRAINER_GROUP = "course-trainers"
_GROUP_CACHE_SECONDS = 5.0


# --- settings ------------------------------------------------------------------------------------


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


# --- the service's state ---------------------------------------------------------------------------


class Refused(web.HTTPError):
    """An API error with a JSON body."""

    def __init__(self, status: int, error: str, message: str, **extra: Any):
        super().__init__(status, reason=None)
        self.payload = {"error": error, "message": message, **extra}


class Service:
    """What every request shares: the banks, the store, the paper, the hub's answers, the threads."""

    def __init__(self, settings: ServiceSettings, store: Any = None) -> None:
        from course.store import ResultsStore

        self.settings = settings
        self.store = store or ResultsStore(settings.db_url, outbox=settings.data_dir / "outbox.jsonl", pool_size=settings.threads)
        self.paper = Paper(settings.secret)
        self.pool = ThreadPoolExecutor(settings.threads, thread_name_prefix="course-db")
        self.hub_auth = HubAuth(api_url=settings.api_url, api_token=settings.api_token, access_scopes={f"access:services!service={settings.service_name}"})
        self._trainers: tuple[float, frozenset[str]] = (0.0, frozenset())

    def course(self) -> Course:
        """The full banks (reloaded when a bank file changes)."""
        return course_cached(self.settings.quizzes)

    def session(self, learner: str) -> CourseSession:
        return CourseSession(self.course(), self.store, learner, paper=self.paper)

    async def trainers(self) -> frozenset[str]:
        """The members of the trainer group, as the hub says now (cached a few seconds)."""
        when, names = self._trainers
        if time.monotonic() - when < _GROUP_CACHE_SECONDS:
            return names
        url = f"{self.settings.api_url.rstrip('/')}/groups/{quote(self.settings.trainer_group, safe='')}"
        request = httpclient.HTTPRequest(url, headers={"Authorization": f"token {self.settings.api_token}"}, request_timeout=10)
        try:
            response = await httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
        except OSError as error:
            raise Refused(503, "unavailable", f"The hub cannot be reached to check who trains ({error}).") from error
        if response.code == 404:
            names = frozenset()
        elif response.code != 200:
            raise Refused(503, "unavailable", f"The hub did not say who is in {self.settings.trainer_group!r} (HTTP {response.code}); the service may lack the scope read:groups.")
        else:
            names = frozenset(json.loads(response.body).get("users", []))
        self._trainers = (time.monotonic(), names)
        return names

    def flush_outbox(self) -> None:
        """Send answers the service kept while the database was away."""
        try:
            if self.store.pending_outbox():
                result = self.store.sync()
                log.info("sent %d answers from the service's outbox", result.sent)
        except StoreError as error:
            log.info("the outbox could not be sent yet: %s", error)


# --- handlers ------------------------------------------------------------------------------------


class Api(HubAuthenticated, web.RequestHandler):
    """A JSON API request from a hub user, identified by the hub from its token."""

    service: Service

    def initialize(self, service: Service) -> None:
        self.service = service
        self.hub_auth = service.hub_auth

    def check_xsrf_cookie(self) -> None:
        """Token-authenticated API: no cookies are read, so no XSRF check is needed."""

    async def prepare(self) -> None:
        model = await self.hub_auth.get_user(self, sync=False)
        if not model:
            raise Refused(403, "forbidden", "A JupyterHub API token is needed (Authorization: token ...).")
        try:
            model = self.check_hub_user(model)
        except UserNotAllowed:
            raise Refused(403, "forbidden", f"This token may not use the course service (it needs the scope access:services!service={self.service.settings.service_name}).") from None
        if model.get("kind", "user") != "user":
            raise Refused(403, "forbidden", "Only users answer and train; this token is not a user's.")
        self.current_user = model

    @property
    def user(self) -> str:
        return str(self.current_user["name"])

    def body(self) -> dict[str, Any]:
        """The request's JSON object; a request may never name who it is for."""
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise Refused(400, "bad_request", "The request body is not JSON.") from None
        if not isinstance(data, dict):
            raise Refused(400, "bad_request", "The request body must be a JSON object.")
        # who acts is the token's user; only a trainer's request names a learner it is about
        actors = ("user", "reviewer", "trainer", "by") if isinstance(self, TrainerApi) else ("learner", "user", "reviewer", "trainer", "by")
        for name in actors:
            if name in data and data[name] != self.user:
                raise Refused(403, "forbidden", f"A request cannot choose who it is from: the hub says this token is {self.user!r}.")
        return data

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data, ensure_ascii=False, default=str))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        payload = getattr(error, "payload", None) or {"error": "error", "message": self._reason}
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(payload, ensure_ascii=False))

    async def call(self, action: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run ``action`` on the service's threads; turn what it raises into the API's errors."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.service.pool, functools.partial(action, *args, **kwargs))
        except UngradableResponse as error:
            raise Refused(422, "ungradable", str(error)) from None
        except IncompleteAssessment as error:
            raise Refused(422, "incomplete", str(error), problems=error.problems) from None
        except AssessmentClosed as error:
            raise Refused(409, "closed", str(error)) from None
        except KeyError as error:
            raise Refused(404, "not_found", str(error.args[0]) if error.args else "Not found.") from None
        except BankError as error:
            log.error("the question banks have mistakes:\n%s", error)
            raise Refused(500, "banks", "The course's question banks have mistakes; the course author must fix them (course validate).") from None
        except StoreError as error:
            raise Refused(503, "unavailable", str(error)) from None
        except ValueError as error:
            raise Refused(400, "bad_request", str(error)) from None


def _text(data: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise Refused(400, "bad_request", f"{name!r} must be a non-empty string.")
    return value


class Health(web.RequestHandler):
    def initialize(self, service: Service) -> None:
        self.service = service

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": True, "version": __version__}))


class Me(Api):
    async def get(self) -> None:
        trainers = await self.service.trainers()
        self.reply({"name": self.user, "trainer": self.user in trainers})


class Quiz(Api):
    async def get(self, quiz: str) -> None:
        mode = await self.call(lambda: self.service.course().bank(quiz).mode)
        self.reply({"quiz": quiz, "mode": mode})


class PracticeQuestions(Api):
    async def get(self, quiz: str) -> None:
        section = self.get_argument("section", None)
        practice = await self.call(lambda: self.service.session(self.user).practice(quiz, section))
        self.reply(wire.practice_to_json(practice))


class Answers(Api):
    async def post(self, quiz: str) -> None:
        data = self.body()
        question = _text(data, "question")
        key = _text(data, "key")
        answered = await self.call(lambda: self.service.session(self.user).answer(quiz, question, data.get("response"), key=key))
        self.reply(wire.answered_to_json(answered))


class OpenSitting(Api):
    async def post(self, quiz: str) -> None:
        view = await self.call(lambda: self.service.session(self.user).sitting(quiz))
        self.reply(wire.sitting_to_json(view))


class SubmitSitting(Api):
    async def post(self, quiz: str, sitting: str) -> None:
        data = self.body()
        responses = data.get("responses")
        if not isinstance(responses, dict):
            raise Refused(400, "bad_request", "'responses' must be an object: question id -> answer.")
        view = await self.call(lambda: self.service.session(self.user).submit(quiz, sitting, responses))
        self.reply(wire.sitting_to_json(view))


class Progress(Api):
    async def get(self) -> None:
        rows = await self.call(lambda: self.service.session(self.user).progress())
        self.reply(wire.progress_to_json(rows))


class CourseHome(Api):
    async def get(self) -> None:
        home = await self.call(lambda: self.service.session(self.user).home())
        self.reply(wire.home_to_json(home))


class LearnerRole(Api):
    """``GET/POST api/role``: the learner's own role (the hub says who the learner is); given once."""

    async def get(self) -> None:
        role = await self.call(lambda: self.service.session(self.user).role())
        self.reply({"learner": self.user, "role": role})

    async def post(self) -> None:
        role = _text(self.body(), "role")
        given = await self.call(lambda: self.service.session(self.user).set_role(role))
        self.reply({"learner": self.user, "role": given})


# --- trainers ------------------------------------------------------------------------------------


class TrainerApi(Api):
    """A request only a member of the trainer group may make."""

    async def prepare(self) -> None:
        await super().prepare()
        if self.user not in await self.service.trainers():
            raise Refused(403, "forbidden", f"Only trainers (members of the hub group {self.service.settings.trainer_group!r}) may do this.")

    def filters(self) -> Any:
        from course.report import Filters

        def when(name: str) -> datetime | None:
            text = self.get_argument(name, None)
            if not text:
                return None
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                raise Refused(400, "bad_request", f"{name}: not a date: {text!r} (use YYYY-MM-DD)") from None
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

        return Filters(
            cohort=self.get_argument("cohort", None), learner=self.get_argument("learner", None), quiz=self.get_argument("quiz", None),
            since=when("since"), until=when("until"),
        )  # fmt: skip


class Learners(TrainerApi):
    async def get(self) -> None:
        people = await self.call(self.service.store.learners)
        self.reply([{"name": p.name, "cohort": p.cohort, "since": p.created_at.isoformat(), "role": p.role} for p in people])


class Report(TrainerApi):
    async def get(self, name: str) -> None:
        from course import report, trainer

        filters = self.filters()
        frame = await self.call(trainer.table, name, self.service.store, self.service.course(), filters)
        if self.get_argument("format", "json") == "csv":
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.finish(report.to_csv(frame))
            return
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(frame.to_json(orient="table", date_format="iso", force_ascii=False, index=False))


class Reviews(TrainerApi):
    async def get(self) -> None:
        from course import trainer

        frame = await self.call(trainer.table, "review", self.service.store, self.service.course(), self.filters())
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(frame.to_json(orient="table", date_format="iso", force_ascii=False, index=False))

    async def post(self) -> None:
        from course import trainer

        data = self.body()
        score = data.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise Refused(400, "bad_request", "'score' must be a number.")
        done = await self.call(trainer.review, self.service.store, self.service.course(), _text(data, "key"), float(score), by=self.user, comment=_text(data, "comment", required=False))
        self.reply(done)


class Retakes(TrainerApi):
    async def post(self) -> None:
        from course import trainer

        data = self.body()
        learner, quiz = _text(data, "learner"), data.get("quiz") or "final_assessment"
        title = await self.call(trainer.allow_retake, self.service.store, self.service.course(), learner, str(quiz), by=self.user)
        self.reply({"learner": learner, "quiz": quiz, "title": title, "by": self.user})


class Cohorts(TrainerApi):
    async def post(self) -> None:
        from course import trainer

        data = self.body()
        learner, cohort = _text(data, "learner"), data.get("cohort")
        if cohort is not None and not isinstance(cohort, str):
            raise Refused(400, "bad_request", "'cohort' must be a string or null.")
        await self.call(trainer.set_cohort, self.service.store, learner, cohort, by=self.user)
        self.reply({"learner": learner, "cohort": cohort or None, "by": self.user})


class Roles(TrainerApi):
    async def post(self) -> None:
        from course import trainer

        data = self.body()
        learner, role = _text(data, "learner"), data.get("role")
        if role is not None and not isinstance(role, str):
            raise Refused(400, "bad_request", "'role' must be a string or null.")
        given = await self.call(trainer.set_role, self.service.store, learner, role, by=self.user)
        self.reply({"learner": learner, "role": given, "by": self.user})


class Waivers(TrainerApi):
    async def post(self) -> None:
        from course import trainer

        data = self.body()
        learner, quiz = _text(data, "learner"), str(data.get("quiz") or "final_assessment")
        title = await self.call(trainer.waive, self.service.store, self.service.course(), learner, quiz, by=self.user, reason=_text(data, "reason", required=False))
        self.reply({"learner": learner, "quiz": quiz, "title": title, "by": self.user})


class Certificates(TrainerApi):
    async def post(self) -> None:
        from course import trainer
        from course.certificate import NotEligible

        learner = _text(self.body(), "learner")
        try:
            pdf, issued = await self.call(trainer.certificate_pdf, self.service.store, self.service.course(), learner, by=self.user)
        except Refused:
            raise
        except NotEligible as refusal:
            raise Refused(409, "not_eligible", refusal.reason) from None
        # the code and its validity with the PDF, so that the trainer's command can say them
        self.reply({
            "code": issued.code, "valid_until": None if issued.valid_until is None else issued.valid_until.isoformat(),
            "pdf": base64.b64encode(pdf).decode("ascii"),
        })  # fmt: skip


class CertificateRecordApi(TrainerApi):
    """``GET api/certificates/<code>``: the whole record of a certificate, for a trainer (``course
    verify``): who issued or revoked it and why, which the public ``api/verify/<code>`` leaves out."""

    async def get(self, code: str) -> None:
        from course.verify import normalise, verification_to_json, verify

        try:
            code = normalise(code)
        except ValueError as error:
            raise Refused(400, "bad_request", str(error)) from None
        answer = await self.call(verify, self.service.store, code)
        self.reply(verification_to_json(answer))


class XapiStatements(TrainerApi):
    """``GET xapi?homepage=&since=&actor=``: the xAPI statements (course.xapi), made here where the reviews and the key are."""

    async def get(self) -> None:
        from course import xapi

        actor = self.get_argument("actor", "hash")
        homepage = self.get_argument("homepage", xapi.DEFAULT_HOMEPAGE)
        since = self.filters().since

        def build() -> list[dict[str, Any]]:
            return xapi.statements(self.service.store, self.service.course(), homepage=homepage, since=since, actors=xapi.actors_for(self.service.store, actor))

        self.reply(await self.call(build))


class DueDates(TrainerApi):
    """``POST due-dates`` ``{cohort, quiz, due}``: a cohort's due date (ISO date-time, or null to clear it)."""

    async def post(self) -> None:
        from course import trainer

        data = self.body()
        cohort, quiz, due = _text(data, "cohort"), _text(data, "quiz"), data.get("due")
        when = None
        if due is not None:
            try:
                when = datetime.fromisoformat(str(due))
            except ValueError:
                raise Refused(400, "bad_request", f"'due' must be an ISO date and time or null, not {due!r}.") from None
            when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        title = await self.call(trainer.set_due_date, self.service.store, self.service.course(), cohort, quiz, when, by=self.user)
        self.reply({"cohort": cohort, "quiz": quiz, "title": title, "due": None if when is None else when.isoformat(), "by": self.user})


class CourseSettings(TrainerApi):
    """``POST settings`` ``{name, value}``: a course setting (course.recert.SETTINGS)."""

    async def post(self) -> None:
        from course import trainer

        data = self.body()
        name, value = _text(data, "name"), data.get("value")
        await self.call(trainer.set_setting, self.service.store, name, value, by=self.user, course=self.service.course())
        self.reply({"name": name, "value": value, "by": self.user})


class Revocations(TrainerApi):
    async def post(self) -> None:
        from course import trainer

        data = self.body()
        code, reason = _text(data, "code"), _text(data, "reason")
        record = await self.call(trainer.revoke, self.service.store, code, reason, by=self.user)
        self.reply({"code": record.code, "learner": record.learner, "reason": record.revoked_reason, "by": self.user})


# --- certificate verification: public (see docs/deploy.md, "Verifying a certificate") ------------


_VERIFY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the address holds the code: never sent on to another site
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}


class _Public(web.RequestHandler):
    """A request anyone may make without a token: the code itself is the secret (140 random bits)."""

    def initialize(self, service: Service) -> None:
        self.service = service
        for name, value in _VERIFY_HEADERS.items():
            self.set_header(name, value)

    async def answer(self, code: str) -> Any:
        from course.verify import verify

        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.service.pool, functools.partial(verify, self.service.store, code))
        except StoreError as error:
            raise Refused(503, "unavailable", str(error)) from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        payload = getattr(error, "payload", None) or {"error": "error", "message": self._reason}
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(payload, ensure_ascii=False))


class VerifyApi(_Public):
    """``GET api/verify/<code>``: what the records say, as JSON (200 whatever the state; 400 not a code)."""

    async def get(self, code: str) -> None:
        from course.verify import normalise, verification_to_json

        try:
            code = normalise(code)
        except ValueError as error:
            raise Refused(400, "bad_request", str(error)) from None
        answer = await self.answer(code)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(verification_to_json(answer, public=True), ensure_ascii=False))


class VerifyPage(_Public):
    """``GET verify?code=...``: the verification page a certificate's QR code opens."""

    async def get(self) -> None:
        from course.verify import normalise, page

        code = self.get_argument("code", "").strip()
        answer, problem = None, None
        if code:
            try:
                answer = await self.answer(normalise(code))
            except ValueError as error:
                problem = str(error)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
        self.finish(page(code, answer, problem))


class Snapshot(TrainerApi):
    """The report's data (course.report.Data) for a trainer's dashboard, which computes its tables."""

    async def get(self) -> None:
        from course import report

        detail = self.get_argument("detail", "1") != "0"
        key = self.get_argument("key", None)
        data = await self.call(report._load, self.service.store, self.filters(), detail=detail, key=key)
        self.reply(wire.data_to_json(data))


class CourseFiles(TrainerApi):
    """The full banks, for a trainer's dashboard (trainers may see the keys; learners never)."""

    async def get(self) -> None:
        def read() -> dict[str, str]:
            from course.bank import bank_files

            return {p.name: p.read_text(encoding="utf-8") for p in bank_files([self.service.settings.quizzes])}

        self.reply({"banks": await self.call(read)})


class Attempts(TrainerApi):
    """Every stored answer (for an xAPI export made away from the database)."""

    async def get(self) -> None:
        from dataclasses import asdict

        found = await self.call(self.service.store.attempts, learner=self.get_argument("learner", None), quiz=self.get_argument("quiz", None))
        self.reply([{**asdict(a), "answered_at": a.answered_at.isoformat()} for a in found])


class Audit(TrainerApi):
    async def get(self) -> None:
        entries = await self.call(self.service.store.audit, learner=self.get_argument("learner", None), action=self.get_argument("action", None))
        self.reply([
            {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action, "learner": e.learner, "subject": e.subject, "before": e.before, "after": e.after}
            for e in entries
        ])  # fmt: skip


# --- the application -----------------------------------------------------------------------------


def make_app(service: Service) -> web.Application:
    """The tornado application for ``service``, its routes under the service's prefix."""
    p = service.settings.prefix + "api/"
    quiz = r"([A-Za-z0-9_.-]+)"
    routes: list[tuple[str, type[web.RequestHandler]]] = [
        (p + "health", Health),
        (p + "me", Me),
        (p + f"quizzes/{quiz}", Quiz),
        (p + f"quizzes/{quiz}/practice", PracticeQuestions),
        (p + f"quizzes/{quiz}/answers", Answers),
        (p + f"quizzes/{quiz}/sitting", OpenSitting),
        (p + f"quizzes/{quiz}/sittings/([0-9a-f]+)/submit", SubmitSitting),
        (p + "progress", Progress),
        (p + "home", CourseHome),
        (p + "role", LearnerRole),
        (p + "roles", Roles),
        (p + "learners", Learners),
        (p + r"report/([a-z]+)", Report),
        (p + "reviews", Reviews),
        (p + "retakes", Retakes),
        (p + "cohorts", Cohorts),
        (p + "waivers", Waivers),
        (p + "certificates", Certificates),
        (p + r"certificates/([^/]{1,80})", CertificateRecordApi),
        (p + "audit", Audit),
        (p + "revocations", Revocations),
        (p + "due-dates", DueDates),
        (p + "settings", CourseSettings),
        (p + "xapi", XapiStatements),
        (p + r"verify/([^/]{1,80})", VerifyApi),
        (service.settings.prefix + "verify", VerifyPage),
        (p + "snapshot", Snapshot),
        (p + "course", CourseFiles),
        (p + "attempts", Attempts),
    ]
    return web.Application([(path, handler, {"service": service}) for path, handler in routes], xsrf_cookies=False)


def serve(settings: ServiceSettings) -> None:
    """Run the service until SIGTERM or SIGINT (the hub stops a managed service with SIGTERM)."""
    logging.basicConfig(level=logging.INFO, format="[%(levelname).1s %(asctime)s course.service] %(message)s")
    asyncio.run(_serve(settings))


async def _serve(settings: ServiceSettings) -> None:
    service = Service(settings)
    loop = asyncio.get_running_loop()
    try:
        version = await loop.run_in_executor(service.pool, service.store.schema_version)
        log.info("results database schema version %s", version)
    except StoreError as error:
        log.warning("the results database cannot be reached yet (%s); answers will wait in %s", error, service.store.outbox)
    parsed = urlparse(settings.url)
    server = make_app(service).listen(parsed.port, address=settings.bind or parsed.hostname or "127.0.0.1", xheaders=True)
    log.info("course service %s on %s%s (trainers: hub group %r)", __version__, settings.url, settings.prefix, settings.trainer_group)
    flusher = PeriodicCallback(lambda: loop.run_in_executor(service.pool, service.flush_outbox), 10_000)
    flusher.start()
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()
    log.info("stopping")
    flusher.stop()
    server.stop()
    await server.close_all_connections()
    service.pool.shutdown(wait=True)
    service.store.close()
