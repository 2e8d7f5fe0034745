"""The periodic sweep: no open ticket stays with an owner who is inactive or on leave at ``now``.

It catches a leave that starts later (entered for next Monday) and anything the event path missed (an
event lost, nobody to take a ticket at the time). Each batch is one transaction; the pass walks the
matching tickets in id order, so a ticket nobody can take is not looked at twice in one pass. Replicas
can run it side by side: rows are taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from shared.database import Database
from ticket_service.reassignment import service

logger = logging.getLogger("ticket.reassignment")


class AbsentOwnerSweep:
    def __init__(self, database: Database, clock: Callable[[], datetime], *, batch_size: int = 200) -> None:
        self.database = database
        self.clock = clock
        self.batch_size = batch_size

    async def run_once(self, now: datetime | None = None) -> int:
        """One pass at ``now`` (the service's clock by default); returns how many tickets moved."""
        moment = now or self.clock()
        after: uuid.UUID | None = None
        moved = 0
        while True:
            async with self.database.transaction() as session:
                seen, count, after = await service.sweep_batch(
                    session, moment, after, self.batch_size, skip_locked=not self.database.is_sqlite
                )
            moved += count
            if seen < self.batch_size:
                break
        if moved:
            logger.info("tickets of absent owners reassigned", extra={"count": moved})
        return moved
