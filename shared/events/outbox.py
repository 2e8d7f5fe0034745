"""Transactional outbox: an event is a row written in the same transaction as the business change.

The relay publishes rows and marks them sent only after the bus confirms. A row that fails is retried
later with backoff and does not hold up the rows behind it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy.ext.asyncio import AsyncSession

from shared.database import Database
from shared.events.bus import EventBus
from shared.events.envelope import EventEnvelope
from shared.events.tables import outbox_message
from shared.ids import utcnow
from shared.metrics import EVENTS_PUBLISH_FAILURES, EVENTS_PUBLISHED, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE

logger = logging.getLogger("shared.outbox")

_WROTE_EVENTS = "outbox_wrote_events"


class Outbox:
    """Writes a service's events into its own database, inside the caller's transaction."""

    def __init__(self, source: str) -> None:
        self.source = source

    async def add(
        self, session: AsyncSession, event_type: str, data: dict[str, Any], subject: str | None = None
    ) -> EventEnvelope:
        envelope = EventEnvelope.new(event_type, self.source, data, subject)
        await session.execute(
            outbox_message.insert().values(
                id=uuid.UUID(envelope.id),
                event_type=envelope.type,
                payload=envelope.to_json().decode(),
                created_at=envelope.time,
                next_attempt_at=envelope.time,
                attempts=0,
            )
        )
        session.info[_WROTE_EVENTS] = True
        return envelope


class OutboxRelay:
    """Publishes unsent outbox rows. Woken after each commit that wrote events; polls as a safety net."""

    def __init__(
        self,
        database: Database,
        bus: EventBus,
        *,
        batch_size: int = 100,
        poll_seconds: float = 1.0,
        max_backoff_seconds: float = 60.0,
        service: str = "service",
    ) -> None:
        self.service = service
        self.database = database
        self.bus = bus
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._wake = asyncio.Event()
        # One pass at a time per database in this process: the loop, a shutdown flush and the embedded
        # launcher's seeding may all ask for a pass, and SQLite ignores SKIP LOCKED, so two overlapping
        # passes would both read and publish the same rows.
        self._pass_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        database.on_commit(self._after_commit)

    def _after_commit(self, session: AsyncSession) -> None:
        if session.info.pop(_WROTE_EVENTS, False):
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, *, flush: bool = True) -> None:
        """Stop the loop; with `flush`, publish what is still unsent first (graceful shutdown)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        if flush:
            try:
                while await self.publish_batch() == self.batch_size:
                    pass
            except Exception:  # the broker may be gone at shutdown; the rows stay for the next start
                logger.warning("outbox flush at shutdown failed; unsent rows remain", exc_info=True)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()
            if self._stopping:
                break
            try:
                while await self.publish_batch() == self.batch_size and not self._stopping:
                    pass
            except Exception:
                logger.exception("outbox relay pass failed; retrying after the poll interval")

    async def publish_batch(self) -> int:
        """Publish one batch of due rows; returns how many rows it took."""
        async with self._pass_lock:
            # No database spans for the relay's polling (a root span per query, every poll); the events
            # it publishes still get their producer spans, in the trace of the request behind each.
            with suppress_instrumentation():
                return await self._publish_batch()

    async def _publish_batch(self) -> int:
        now = utcnow()
        async with self.database.transaction() as session:
            # SKIP LOCKED lets several replicas relay side by side without sending a row twice.
            query = (
                sa.select(
                    outbox_message.c.id,
                    outbox_message.c.event_type,
                    outbox_message.c.payload,
                    outbox_message.c.attempts,
                )
                .where(outbox_message.c.published_at.is_(None), outbox_message.c.next_attempt_at <= now)
                .order_by(outbox_message.c.created_at, outbox_message.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = (await session.execute(query)).all()
            if not rows:
                return 0
            envelopes = [EventEnvelope.from_json(row.payload) for row in rows]
            results = await self.bus.publish_many(envelopes)
            sent_at = utcnow()
            sent_ids = [row.id for row, result in zip(rows, results, strict=True) if result is None]
            if sent_ids:
                await session.execute(
                    outbox_message.update()
                    .where(outbox_message.c.id.in_(sent_ids))
                    .values(published_at=sent_at, attempts=outbox_message.c.attempts + 1)
                )
            for row, result in zip(rows, results, strict=True):
                if not isinstance(result, BaseException):
                    EVENTS_PUBLISHED.labels(self.service, row.event_type).inc()
                    continue
                EVENTS_PUBLISH_FAILURES.labels(self.service, row.event_type).inc()
                attempts = row.attempts + 1
                backoff = min(self.max_backoff_seconds, 0.5 * 2 ** min(attempts, 16))
                logger.warning(
                    "event publish failed; will retry",
                    extra={"event_id": str(row.id), "attempts": attempts, "error": repr(result)},
                )
                await session.execute(
                    outbox_message.update()
                    .where(outbox_message.c.id == row.id)
                    .values(
                        attempts=attempts,
                        next_attempt_at=sent_at + timedelta(seconds=backoff),
                        last_error=repr(result)[:2000],
                    )
                )
            return len(rows)

    async def backlog(self) -> tuple[int, float | None]:
        """How many rows are unsent, and the age in seconds of the oldest (for metrics)."""
        async with self.database.sessionmaker() as session:
            count, oldest = (
                await session.execute(
                    sa.select(sa.func.count(), sa.func.min(outbox_message.c.created_at)).where(
                        outbox_message.c.published_at.is_(None)
                    )
                )
            ).one()
        age = None if oldest is None else (utcnow() - oldest).total_seconds()
        OUTBOX_BACKLOG.labels(self.service).set(count)
        OUTBOX_OLDEST_AGE.labels(self.service).set(age or 0.0)
        return count, age
