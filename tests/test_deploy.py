"""The deployment files stay in step with the course: the learner's view, the service, the roles the hub tests prove."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config

from course import learner_view

ROOT = Path(__file__).resolve().parent.parent
ACCESS = "access:services!service=course"


@pytest.fixture
def hub_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    (tmp_path / "service.env").write_text("# the service's secrets\nCOURSE_DB_URL=postgresql+psycopg://course_service:s3cret@127.0.0.1/course\nCOURSE_SERVICE_SECRET='abc'\n")
    monkeypatch.setenv("COURSE_SERVICE_ROOT", str(tmp_path))
    monkeypatch.setenv("COURSE_TRAINERS", "tess, tina")
    config = Config()
    runpy.run_path(str(ROOT / "deploy" / "jupyterhub_config.py"), init_globals={"get_config": lambda: config})
    return config


def test_the_one_server_config_serves_the_learners_view_and_keeps_the_password_for_the_service(hub_config: Config, tmp_path: Path) -> None:
    c = hub_config
    assert c.Spawner.default_url == learner_view.DEFAULT_URL
    assert c.Spawner.args == learner_view.server_args(default_url=False)
    assert ACCESS in c.Spawner.server_token_scopes
    assert "s3cret" not in str(c.Spawner.environment) and set(c.Spawner.environment) == {"COURSE_SERVICE_URL"}
    (service,) = c.JupyterHub.services
    assert service["environment"]["COURSE_DB_URL"].endswith(":s3cret@127.0.0.1/course") and service["environment"]["COURSE_SERVICE_SECRET"] == "abc"
    assert service["user"] == "course" and service["command"][-1] == "serve"
    assert service["environment"]["COURSE_QUIZZES_DIR"] == str(tmp_path / "quizzes")
    assert service["environment"]["COURSE_NOTEBOOKS_DIR"].endswith("/notebooks")  # the sections' roles (issue 11)
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["user"]["scopes"] == ["self", ACCESS]
    assert roles["course-service"]["services"] == ["course"]
    assert c.JupyterHub.load_groups == {"course-trainers": {"users": ["tess", "tina"]}}


def test_the_kubernetes_values_match_the_learners_view_and_the_roles() -> None:
    values = yaml.safe_load((ROOT / "deploy" / "z2jh-values.yaml").read_text())
    single = values["singleuser"]
    assert single["defaultUrl"] == learner_view.DEFAULT_URL
    assert set(learner_view.server_args(default_url=False)) <= set(single["cmd"])
    assert single["extraEnv"]["COURSE_SERVICE_URL"].endswith("/services/course/")
    roles = values["hub"]["loadRoles"]
    assert roles["user"]["scopes"] == ["self", ACCESS]
    assert "COURSE_DB_URL" not in single.get("extraEnv", {}) and "course-banks" not in str(single)
    assert '"command": ["course", "serve"]' in values["hub"]["extraConfig"]["course-service"]
