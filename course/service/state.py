"""What every request of the course service shares: :class:`Service` (the store, the full banks,
the paper, the hub's authentication, the trainer group as the hub last said it, the database
threads, the outbox), and :class:`Refused`, the API's error with a JSON body, which the service
and every handler raise.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from jupyterhub.services.auth import HubAuth
from tornado import httpclient, web

from course.bank import Course, course_cached
from course.paper import Paper
from course.records import StoreError
from course.service.settings import ServiceSettings
from course.session import CourseSession

log = logging.getLogger("course.service")

_GROUP_CACHE_SECONDS = 5.0


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
