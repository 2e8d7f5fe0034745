"""The periodic SLA checker: finds tickets whose next due time has come, escalates breaches and warns
at 50% and 80% of each budget before them (``sla_warnings.py``).

It reads only tickets whose ``sla_check_at`` (the earliest breach or warning still to come) has passed
(an index), so its cost follows the number of due tickets, not the size of the table. Several replicas
can run it: rows are taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from shared.database import Database
from ticket_service.tickets import repository, service
from ticket_service.tickets.sla import SlaPolicy

logger = logging.getLogger("ticket.sla_checker")

MAX_BATCHES_PER_TICK = 10


class SlaChecker:
    def __init__(
        self,
        database: Database,
        policy: SlaPolicy,
        clock: Callable[[], datetime],
        *,
        interval_seconds: float = 30.0,
        batch_size: int = 200,
    ) -> None:
        self.database = database
        self.policy = policy
        self.clock = clock
        self.interval_seconds = interval_seconds
        self.batch_size = batch_size
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def run_once(self, now: datetime | None = None) -> int:
        """One pass at ``now`` (the service's clock by default). Returns how many tickets breached."""
        moment = now or self.clock()
        breached = 0
        for _ in range(MAX_BATCHES_PER_TICK):
            async with self.database.transaction() as session:
                tickets = await repository.due_for_sla_check(
                    session, moment, self.batch_size, skip_locked=not self.database.is_sqlite
                )
                for ticket in tickets:
                    if await service.check_breaches(session, ticket, self.policy, moment):
                        breached += 1
            if len(tickets) < self.batch_size:
                break
        return breached

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="sla-checker")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                count = await self.run_once()
                if count:
                    logger.info("sla breaches escalated", extra={"count": count})
            except Exception:
                logger.exception("sla check failed; retrying after the interval")
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval_seconds)
            except TimeoutError:
                pass
