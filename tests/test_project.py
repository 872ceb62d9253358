"""The project's own promises: set-up files in step, notebooks stored clean, CI runs the README's command."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

# conda-forge names that differ from PyPI's
CONDA_NAMES = {"pyyaml": "pyyaml"}


def _requirement(text: str) -> tuple[str, str]:
    """('name', 'specifier') with the name normalised and extras dropped."""
    match = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*(\[[^\]]*\])?\s*(.*)$", text)
    assert match, text
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    return CONDA_NAMES.get(name, name), match.group(3).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_requirement(d) for d in env["dependencies"] if isinstance(d, str) and d != "pip")
    python = conda.pop("python")
    assert python == project["requires-python"]
    pypi = dict(_requirement(d) for d in project["dependencies"])
    assert conda == pypi, "environment.yml and pyproject.toml list different runtime dependencies"
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section == ["-e ."], "environment.yml must install the course package itself"
    assert "conda-forge" in env["channels"]


def test_requirement_parsing_catches_drift():
    assert _requirement("psycopg[binary]>=3.1") == ("psycopg", ">=3.1")
    assert _requirement("PyYAML >= 6.0") != _requirement("pyyaml>=6.1")


def notebooks():
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert notebooks(), "notebooks/ has no notebooks"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    data = json.loads(path.read_text())
    for n, cell in enumerate(data["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {n} has outputs: clear them before committing"
            assert cell.get("execution_count") is None, f"{path.name} cell {n} has an execution count"
    assert "widgets" not in data.get("metadata", {}), f"{path.name} stores widget state"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert "make test" in commands
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme


def test_results_and_venv_are_git_ignored():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "var/" in ignored and ".venv/" in ignored


def test_a_lesson_kernel_does_not_load_the_reporting_libraries() -> None:
    """Lessons import course.widgets; pandas, fpdf2, pypdf and voila are for trainers only."""
    import subprocess
    import sys

    probe = "import sys, course.widgets; print(' '.join(m for m in ('pandas', 'fpdf', 'pypdf', 'voila') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
