"""The learner's view of the course, defined once: Voilà served by Jupyter Server.

A learner opens the course home (``notebooks/home.ipynb``) and each lesson as a page of text,
figures and questions, rendered by Voilà with the course's template
(``share/jupyter/voila/templates/course``): no code, nothing to run by hand; each lesson runs as it
opens. ``make lab`` starts it on a laptop (``python -m course.learner_view``), the browser tests
start it the same way, and a JupyterHub configuration imports :func:`server_args`,
:data:`DEFAULT_URL` and :func:`environment` for the learners' servers.

- :data:`TEMPLATE`: the course's Voilà template (cells tagged ``static-only`` left out, no CDN
  stylesheets, a readable column). Voilà finds it on ``JUPYTER_PATH``: :func:`environment` puts
  the checkout's ``share/jupyter`` first when there is one (an installed package puts the
  template under ``<prefix>/share/jupyter``, which Jupyter searches anyway).
- :data:`CONTENTS_MANAGER`: Jupyter Server's synchronous contents manager. Voilà 0.5 inlines a
  lesson's Markdown images through the contents manager and fails with the asynchronous default
  of Jupyter Server 2 (the page ends with a ``TypeError`` at the first figure).
- :data:`DEFAULT_URL`: the course home, where ``/`` leads.
- :data:`KERNEL_MANAGER`: Jupyter Server's kernel manager with a kernel started in advance, the
  course imported in it (:mod:`course.kernel_pool`): a lesson's first question is usable about
  0.8 s sooner. No lesson runs in it before the page asks, so nothing it shows is stale.
- Kernels of pages left behind are ended: each page a learner opens runs its lesson in a kernel
  of its own, and Voilà served by Jupyter Server does not end it when the page is closed. Jupyter
  Server's culler ends a kernel no page is connected to once it has been idle for
  :data:`CULL_AFTER` seconds (an open page stays connected, however long the learner reads; a
  laptop that slept reconnects within that time).

::

    python -m course.learner_view [--port N] [--no-browser] [more Jupyter Server options]

runs ``jupyter server`` with these settings in this process (``exec``), serving
``COURSE_NOTEBOOKS_DIR`` (default ``notebooks/``). It keeps Jupyter Server's token, as a laptop
should; it adds ``--allow-root`` when run as root (containers).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from course import config

TEMPLATE = "course"
HOME = "home.ipynb"
DEFAULT_URL = f"/voila/render/{HOME}"
CONTENTS_MANAGER = "jupyter_server.services.contents.filemanager.FileContentsManager"
KERNEL_MANAGER = "course.kernel_pool.PooledKernelManager"
DEFAULT_PORT = 8888
CULL_AFTER = 600
"""Seconds a kernel with no page connected may stay idle before it is ended."""
CULL_EVERY = 60


def share_dir() -> Path | None:
    """The checkout's ``share/jupyter`` (holding the course's Voilà template), or None when installed."""
    candidate = config.PROJECT_ROOT / "share" / "jupyter"
    return candidate if (candidate / "voila" / "templates" / TEMPLATE).is_dir() else None


def jupyter_path(existing: str | None = None) -> str | None:
    """``JUPYTER_PATH`` with the checkout's ``share/jupyter`` first (``existing`` kept after it)."""
    parts = [str(p) for p in [share_dir()] if p is not None]
    parts += [p for p in (existing or "").split(os.pathsep) if p and p not in parts]
    return os.pathsep.join(parts) or None


def environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with ``JUPYTER_PATH`` set for the template."""
    env = dict(os.environ if base is None else base)
    path = jupyter_path(env.get("JUPYTER_PATH"))
    if path:
        env["JUPYTER_PATH"] = path
    return env


def server_args(*, default_url: bool = True) -> list[str]:
    """The Jupyter Server options of the learner's view (also for JupyterHub's ``Spawner.args``)."""
    args = [
        f"--VoilaConfiguration.template={TEMPLATE}",
        f"--ServerApp.contents_manager_class={CONTENTS_MANAGER}",
        f"--ServerApp.kernel_manager_class={KERNEL_MANAGER}",
        f"--MappingKernelManager.cull_idle_timeout={CULL_AFTER}",
        f"--MappingKernelManager.cull_interval={CULL_EVERY}",
        "--MappingKernelManager.cull_connected=False",
    ]
    if default_url:
        args.append(f"--ServerApp.default_url={DEFAULT_URL}")
    return args


def _option(arg: str) -> str:
    return arg.split("=", 1)[0]


def command(*, port: int = DEFAULT_PORT, open_browser: bool = True, root_dir: Path | None = None, extra: Sequence[str] = ()) -> list[str]:
    """The whole command line: this Python's ``jupyter server`` with the learner's view.

    An option in ``extra`` replaces the view's own (Jupyter Server refuses an option given twice).
    """
    args = [
        f"--ServerApp.root_dir={root_dir or config.notebooks_dir()}",
        f"--ServerApp.port={port}",
        f"--ServerApp.open_browser={open_browser}",
        *server_args(),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")  # Jupyter Server refuses root without it (containers)
    replaced = {_option(arg) for arg in extra}
    return [sys.executable, "-m", "jupyter_server", *[a for a in args if _option(a) not in replaced], *extra]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m course.learner_view",
        allow_abbrev=False,
        description="Serve the course as a learner sees it (Voilà on Jupyter Server, opening on the course home).",
        epilog="Other arguments are passed to jupyter server (e.g. --ServerApp.ip=0.0.0.0).",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT}; the next free one if taken)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    options, extra = parser.parse_known_args(argv)
    args = command(port=options.port, open_browser=not options.no_browser, extra=extra)
    sys.stdout.flush()
    os.execve(sys.executable, args, environment())


if __name__ == "__main__":
    main()
