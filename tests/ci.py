"""The rule for tests of real parts (PostgreSQL, Chromium, JupyterHub, system tools): where the part
cannot be had, skip on a developer's machine with how to enable it; fail with ``CI=true``, where
every test must run."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """Whether this run is CI's (``CI=true``, as ``.ci/run`` runs)."""
    return os.environ.get("CI", "").strip().lower() == "true"


def unavailable(skip: str, fail: str | None = None, *, allow_module_level: bool = False) -> NoReturn:
    """Skip with ``skip``; under CI fail with ``fail`` (default: ``skip``) instead."""
    if in_ci():
        pytest.fail(fail or skip, pytrace=False)
    pytest.skip(skip, allow_module_level=allow_module_level)
