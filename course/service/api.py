"""The base of the course service's JSON API under ``<prefix>api/``: :class:`Api` (the hub says
whose token it is; the request's body, which may never say who it is from; the JSON replies and
errors; :meth:`Api.call`, which runs work on the service's threads and turns what it raises into
the API's errors), :class:`TrainerApi` (members of the trainer group only; the report's filters)
and :func:`_text`, a string a body must hold. :class:`Refused` comes from :mod:`course.service.state`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from jupyterhub.services.auth import HubAuthenticated, UserNotAllowed
from tornado import web

from course.bank import BankError
from course.grading import UngradableResponse
from course.records import StoreError
from course.service.state import Refused, Service
from course.session import AssessmentClosed, IncompleteAssessment

log = logging.getLogger("course.service")


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


def _code(text: str) -> str:
    """A certificate's code from a request's path, written out (400 if it cannot be one)."""
    from course.verify import normalise

    try:
        return normalise(text)
    except ValueError as error:
        raise Refused(400, "bad_request", str(error)) from None


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
