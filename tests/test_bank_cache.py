"""The loaded course kept on disk (course.bank.course_cached): used only when it holds this very course."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from course import bank as bank_module
from course.bank import course_cached, disk_cache, load_course

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch copy of the course's banks and lessons, a scratch data folder, no cache in memory."""
    shutil.copytree(ROOT / "quizzes", tmp_path / "quizzes")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    monkeypatch.setenv("COURSE_QUIZZES_DIR", str(tmp_path / "quizzes"))
    monkeypatch.setenv("COURSE_NOTEBOOKS_DIR", str(tmp_path / "notebooks"))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setattr(disk_cache, "_cache", {})  # where course_cached reads it
    return tmp_path


def new_kernel(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Forget the course held in memory (as a new kernel would); record each load from the banks."""
    loads: list[Path] = []
    real = bank_module.load_course

    def counting(directory=None, **kwargs):
        loads.append(Path(directory))
        return real(directory, **kwargs)

    monkeypatch.setattr(disk_cache, "_cache", {})  # where course_cached reads it
    monkeypatch.setattr(disk_cache, "load_course", counting)
    return loads


def cache_files(root: Path) -> list[Path]:
    return sorted((root / "var" / "bank-cache").glob("*.pickle"))


def test_a_new_kernel_gets_the_course_from_the_disk_cache(course_copy, monkeypatch):
    first = course_cached()
    assert len(cache_files(course_copy)) == 1
    assert oct(cache_files(course_copy)[0].stat().st_mode & 0o777) == "0o600"
    loads = new_kernel(monkeypatch)
    again = course_cached()
    assert loads == []  # read from the disk, not loaded
    assert again == first == load_course(course_copy / "quizzes")
    assert again.version == first.version
    bank = again.bank("history")
    assert bank.path == course_copy / "quizzes" / bank.path.name
    q = bank.questions[0]
    assert type(q).model_validate(q.model_dump()) == q  # the models still validate after unpickling


def test_an_edited_bank_is_loaded_again_even_with_the_same_modification_time(course_copy, monkeypatch):
    course_cached()
    path = course_copy / "quizzes" / "02_history.yaml"
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    edited = text.replace("title: ", "title: Z", 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    loads = new_kernel(monkeypatch)
    assert course_cached().bank("history").title.startswith("Z")
    assert len(loads) == 1
    loads.clear()
    disk_cache._cache.clear()
    assert course_cached().bank("history").title.startswith("Z")  # and kept for the next kernel
    assert loads == []
    assert len(cache_files(course_copy)) == 1  # one file per banks folder, rewritten


def test_an_edited_lesson_is_loaded_again(course_copy, monkeypatch):
    course_cached()
    lesson = course_copy / "notebooks" / "02_history.ipynb"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    loads = new_kernel(monkeypatch)
    course_cached()
    assert len(loads) == 1


def test_a_broken_bank_is_never_hidden_by_the_cache(course_copy, monkeypatch):
    course_cached()
    path = course_copy / "quizzes" / "02_history.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("mode: practice", "mode: practise", 1), encoding="utf-8")
    new_kernel(monkeypatch)
    with pytest.raises(bank_module.BankError):
        course_cached()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "group-writable", "another-course"])
def test_a_cache_file_that_cannot_be_trusted_is_not_used(course_copy, monkeypatch, damage):
    course = course_cached()
    (path,) = cache_files(course_copy)
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(data.split(b"\n", 1)[0] + b"\nnot a pickle")
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "group-writable":
        path.chmod(0o664)
    else:
        path.write_bytes(f"{bank_module._DISK_FORMAT} 0000\n".encode() + data.split(b"\n", 1)[1])
    loads = new_kernel(monkeypatch)
    assert course_cached() == course
    assert len(loads) == 1


def test_an_unwritable_data_folder_only_costs_the_load(course_copy, monkeypatch):
    (course_copy / "var").write_text("a file, not a folder")
    loads = new_kernel(monkeypatch)
    course_cached()
    disk_cache._cache.clear()
    course_cached()
    assert len(loads) == 2


def test_a_new_kernel_shows_its_questions_without_markdown_it(course_copy):
    course_cached()
    code = (
        "import sys\n"
        "from course.bank import course_cached\n"
        "from course import render\n"
        "bank = course_cached().bank('history')\n"
        "shown = [render.markdown(q.prompt) for q in bank.questions] + [render.markdown(render.WHY + q.explanation) for q in bank.questions]\n"
        "assert 'markdown_it' not in sys.modules, 'markdown-it imported'\n"
        "render._known.clear()\n"
        "assert shown == [render.markdown(q.prompt) for q in bank.questions] + [render.markdown(render.WHY + q.explanation) for q in bank.questions]\n"
        "assert 'markdown_it' in sys.modules and shown[0].startswith('<p>')\n"
    )
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
