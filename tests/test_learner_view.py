"""The learner's server, defined once (course.learner_view): its command line and environment.

The browser tests start it and drive it in Chromium (tests/browser/test_learner_view.py); these
check what `make lab` and a JupyterHub configuration get from it.
"""

from __future__ import annotations

import os
import sys

from course import config, learner_view


def test_the_command_serves_the_notebooks_with_the_course_template_and_opens_on_the_home() -> None:
    args = learner_view.command(port=8123, open_browser=False)
    assert args[:3] == [sys.executable, "-m", "jupyter_server"]
    assert f"--ServerApp.root_dir={config.notebooks_dir()}" in args
    assert "--ServerApp.port=8123" in args and "--ServerApp.open_browser=False" in args
    assert "--VoilaConfiguration.template=course" in args
    assert f"--ServerApp.contents_manager_class={learner_view.CONTENTS_MANAGER}" in args
    assert "--ServerApp.default_url=/voila/render/home.ipynb" in args
    assert "--MappingKernelManager.cull_connected=False" in args  # an open page's kernel is never ended
    assert not any("token" in a for a in args)  # a laptop keeps Jupyter Server's token


def test_an_option_given_again_replaces_the_views_own() -> None:
    """Jupyter Server refuses an option given twice; the caller's wins."""
    args = learner_view.command(extra=["--MappingKernelManager.cull_idle_timeout=5", "--ServerApp.port=9"])
    assert [a for a in args if a.startswith("--MappingKernelManager.cull_idle_timeout")] == ["--MappingKernelManager.cull_idle_timeout=5"]
    assert [a for a in args if a.startswith("--ServerApp.port=")] == ["--ServerApp.port=9"]


def test_the_server_finds_the_template_in_the_checkout_first() -> None:
    share = learner_view.share_dir()
    assert share is not None and (share / "voila" / "templates" / "course" / "index.html.j2").is_file()
    env = learner_view.environment({"JUPYTER_PATH": f"/elsewhere{os.pathsep}{share}", "HOME": "/home/x"})
    assert env["JUPYTER_PATH"] == f"{share}{os.pathsep}/elsewhere" and env["HOME"] == "/home/x"
    assert learner_view.environment({})["JUPYTER_PATH"] == str(share)


def test_server_args_for_jupyterhub_leave_the_default_url_to_the_spawner() -> None:
    assert not any("default_url" in a for a in learner_view.server_args(default_url=False))
    assert learner_view.DEFAULT_URL == "/voila/render/home.ipynb"


def test_the_kernel_pool_hands_out_a_kernel_started_in_advance_with_the_course_imported(tmp_path) -> None:
    """A page gets a kernel that was waiting, the course imported but nothing run; the culler spares the waiting one."""
    import asyncio

    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME

    from course.kernel_pool import PooledKernelManager

    async def run() -> None:
        manager = PooledKernelManager(root_dir=str(tmp_path), connection_dir=str(tmp_path), refill_delay=0.0, cull_idle_timeout=1)
        try:
            first = await manager.start_kernel(kernel_name=NATIVE_KERNEL_NAME, path="")  # no kernel waiting yet: a new one
            for _ in range(600):  # the pool fills in the background
                if manager._pool:
                    break
                await asyncio.sleep(0.05)
            (waiting,) = manager._pool
            assert waiting != first
            manager.get_kernel(waiting).last_activity -= __import__("datetime").timedelta(seconds=5)
            await manager.cull_kernel_if_idle(waiting)
            assert waiting in manager  # a waiting kernel is not culled
            handed = await manager.start_kernel(kernel_name=NATIVE_KERNEL_NAME, path="")
            assert handed == waiting and waiting not in manager._pool
            client = manager.get_kernel(handed).client()
            client.start_channels()
            try:
                found: list[str] = []
                code = (
                    "import sys; print(sorted(m for m in ('course.widgets', 'course.store', 'course.session', 'course.lesson_store') if m in sys.modules), In[1:-1], "
                    "bool(sys.modules['course.bank']._cache), 'course.widgets' in sys.modules and sys.modules['course.widgets']._store is None)"
                )
                await client.execute_interactive(code, timeout=30, output_hook=lambda m: found.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
                # imported and the banks loaded; no cell run before the page's, no store opened
                assert found == ["['course.lesson_store', 'course.session', 'course.store', 'course.widgets'] [] True True\n"]
            finally:
                client.stop_channels()
            assert await manager.start_kernel(kernel_name=NATIVE_KERNEL_NAME, path="elsewhere") not in (first, handed)  # another folder: a new kernel
        finally:
            await manager.shutdown_all(now=True)

    # In a thread of its own: another test of the session may have left this thread's event loop running.
    import threading

    failure: list[BaseException] = []
    worker = threading.Thread(target=lambda: _run_or_keep(asyncio.run, run(), failure))
    worker.start()
    worker.join(180)
    assert not worker.is_alive(), "the kernel pool test did not finish within 3 minutes"
    if failure:
        raise failure[0]


def _run_or_keep(runner, coroutine, failure: list[BaseException]) -> None:
    try:
        runner(coroutine)
    except BaseException as error:  # noqa: BLE001 - raised again in the test's thread
        failure.append(error)
