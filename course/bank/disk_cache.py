"""The loaded course kept for lesson kernels (:func:`course_cached`): in memory while no bank file
nor lesson changes, and on disk (``<data>/bank-cache/``) for the next kernel, used only when the
banks, the lessons and the code that loads them are byte for byte those it was saved from."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from course import config
from course.bank.loading import Course, bank_files, load_course


_cache: dict[str, tuple[tuple[tuple[str, float], ...], Course]] = {}


def course_cached(directory: Path | None = None) -> Course:
    """:func:`load_course`, reloaded only when a bank file changed (for lesson kernels).

    Within a process, the course is kept while no bank file nor lesson changes its modification
    time. A new process (each lesson's kernel) reads it from the disk (:func:`_load_through_disk_cache`) when the banks,
    the lessons and the code that loads them are byte for byte those it was saved from.
    """
    directory = Path(directory) if directory is not None else config.quizzes_dir()
    stamp = tuple((p.name, p.stat().st_mtime) for p in bank_files([directory])) + _lessons_stamp()
    key = str(directory.resolve())
    hit = _cache.get(key)
    if hit and hit[0] == stamp:
        return hit[1]
    loaded = _load_through_disk_cache(directory)
    _cache[key] = (stamp, loaded)
    return loaded


def _lessons_stamp() -> tuple[tuple[str, float], ...]:
    """The lesson notebooks' modification times (their metadata names the sections' roles)."""
    try:
        return tuple((p.name, p.stat().st_mtime) for p in sorted(config.notebooks_dir().glob("*.ipynb")))
    except OSError:
        return ()


# --- the loaded course kept on disk -------------------------------------------------------------
#
# Loading the banks (YAML, then every question validated by pydantic) took about 0.1-0.2 s of a
# lesson kernel's first question, in every kernel (issue 13). The course loaded once is kept in
# the data folder (``<data>/bank-cache/``) as a pickle, with what it was loaded from: the bytes of
# every bank file, of every lesson notebook (the sections' roles) and of the modules that decide
# what a bank means. It is used only when all of those are exactly as they were (hashes, not
# modification times), so an edit, a reverted file or a new course version is never served stale.
# Only a file this user owns and no one else can write is read (a pickle runs code when loaded);
# anything unexpected in it means loading the banks as usual. A failure to write it only costs the
# next kernel the load.

_DISK_FORMAT = "course.bank disk cache 2"
_CODE = ("assessment.py", "roles.py", "render.py")
"""The modules whose rules decide what a loaded course is, and how its texts are rendered (the
cache keeps the HTML of each prompt and explanation: course.render.course_texts): every module of
this package and these of ``course/`` (:func:`_code_files`). A change to one invalidates the cache,
as does another markdown-it."""


def _code_files() -> list[Path]:
    """Every ``.py`` file of ``course/bank/`` (sorted by name), then :data:`_CODE` from ``course/``."""
    package = Path(__file__).parent
    return sorted(package.glob("*.py")) + [package.parent / name for name in _CODE]


def _disk_cache_file(directory: Path) -> Path:
    where = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:24]
    return config.data_dir() / "bank-cache" / f"{where}.pickle"


def _sources_digest(directory: Path) -> str | None:
    """A hash of everything a loaded course depends on; None when a file cannot be read."""
    import pydantic

    digest = hashlib.sha256(f"{_DISK_FORMAT}\0{pydantic.VERSION}\0{directory}\0".encode())
    course_dir = Path(__file__).parent.parent
    try:
        for path in _code_files():  # named as bank/models.py, ..., assessment.py
            digest.update(path.relative_to(course_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        digest.update(b"markdown-it\0" + _markdown_it_version())
        for path in bank_files([directory]):
            digest.update(b"bank\0" + path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        lessons = config.notebooks_dir()
        digest.update(b"lessons\0" + str(lessons).encode() + b"\0")
        if lessons.is_dir():
            for path in sorted(lessons.glob("*.ipynb")):
                digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()


def _markdown_it_version() -> bytes:
    """markdown-it's own version line (its package's __init__.py), found without importing it."""
    from importlib.util import find_spec

    spec = find_spec("markdown_it")
    return Path(spec.origin).read_bytes() if spec is not None and spec.origin else b"none"


def _rendered(course: Course) -> dict[str, str]:
    from course import render

    return render.course_texts(course.banks.values())


def _load_through_disk_cache(directory: Path) -> Course:
    """:func:`load_course`, from the disk cache when it holds this very course."""
    digest = _sources_digest(directory)
    if digest is None:
        return load_course(directory)
    path = _disk_cache_file(directory)
    cached = _read_disk_cache(path, digest)
    if cached is not None:
        return cached
    loaded = load_course(directory)
    _write_disk_cache(path, digest, loaded)
    return loaded


def _read_disk_cache(path: Path, digest: str) -> Course | None:
    import pickle

    try:
        with open(path, "rb") as file:
            info = os.fstat(file.fileno())
            if info.st_uid != os.getuid() or info.st_mode & 0o022:
                return None  # someone else could have written it
            if file.readline().rstrip(b"\n") != f"{_DISK_FORMAT} {digest}".encode():
                return None  # another course, or this one before an edit
            course, rendered = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a cache that cannot be read is only a slower load
        return None
    if not isinstance(course, Course) or not isinstance(rendered, dict):
        return None
    from course import render

    render.remember(rendered)
    return course


def _write_disk_cache(path: Path, digest: str, course: Course) -> None:
    import pickle

    from course.files import replace_file  # atomic; its temporary file, and so the cache, is mode 0600

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        replace_file(path, [f"{_DISK_FORMAT} {digest}\n".encode(), pickle.dumps((course, _rendered(course)), protocol=pickle.HIGHEST_PROTOCOL)])
    except Exception:  # noqa: BLE001 - the next kernel loads the banks itself
        return
