"""A minimal stand-in for the course service, for the harness's own tests.

Started by the hub as its managed service ``course`` (so configured by JupyterHub's environment
variables: ``JUPYTERHUB_SERVICE_URL``, ``JUPYTERHUB_SERVICE_PREFIX``, ``JUPYTERHUB_API_URL``,
``JUPYTERHUB_API_TOKEN``, ``JUPYTERHUB_OAUTH_ACCESS_SCOPES``). It answers

- ``GET <prefix>api/whoami``: who the request's token belongs to, as the hub says
  (``jupyterhub.services.auth.HubAuthenticated``), and whether that user is in the trainer group
  (``COURSE_TRAINER_GROUP``), asked of the hub with the service's own token both ways (the
  user's groups; the group's users); 403 without a token the hub accepts for this service;
- ``GET <prefix>``: ``ok`` (the hub waits for the service's URL to answer before it is ready).
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote, urlsplit

from jupyterhub.services.auth import HubAuthenticated
from tornado import httpclient, ioloop, web


class Home(web.RequestHandler):
    def get(self) -> None:
        self.write("ok")


class WhoAmI(HubAuthenticated, web.RequestHandler):
    async def get(self) -> None:
        user = self.current_user
        if user is None:
            raise web.HTTPError(403)
        trainer_group = os.environ.get("COURSE_TRAINER_GROUP", "course-trainers")
        groups = (await self.hub(f"users/{quote(user['name'])}")).get("groups", [])  # read:users:groups
        members = (await self.hub(f"groups/{quote(trainer_group)}")).get("users", [])  # read:groups!group=...
        self.write({
            "name": user["name"], "kind": user.get("kind"), "groups": groups, "trainer": trainer_group in groups,
            "trainer_by_group": user["name"] in members, "scopes": sorted(user.get("scopes", [])),
        })  # fmt: skip

    async def hub(self, path: str) -> dict:
        """GET the hub's API with the service's own token."""
        response = await httpclient.AsyncHTTPClient().fetch(
            f"{os.environ['JUPYTERHUB_API_URL']}/{path}",
            headers={"Authorization": f"token {os.environ['JUPYTERHUB_API_TOKEN']}"},
            raise_error=False,
        )
        if response.code != 200:
            raise web.HTTPError(502, f"the hub answered {response.code} to GET {path}")
        return json.loads(response.body)


def main() -> None:
    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    url = urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
    app = web.Application([(prefix, Home), (prefix + "api/whoami", WhoAmI)])
    app.listen(url.port, url.hostname)
    print(f"whoami service listening on {url.geturl()}{prefix}", flush=True)
    try:
        ioloop.IOLoop.current().start()
    except KeyboardInterrupt:  # the hub stops its services with SIGINT first
        pass


if __name__ == "__main__":
    main()
