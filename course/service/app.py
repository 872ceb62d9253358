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
``GET role``, ``POST role`` ``{role}``      your role (you give it once)
==========================================  ===================================================

Trainers (members of the trainer group) also have ``GET learners``, ``GET report/<table>``
(``?format=json|csv`` and the report's filters), ``GET reviews``, ``POST reviews``
``{key, score, comment}``, ``POST retakes`` / ``cohorts`` / ``roles`` / ``waivers``, ``POST certificates``
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

The handlers live in the package's other modules: :mod:`~course.service.api` (the base: the
token, the body, the errors), :mod:`~course.service.learner_api`,
:mod:`~course.service.trainer_api` and :mod:`~course.service.verification` (public); this module
builds the routes (:func:`make_app`) and runs the server (:func:`serve`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from urllib.parse import urlparse

from tornado import web
from tornado.ioloop import PeriodicCallback

from course import __version__
from course.records import StoreError
from course.service.learner_api import (
    Answers,
    CourseHome,
    Health,
    LearnerRole,
    Me,
    OpenSitting,
    PracticeQuestions,
    Progress,
    Quiz,
    SubmitSitting,
)
from course.service.settings import ServiceSettings
from course.service.state import Service
from course.service.trainer_api import (
    Attempts,
    Audit,
    CertificateRecordApi,
    Certificates,
    Cohorts,
    CourseFiles,
    CourseSettings,
    DueDates,
    Learners,
    Report,
    Retakes,
    Reviews,
    Revocations,
    Roles,
    Snapshot,
    Waivers,
    XapiStatements,
)
from course.service.verification import VerifyApi, VerifyPage

log = logging.getLogger("course.service")


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
