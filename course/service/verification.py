"""Public certificate verification, without a token (see docs/deploy.md, "Verifying a
certificate"): the page a certificate's QR code opens (``GET <prefix>verify?code=``) and the same
as JSON (``GET api/verify/<code>``); they answer only for a whole code and never list or search.
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from tornado import web

from course.records import StoreError
from course.service.api import Refused, _code
from course.service.state import Service


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
        from course.verify import verification_to_json

        answer = await self.answer(_code(code))
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
