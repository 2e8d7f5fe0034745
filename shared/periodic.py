"""A background job run every N seconds inside a service's lifespan (start, then stop gracefully).

A failed pass is logged and tried again after the interval: one bad pass never stops the job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger("shared.periodic")


class PeriodicTask:
    def __init__(self, name: str, work: Callable[[], Awaitable[Any]], *, interval_seconds: float) -> None:
        self.name = name
        self.work = work
        self.interval_seconds = interval_seconds
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.work()
            except Exception:
                logger.exception("periodic task failed; retrying after the interval", extra={"task": self.name})
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval_seconds)
            except TimeoutError:
                pass
