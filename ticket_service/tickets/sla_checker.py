"""The periodic SLA checker: finds tickets whose next due time has come, escalates breaches and warns
at 50% and 80% of each budget before them (``sla_warnings.py``).

It reads only tickets whose ``sla_check_at`` (the earliest breach or warning still to come) has passed
(an index), so its cost follows the number of due tickets, not the size of the table. Several replicas
can run it: rows are taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL. The loop is the kernel's
``shared.periodic.PeriodicTask``: a failed pass is logged and tried again after the interval.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from shared.database import Database
from shared.periodic import PeriodicTask
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
        self.batch_size = batch_size
        self.periodic = PeriodicTask("sla-checker", self.run_once, interval_seconds=interval_seconds, service="ticket")

    @property
    def interval_seconds(self) -> float:
        return self.periodic.interval_seconds

    @property
    def running(self) -> bool:
        return self.periodic.running

    def start(self) -> None:
        self.periodic.start()

    async def stop(self) -> None:
        await self.periodic.stop()

    async def run_once(self, now: datetime | None = None) -> int:
        """One pass at ``now`` (the service's clock by default): at most ``MAX_BATCHES_PER_TICK`` batches,
        each its own transaction. Returns how many tickets breached."""
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
        if breached:
            logger.info("sla breaches escalated", extra={"count": breached})
        return breached
