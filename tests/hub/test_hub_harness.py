"""The hub harness itself, with a minimal service of its own (whoami_service.py) as ``course``.

Everything here runs against the real deployment: the hub, the proxy, learners' servers and
kernels running as their own OS users, PostgreSQL requiring passwords. Nothing is mocked.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from .deployment import ROOT, SERVICE_DB, SERVICE_ROLE, HubProcess, HubSettings

HERE = Path(__file__).resolve().parent
ANN, BOB = "kc-ann", "kc-bob"
TRAINER = "kc-tess"
HOME = "harness_home.ipynb"
HOME_TEXT = "Harness home page, rendered by Voila"


@pytest.fixture
def hub_settings() -> HubSettings:
    return HubSettings(service_command=(sys.executable, str(HERE / "whoami_service.py")), default_url=f"/voila/render/{HOME}")


def whoami_code(*, token: str = 'os.environ["JUPYTERHUB_API_TOKEN"]', before: str = "") -> str:
    """Kernel code: ask the service who we are; print {"status": ..., "body": ...} as JSON."""
    return textwrap.dedent(
        f"""
        import json, os, urllib.error, urllib.request
        {before}
        headers = {{}}
        token = {token}
        if token:
            headers["Authorization"] = "token " + token
        request = urllib.request.Request(os.environ["COURSE_SERVICE_URL"] + "api/whoami", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                print(json.dumps({{"status": response.status, "body": json.load(response)}}))
        except urllib.error.HTTPError as error:
            print(json.dumps({{"status": error.code, "body": None}}))
        """
    )


def answer(result) -> dict:
    assert result.ok, result
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_service_names_the_learner_whose_kernel_asks_even_with_a_forged_user_variable(hub: HubProcess) -> None:
    with hub.kernel(ANN) as kernel:
        first = answer(kernel.run(whoami_code()))
        forged = answer(kernel.run(whoami_code(before=f'os.environ["JUPYTERHUB_USER"] = "{BOB}"')))
        environment = kernel.run("import os; print(os.environ['JUPYTERHUB_USER'], os.environ.get('COURSE_DB_URL'), os.environ['COURSE_SERVICE_URL'])")
    assert first["status"] == 200 and first["body"]["name"] == ANN
    assert forged["status"] == 200 and forged["body"]["name"] == ANN
    assert environment.stdout.split() == [BOB, "None", hub.service_url]
    with hub.kernel(BOB) as kernel:
        assert answer(kernel.run(whoami_code()))["body"]["name"] == BOB


def test_the_service_refuses_no_token_a_made_up_one_and_one_without_access_to_it(hub: HubProcess) -> None:
    without_access = hub.token_for(ANN, scopes=["read:users:name!user"], note="no access:services")
    with hub.kernel(ANN) as kernel:
        none = answer(kernel.run(whoami_code(token="''")))
        made_up = answer(kernel.run(whoami_code(token="'0123456789abcdef0123456789abcdef'")))
        no_access = answer(kernel.run(whoami_code(token=repr(without_access))))
    assert none["status"] == 403
    assert made_up["status"] == 403
    assert no_access["status"] == 403
    # The same service through the proxy, as a browser would reach it.
    url = hub.service_proxy_url + "api/whoami"
    assert requests.get(url, timeout=20, allow_redirects=False).status_code == 403
    assert requests.get(url, headers={"Authorization": f"token {hub.user_token(BOB)}"}, timeout=20).json()["name"] == BOB


def test_a_learner_kernel_runs_as_the_learner_and_cannot_read_keys_or_reach_the_database_unaided(hub: HubProcess) -> None:
    d = hub.deployment
    targets = [d.service_dir, d.service_dir / "jupyterhub_config.py", d.service_dir / "service.env", d.quizzes / "00_welcome.yaml", ROOT, ROOT / "quizzes", ROOT / "quizzes" / "00_welcome.yaml", d.pg.sockets]
    code = textwrap.dedent(
        f"""
        import json, os, pwd, psycopg
        outcome = {{"user": pwd.getpwuid(os.getuid()).pw_name, "files": {{}}, "db": {{}}}}
        for path in {[str(t) for t in targets]!r}:
            try:
                os.listdir(path) if not path.endswith((".py", ".yaml", ".env")) else open(path).read()
                outcome["files"][path] = "read"
            except PermissionError:
                outcome["files"][path] = "denied"
            except OSError as error:
                outcome["files"][path] = type(error).__name__
        attempts = {{
            "service role, no password": dict(user="{SERVICE_ROLE}", dbname="{SERVICE_DB}"),
            "superuser, no password": dict(user="postgres", dbname="postgres"),
            "service role, wrong password": dict(user="{SERVICE_ROLE}", dbname="{SERVICE_DB}", password="guess"),
        }}
        for name, options in attempts.items():
            try:
                psycopg.connect(host="127.0.0.1", port={d.pg.port}, connect_timeout=10, **options).close()
                outcome["db"][name] = "connected"
            except psycopg.OperationalError as error:
                outcome["db"][name] = str(error).strip().splitlines()[-1]
        print(json.dumps(outcome))
        """
    )
    outcome = answer(hub.run_in_kernel(ANN, code))
    assert outcome["user"] == ANN
    assert outcome["files"] == {str(t): "denied" for t in targets}
    db = outcome["db"]
    assert "no password supplied" in db["service role, no password"]
    assert "no password supplied" in db["superuser, no password"]
    assert "password authentication failed" in db["service role, wrong password"]
    # ...while the service's URL (with the password) does connect.
    import psycopg

    with psycopg.connect(d.service_db_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        assert conn.execute("select current_user").fetchone() == (SERVICE_ROLE,)


def test_the_service_sees_the_trainer_in_the_trainer_group_and_the_learners_not(hub: HubProcess) -> None:
    seen = {user: answer(hub.run_in_kernel(user, whoami_code()))["body"] for user in (TRAINER, ANN)}
    assert seen[TRAINER]["name"] == TRAINER and seen[TRAINER]["groups"] == [hub.settings.trainer_group]
    assert seen[TRAINER]["trainer"] is True and seen[TRAINER]["trainer_by_group"] is True
    assert seen[ANN]["groups"] == [] and seen[ANN]["trainer"] is False and seen[ANN]["trainer_by_group"] is False


@pytest.mark.browser
def test_a_learner_opens_their_server_logged_in_and_sees_the_home_page_rendered_by_voila(hub: HubProcess, hub_browser) -> None:
    from playwright.sync_api import expect

    from .pages import server_page

    home = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": f"# {HOME_TEXT}"},
            {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": "import os; print('kernel user:', os.environ['USER'])"},
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = hub.deployment.notebooks / HOME
    path.write_text(json.dumps(home))
    path.chmod(0o644)
    with server_page(hub_browser, hub, BOB) as page:
        assert f"/user/{BOB}/voila/render/{HOME}" in page.url
        expect(page.get_by_text(HOME_TEXT)).to_be_visible(timeout=60_000)
        expect(page.get_by_text(f"kernel user: {BOB}")).to_be_visible(timeout=60_000)


@pytest.mark.slow
def test_a_killed_service_is_started_again_by_the_hub(hub: HubProcess) -> None:
    old = hub.kill_service()
    waited = hub.wait_for_service_restart(old, timeout=45)
    print(f"service restarted {waited:.1f} s after SIGKILL")
    assert hub.service_pid() != old
    assert answer(hub.run_in_kernel(ANN, whoami_code()))["body"]["name"] == ANN
