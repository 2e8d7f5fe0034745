"""A background job run every N seconds inside a service's lifespan (start, then stop gracefully).

A failed pass is logged and tried again after the interval: one bad pass never stops the job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.database import Database

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


class BatchedPass:
    """One pass of work done in batches, each in its own transaction, until a batch comes back short
    (e.g. anonymising what outlived its retention period). `run_once(now)` returns how many were done."""

    def __init__(
        self,
        database: Database,
        batch: Callable[[AsyncSession, datetime, int], Awaitable[int]],
        clock: Callable[[], datetime],
        *,
        batch_size: int,
        done: str,
    ) -> None:
        self.database = database
        self.batch = batch
        self.clock = clock
        self.batch_size = batch_size
        self.done = done  # logged with the count when a pass did anything

    async def run_once(self, now: datetime | None = None) -> int:
        moment = now or self.clock()
        total = 0
        while True:
            async with self.database.transaction() as session:
                count = await self.batch(session, moment, self.batch_size)
            total += count
            if count < self.batch_size:
                break
        if total:
            logger.info(self.done, extra={"count": total})
        return total
