"""Who the learner is.

In order: ``JUPYTERHUB_USER`` (the course runs on JupyterHub), else ``COURSE_LEARNER``, else the
name the learner set once in the welcome lesson, remembered in ``learner.json`` in the data
folder (see :mod:`course.config`). Without any of these there is no learner, and the quizzes
ask for a name instead of storing anonymous answers.
"""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

from course import config
from course.safe_text import FORMULA_STARTS

MAX_NAME_LENGTH = 80


class InvalidName(ValueError):
    """The name cannot be used; the message says why, in a learner's words."""


def _remembered_file() -> Path:
    return config.data_dir() / "learner.json"


def clean_name(name: object) -> str:
    """The name with surrounding and repeated spaces removed; raise :class:`InvalidName` if unusable."""
    if not isinstance(name, str):
        raise InvalidName("Please type your name.")
    text = " ".join(unicodedata.normalize("NFC", name).split())
    if not text:
        raise InvalidName("Please type your name.")
    if len(text) > MAX_NAME_LENGTH:
        raise InvalidName(f"Please use at most {MAX_NAME_LENGTH} characters.")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise InvalidName("Please use letters, digits, spaces and ordinary punctuation only.")
    if text.startswith(FORMULA_STARTS):  # read as a formula by a spreadsheet (every CSV cell is also made safe)
        raise InvalidName(f"Please start your name with a letter (not “{text[0]}”).")
    return text


def source() -> str | None:
    """Where the current name comes from: 'jupyterhub', 'environment', 'remembered' or None."""
    if os.environ.get("JUPYTERHUB_USER", "").strip():
        return "jupyterhub"
    if os.environ.get("COURSE_LEARNER", "").strip():
        return "environment"
    if remembered() is not None:
        return "remembered"
    return None


def remembered() -> str | None:
    """The name remembered from an earlier session, or None (also when the file is unreadable)."""
    try:
        data = json.loads(_remembered_file().read_text(encoding="utf-8"))
        return clean_name(data.get("name"))
    except (OSError, ValueError, AttributeError):
        return None


def current_learner() -> str | None:
    """The learner's name, or None when nobody has set one."""
    for variable in ("JUPYTERHUB_USER", "COURSE_LEARNER"):
        value = os.environ.get(variable, "").strip()
        if value:
            try:
                return clean_name(value)
            except InvalidName:
                continue
    return remembered()


def remember(name: str) -> str:
    """Remember ``name`` for later sessions (atomically); return the cleaned name."""
    cleaned = clean_name(name)
    path = _remembered_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"name": cleaned}), encoding="utf-8")
    os.replace(tmp, path)
    return cleaned


def forget() -> None:
    """Forget the remembered name (for a shared computer)."""
    try:
        _remembered_file().unlink()
    except FileNotFoundError:
        pass
