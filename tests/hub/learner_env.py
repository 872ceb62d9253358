"""A Python environment that the learners' OS users can execute: the tests' own .venv, relinked.

The tests' ``.venv`` cannot be used by another OS user as it is: its interpreter is a symlink into
the base Python (here ``/root/.pyenv/versions/3.11.7``, inside ``/root``, mode 0700), its scripts'
shebangs point into the checkout (which the hub tests hide), and ``course`` is an editable install
that maps to the checkout. :func:`build` makes, in a folder the learners can read:

- ``interp/``: the base interpreter, *only if the learners cannot reach it* (Debian's
  ``/usr/bin/python3.11`` as the base needs no copy): the executable copied, ``libpython`` and the
  standard library (without ``site-packages`` and ``test/``) hard-linked. pyenv links the
  executable with an absolute RUNPATH (``<base>/lib``) for ``libpython3.11.so``; in the copy that
  entry is rewritten to ``$ORIGIN/../lib`` (same-length-or-shorter string in ``.dynstr``), so the
  copy loads its own ``libpython`` without ``LD_LIBRARY_PATH``. Where that cannot be done,
  :attr:`LearnerEnv.environment` carries ``LD_LIBRARY_PATH`` instead.
- ``venv/``: ``python -m venv --without-pip`` with that interpreter, then ``.venv``'s
  ``site-packages``, ``share/`` and ``etc/`` hard-linked into it, minus the editable install's
  ``.pth``/finder and ``direct_url.json``, plus a plain copy of ``course/`` (never ``quizzes/``)
  and of the project's ``share/`` (its Voila template), as installing the package would put it.

Hard links make this take about half a second (measured: 0.1 s for the standard library, 0.35 s
for 29k files of site-packages); a fresh ``pip install`` of the same packages into a Debian-Python
venv took 40-60 s and cannot even reproduce .venv's versions (some need Python >= 3.11.5, Debian 12
has 3.11.2). Because it is that cheap it is rebuilt every session: nothing can be stale.

Hard-linked files share their inode with the original: never write into them (only unlink or
replace). Everything stays owned by root; the learners can read and execute, not write.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import struct
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

EDITABLE_MARKERS = ("__editable__", "__editable___")


class LearnerEnvError(RuntimeError):
    """The learner environment could not be built; the message says why."""


@dataclass
class LearnerEnv:
    root: Path
    python: Path  # <root>/venv/bin/python
    prefix: Path  # <root>/venv
    interpreter_copied: bool
    environment: dict[str, str] = field(default_factory=dict)  # to add to the learners' env
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def bin(self) -> Path:
        return self.prefix / "bin"


def build(dest: Path, venv: Path, course_src: Path, share_src: Path | None = None) -> LearnerEnv:
    """Make the learner environment in ``dest`` (which must not exist) from ``venv``.

    ``share_src`` (the project's ``share/``, e.g. its Voila template) is copied over the
    environment's ``share/``, as installing the package would (its data-files).
    """
    umask = os.umask(0o022)  # new folders (also those venv makes) readable by the learners
    try:
        return _build(dest.absolute(), venv.absolute(), course_src.absolute(), share_src)
    finally:
        os.umask(umask)


def _build(dest: Path, venv: Path, course_src: Path, share_src: Path | None) -> LearnerEnv:
    timings: dict[str, float] = {}
    started = time.monotonic()
    info = _interpreter_info(venv / "bin" / "python")
    dest.mkdir()
    environment: dict[str, str] = {}

    base_python = Path(info["executable"])
    if world_reachable(base_python) and world_reachable(Path(info["stdlib"]) / "os.py"):
        interpreter = base_python
        copied = False
    else:
        interpreter, environment = _copy_interpreter(info, dest / "interp")
        copied = True
    timings["interpreter"] = time.monotonic() - started

    mark = time.monotonic()
    prefix = dest / "venv"
    _run([str(interpreter), "-m", "venv", "--without-pip", str(prefix)], environment)
    version = info["version"]
    site = prefix / "lib" / f"python{version}" / "site-packages"
    shutil.rmtree(site)
    link_tree(Path(info["venv_site"]), site, ignore=_ignore_editable)
    for name in ("share", "etc"):
        if (venv / name).is_dir():
            link_tree(venv / name, prefix / name)
    # The editable install's metadata says where the checkout is; the copy is a plain one.
    for direct_url in site.glob("ketamine_course-*.dist-info/direct_url.json"):
        direct_url.unlink()
    timings["site-packages"] = time.monotonic() - mark

    mark = time.monotonic()
    shutil.copytree(course_src, site / "course", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if share_src is not None and share_src.is_dir():
        overlay_copy(share_src, prefix / "share")
    timings["course copy"] = time.monotonic() - mark

    python = prefix / "bin" / "python"
    check = _run([str(python), "-c", "import course, jupyterhub, ipykernel; print(course.__file__)"], environment, cwd=dest)
    if not check.strip().startswith(str(site)):
        raise LearnerEnvError(f"course in the learner environment comes from {check.strip()}, not {site}")
    timings["total"] = time.monotonic() - started
    return LearnerEnv(root=dest, python=python, prefix=prefix, interpreter_copied=copied, environment=environment, timings=timings)


def world_reachable(path: Path) -> bool:
    """Whether any user can reach ``path``: every parent searchable (o+x), the target readable."""
    path = Path(os.path.realpath(path))
    try:
        if not os.stat(path).st_mode & stat.S_IROTH:
            return False
        return all(os.stat(parent).st_mode & stat.S_IXOTH for parent in path.parents)
    except OSError:
        return False


def link_tree(src: Path, dst: Path, ignore=None) -> None:
    """A copy of ``src`` made of hard links (symlinks kept as symlinks); copies across devices."""

    shutil.copytree(src, dst, symlinks=True, ignore=ignore, copy_function=link_or_copy)


def link_or_copy(source: str | Path, target: str | Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(source, target)


def overlay_copy(src: Path, dst: Path) -> None:
    """Copy every file of ``src`` into ``dst``, replacing what is there.

    A file already in ``dst`` may be a hard link into .venv: it is unlinked first, so that the
    copy is a new file and the original stays as it was.
    """
    for path in src.rglob("*"):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            target.unlink()
        shutil.copy2(path, target)


def _ignore_editable(directory: str, names: list[str]) -> set[str]:
    return {name for name in names if name.startswith(EDITABLE_MARKERS)}


def _interpreter_info(python: Path) -> dict[str, str]:
    code = (
        "import json, os, sys, sysconfig;"
        "print(json.dumps({'executable': os.path.realpath(sys._base_executable),"
        " 'base_prefix': sys.base_prefix, 'version': '%d.%d' % sys.version_info[:2],"
        " 'stdlib': sysconfig.get_path('stdlib'), 'venv_site': sysconfig.get_path('purelib'),"
        " 'libdir': sysconfig.get_config_var('LIBDIR') or '',"
        " 'ldlibrary': sysconfig.get_config_var('INSTSONAME') or '',"
        " 'shared': bool(sysconfig.get_config_var('Py_ENABLE_SHARED'))}))"
    )
    return json.loads(_run([str(python), "-c", code], {}))


def _copy_interpreter(info: dict, dest: Path) -> tuple[Path, dict[str, str]]:
    """Copy the base interpreter to ``dest``; return its executable and any env it needs."""
    base = Path(info["base_prefix"])
    version = info["version"]
    (dest / "bin").mkdir(parents=True)
    (dest / "lib").mkdir()
    executable = dest / "bin" / f"python{version}"
    shutil.copy2(info["executable"], executable)  # a real copy: it is patched below
    stdlib = Path(info["stdlib"])
    top = str(stdlib)
    link_tree(stdlib, dest / "lib" / f"python{version}", ignore=lambda d, n: {"site-packages", "test"} & set(n) if d == top else set())
    environment: dict[str, str] = {}
    if info["shared"]:
        libdir = Path(info["libdir"])
        for library in libdir.glob(f"libpython{version}*.so*"):
            target = dest / "lib" / library.name
            if library.is_symlink():
                target.symlink_to(os.readlink(library))
            else:
                link_or_copy(library, target)
        if not _relocate_runpath(executable, base, dest):
            environment["LD_LIBRARY_PATH"] = str(dest / "lib")
    return executable, environment


# --- rewriting an absolute RUNPATH to $ORIGIN (ELF64, little-endian) ---------------------------

DT_NULL, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 5, 15, 29
PT_LOAD, PT_DYNAMIC = 1, 2


def _relocate_runpath(executable: Path, base: Path, dest: Path) -> bool:
    """Rewrite RUNPATH/RPATH entries under ``base`` to ``$ORIGIN``-relative ones, in place.

    True when nothing points under ``base`` any more (also when there was nothing to do); False
    when the file is not a little-endian ELF64 or the new string would not fit.
    """
    data = bytearray(executable.read_bytes())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return False
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dynamic = [], None
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return True
    entries, strtab = [], None
    for offset in range(dynamic[0], dynamic[0] + dynamic[1], 16):
        tag, value = struct.unpack_from("<qQ", data, offset)
        if tag == DT_NULL:
            break
        if tag == DT_STRTAB:
            strtab = value
        elif tag in (DT_RPATH, DT_RUNPATH):
            entries.append(value)
    if not entries:
        return True
    if strtab is None:
        return False
    table = next((off + strtab - vaddr for vaddr, off, size in loads if vaddr <= strtab < vaddr + size), None)
    if table is None:
        return False
    origin = dest / "bin"
    for entry in entries:
        start = table + entry
        end = data.index(b"\0", start)
        old = data[start:end].decode()
        parts = []
        for part in old.split(":"):
            if part == str(base) or part.startswith(str(base) + "/"):
                part = "$ORIGIN/" + os.path.relpath(dest / os.path.relpath(part, base), origin)
            parts.append(part)
        new = ":".join(parts).encode()
        if len(new) > end - start:
            return False
        data[start:end] = new + b"\0" * (end - start - len(new))
    executable.write_bytes(bytes(data))  # the copy made by _copy_interpreter, never a hard link
    return True


def _run(command: list[str], environment: dict[str, str], cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(environment)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=cwd or "/")
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LearnerEnvError(f"{command[0]} failed: {error}") from error
    if result.returncode != 0:
        raise LearnerEnvError(f"{' '.join(command)} exited with {result.returncode}: {result.stderr.strip()[-2000:]}")
    return result.stdout
