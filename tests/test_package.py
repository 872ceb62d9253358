"""The course as a clinic installs it from a wheel: every module, the stylesheet and the Voila
template are in it, and no question bank is (learners' servers install it)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_the_whole_package_and_no_bank(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT), "-w", str(tmp_path)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "course").rglob("*.py")}
    assert modules <= names, f"missing from the wheel: {sorted(modules - names)}"
    assert "course/static/quiz.css" in names
    assert any(n.endswith("share/jupyter/voila/templates/course/index.html.j2") for n in names)
    assert not [n for n in names if n.endswith((".yaml", ".yml")) or "quizzes" in n]
