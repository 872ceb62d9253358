"""Open a user's server in headless Chromium, logged in through the hub's login form."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from browser import chromium  # tests/browser/chromium.py: find or install Debian's chromium

LAUNCH_ARGS = chromium.LAUNCH_ARGS


@contextlib.contextmanager
def server_page(browser: Any, hub: Any, user: str, path: str = "", timeout: float = 90_000, viewport: dict | None = None) -> Iterator[Any]:
    """A page logged in as ``user`` showing ``/user/<user>/<path>`` (their default URL if empty).

    A new browser context (its own cookies) per call, closed afterwards. The hub starts the
    user's server if it is not running, then the server's OAuth hand-shake with the hub sets its
    cookie: the page ends on the server, not on the hub.
    """
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(timeout)
        page.goto(f"{hub.url}/hub/login?next={quote(f'/hub/user/{user}/{path}')}")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", hub.deployment.user_password)
        page.click("#login_submit")
        page.wait_for_url(re.compile(rf"^{re.escape(hub.url)}/user/{re.escape(user)}/"), timeout=timeout)
        yield page
    finally:
        context.close()
