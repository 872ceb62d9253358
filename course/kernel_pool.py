"""A lesson's kernel ready before the learner asks for it: Jupyter Server's kernel manager with a pool.

Each page of the learner's view runs its lesson in a new kernel, and starting one (Python, IPython,
ipykernel, then ``import course.widgets``) was about 0.8 s of the 2.5 s a learner waited for a
lesson's first question. :class:`PooledKernelManager` keeps :attr:`~PooledKernelManager.pool_size`
kernels started, with the course already imported and its banks loaded in them (:data:`WARM_UP`), and hands one out when a page asks for
a kernel; it starts a replacement a moment later (after the page has been drawn, so the two do not
compete for the processor).

Nothing of the learner is in a pooled kernel: no lesson has run in it, no name, no answer, no
progress has been read. The lesson runs when the page is opened, as without the pool, so what it
shows is never older than the page. (Voilà's own "preheated kernels" run the whole notebook
beforehand — the progress shown would be as old as the kernel — and work only in Voilà's own
server, not in Jupyter Server, which the learner's view and JupyterHub use.)

A pooled kernel waits with no page connected: the idle culler leaves it alone. ``pool_size = 0``
turns the pool off. Used by :mod:`course.learner_view` (``--ServerApp.kernel_manager_class``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from traitlets import Float, Integer, Unicode

WARM_UP = """\
import course.widgets, course.lesson_store, course.session, course.bank, course.store, course.render
try:
    course.bank.course_cached()  # the banks, loaded (or read from the disk cache) before the page asks
    course.render.markdown("*ready*")  # the Markdown parser built
except Exception:
    pass  # a broken bank: the lesson's page says so, as without the pool
"""
"""What a pooled kernel does before it waits: the course's modules imported, the banks loaded and
the Markdown parser built -- the course's own content, the same for every learner; nothing of the
learner (no name, answer or progress is read: the lesson's cells run when its page opens)."""


class PooledKernelManager(AsyncMappingKernelManager):
    """Jupyter Server's kernel manager, handing out kernels started (and warmed up) in advance."""

    pool_size = Integer(1, config=True, help="How many kernels to keep started in advance (0: none).")
    warm_up = Unicode(WARM_UP, config=True, help="Code run in a pooled kernel before it is handed out.")
    refill_delay = Float(2.0, config=True, help="Seconds to wait after handing out a kernel before starting its replacement.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pool: dict[str, tuple[str, str]] = {}  # kernel id -> (kernel name, path)
        self._filling: asyncio.Task[None] | None = None  # the pool fills after the first page's kernel

    async def start_kernel(self, *, kernel_id: str | None = None, path: str | None = None, **kwargs: Any) -> str:
        """A pooled kernel when one fits (same kernel and folder, no id asked for), else a new one."""
        if kernel_id is None and not kwargs.get("kernel_id"):
            wanted = (kwargs.get("kernel_name") or self.default_kernel_name, path or "")
            for pooled, fits in list(self._pool.items()):
                if fits != wanted:
                    continue
                del self._pool[pooled]
                if pooled not in self:
                    continue  # ended meanwhile
                kernel = self.get_kernel(pooled)
                kernel.last_activity = utcnow()  # type: ignore[attr-defined]
                self.log.info("Kernel handed out from the pool: %s", pooled)
                self._fill_later(self.refill_delay)
                return pooled
        started = await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        self._fill_later(self.refill_delay)
        return started

    async def shutdown_kernel(self, kernel_id: str, now: bool = False, restart: bool = False) -> None:
        self._pool.pop(kernel_id, None)
        await super().shutdown_kernel(kernel_id, now=now, restart=restart)

    async def shutdown_all(self, now: bool = False) -> None:
        """End every kernel, the pool's too (and stop filling it)."""
        self.pool_size = 0
        if self._filling is not None and not self._filling.done():
            self._filling.cancel()
            try:
                await self._filling
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - ending anyway
                pass
        self._pool.clear()
        await super().shutdown_all(now=now)

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        if kernel_id in self._pool:
            return  # waiting for a page, not left behind by one
        await super().cull_kernel_if_idle(kernel_id)

    # --- filling the pool ------------------------------------------------------------------------

    def _fill_later(self, delay: float) -> None:
        if self.pool_size <= 0 or (self._filling is not None and not self._filling.done()):
            return
        self._filling = asyncio.ensure_future(self._fill(delay))

    async def _fill(self, delay: float) -> None:
        await asyncio.sleep(delay)
        while len(self._pool) < self.pool_size:
            try:
                kernel_id = await super().start_kernel(path="", kernel_name=self.default_kernel_name)
                await self._warm(kernel_id)
            except Exception:  # noqa: BLE001 - a pool that cannot fill only means slower pages
                self.log.exception("A kernel for the pool could not be started; pages start their own.")
                return
            if kernel_id in self:
                self._pool[kernel_id] = (self.get_kernel(kernel_id).kernel_name, "")

    async def _warm(self, kernel_id: str) -> None:
        if not self.warm_up.strip():
            return
        client = self.get_kernel(kernel_id).client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive(self.warm_up, timeout=60, store_history=False, output_hook=lambda _msg: None)
            if reply["content"].get("status") != "ok":
                self.log.warning("Warming a pooled kernel up failed: %s", reply["content"].get("evalue"))
        finally:
            client.stop_channels()
