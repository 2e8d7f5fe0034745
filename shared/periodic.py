"""A background job run every N seconds inside a service's lifespan (start, then stop gracefully).

A failed pass is logged and tried again after the interval: one bad pass never stops the job.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.database import Database
from shared.metrics import PERIODIC_INTERVAL, PERIODIC_LAST_SUCCESS

logger = logging.getLogger("shared.periodic")

# A task counts as stale once it has not succeeded for this many of its intervals (one slow or failed pass
# is normal; three in a row is a job that stopped or keeps failing).
STALE_AFTER_INTERVALS = 3

# The tasks started in this process, by (service, task name): what `/readyz` reports. The embedded mode runs
# every service in one process, hence the service in the key.
_STARTED: dict[tuple[str, str], PeriodicTask] = {}


class PeriodicTask:
    def __init__(self, name: str, work: Callable[[], Awaitable[Any]], *, interval_seconds: float, service: str) -> None:
        self.name = name
        self.work = work
        self.interval_seconds = interval_seconds
        self.service = service
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.started_at: float | None = None  # unix time
        self.last_success: float | None = None  # unix time of the last pass that did not raise

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._stopping.clear()
        self.started_at = time.time()
        _STARTED[(self.service, self.name)] = self
        PERIODIC_INTERVAL.labels(self.service, self.name).set(self.interval_seconds)
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stopping.set()
        if _STARTED.get((self.service, self.name)) is self:
            del _STARTED[(self.service, self.name)]
        if self._task is not None:
            await self._task
            self._task = None

    def state(self, now: float) -> tuple[bool, str]:
        """(healthy, what an operator reads): stale when no pass succeeded for STALE_AFTER_INTERVALS intervals."""
        since = self.last_success if self.last_success is not None else self.started_at
        if not self.running:
            return False, "stopped"
        if since is None or now - since <= STALE_AFTER_INTERVALS * self.interval_seconds:
            last = "never yet" if self.last_success is None else f"{now - self.last_success:.0f} s ago"
            return True, f"last success {last}, every {self.interval_seconds:g} s"
        last = "never" if self.last_success is None else f"{now - self.last_success:.0f} s ago"
        return False, f"stale: last success {last}, every {self.interval_seconds:g} s"

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.work()
            except Exception:
                logger.exception("periodic task failed; retrying after the interval", extra={"task": self.name})
            else:
                self.last_success = time.time()
                PERIODIC_LAST_SUCCESS.labels(self.service, self.name).set(self.last_success)
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval_seconds)
            except TimeoutError:
                pass


def started_tasks(service: str) -> list[PeriodicTask]:
    """The periodic tasks this process runs for `service`, by name."""
    return sorted((task for (owner, _), task in _STARTED.items() if owner == service), key=lambda task: task.name)


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
