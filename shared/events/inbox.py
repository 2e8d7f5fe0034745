"""Inbox: each consumed event is handled once per consumer, whatever the broker redelivers.

The (message id, consumer) row is written in the handler's own transaction, so either the handler's
effect and the row are both committed, or neither is and the redelivery runs the handler again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from opentelemetry.trace import SpanKind
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.context import request_id_var, traceparent_var
from shared.database import Database, affected_rows
from shared.events.bus import EventBus, matches
from shared.events.envelope import EventEnvelope
from shared.events.tables import inbox_message
from shared.ids import utcnow
from shared.metrics import EVENTS_CONSUMED
from shared.tracing import span

logger = logging.getLogger("shared.inbox")

SessionHandler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]
# Handles a run of events of its types in one go (one statement for many rows) inside the caller's
# transaction; the events are new to this consumer and in the order they were published.
ManySessionHandler = Callable[[AsyncSession, list[EventEnvelope]], Awaitable[None]]


class EventConsumer:
    """The events one service consumes, and what it does with each."""

    def __init__(self, name: str, database: Database | None = None) -> None:
        self.name = name
        self.database = database
        self._handlers: dict[str, SessionHandler] = {}
        self._many_handlers: dict[str, ManySessionHandler] = {}

    def on_many(self, *event_types: str) -> Callable[[ManySessionHandler], ManySessionHandler]:
        """Registers a handler of many events at once, for types that arrive in thousands (a district's
        staff when the catalogue seeds). A single event reaches it as a list of one."""

        def register(handler: ManySessionHandler) -> ManySessionHandler:
            for event_type in event_types:
                self._many_handlers[event_type] = handler

                async def one(
                    session: AsyncSession, envelope: EventEnvelope, many: ManySessionHandler = handler
                ) -> None:
                    await many(session, [envelope])

                self._handlers[event_type] = one
            return handler

        return register

    def on(self, *event_types: str) -> Callable[[SessionHandler], SessionHandler]:
        def register(handler: SessionHandler) -> SessionHandler:
            for event_type in event_types:
                self._handlers[event_type] = handler
            return handler

        return register

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    def bind(self, database: Database, bus: EventBus) -> None:
        self.database = database
        bus.subscribe(self.name, self.event_types, self.handle, self.handle_batch)

    def _handler_for(self, event_type: str) -> SessionHandler | None:
        handler = self._handlers.get(event_type)
        if handler is not None:
            return handler
        for pattern, candidate in self._handlers.items():
            if matches(pattern, event_type):
                return candidate
        return None

    async def handle(self, envelope: EventEnvelope) -> bool:
        """Run the handler once for this message id. Returns False when it was a duplicate."""
        assert self.database is not None, "bind() the consumer to its database first"
        handler = self._handler_for(envelope.type)
        if handler is None:
            return False
        request_token = request_id_var.set(envelope.request_id)
        trace_token = traceparent_var.set(envelope.traceparent)
        try:
            with span(f"consume {envelope.type}", SpanKind.CONSUMER, envelope.traceparent, self.name):
                return await self._handle_once(handler, envelope)
        except Exception:
            EVENTS_CONSUMED.labels(self.name, envelope.type, "failed").inc()
            raise
        finally:
            request_id_var.reset(request_token)
            traceparent_var.reset(trace_token)

    async def _handle_once(self, handler: SessionHandler, envelope: EventEnvelope) -> bool:
        assert self.database is not None
        async with self.database.transaction() as session:
            handled = await self._run_in(session, handler, envelope)
        EVENTS_CONSUMED.labels(self.name, envelope.type, "handled" if handled else "duplicate").inc()
        return handled

    async def _run_in(self, session: AsyncSession, handler: SessionHandler, envelope: EventEnvelope) -> bool:
        """Record the message in the inbox and run the handler, in the caller's transaction."""
        assert self.database is not None
        insert = sqlite_insert if self.database.is_sqlite else postgresql_insert
        result = await session.execute(
            insert(inbox_message)
            .values(message_id=envelope.id, consumer=self.name, event_type=envelope.type, received_at=utcnow())
            .on_conflict_do_nothing()
        )
        if affected_rows(result) == 0:
            logger.info("duplicate event ignored", extra={"event_id": envelope.id, "consumer": self.name})
            return False
        await handler(session, envelope)
        return True

    async def _record_new(self, session: AsyncSession, envelopes: list[EventEnvelope]) -> set[str]:
        """Writes the inbox rows of many events in one statement; returns the ids not seen before."""
        assert self.database is not None
        insert = sqlite_insert if self.database.is_sqlite else postgresql_insert
        received_at = utcnow()
        new_ids: set[str] = set()
        # Bounded statements: SQLite allows 32,766 bound parameters, four per row here.
        for start in range(0, len(envelopes), 1000):
            chunk = envelopes[start : start + 1000]
            statement = (
                insert(inbox_message)
                .values(
                    [
                        {
                            "message_id": envelope.id,
                            "consumer": self.name,
                            "event_type": envelope.type,
                            "received_at": received_at,
                        }
                        for envelope in chunk
                    ]
                )
                .on_conflict_do_nothing()
                .returning(inbox_message.c.message_id)
            )
            new_ids.update(str(message_id) for message_id in (await session.execute(statement)).scalars())
        return new_ids

    async def handle_batch(self, envelopes: list[EventEnvelope]) -> None:
        """Many events in one transaction (the embedded mode's bulk path, e.g. seeding a district): one
        inbox statement for all, and a run of events sharing a many-events handler in one call.
        All or nothing: if one fails the caller delivers them one by one."""
        assert self.database is not None, "bind() the consumer to its database first"
        handled = [envelope for envelope in envelopes if self._handler_for(envelope.type) is not None]
        outcomes: list[tuple[str, bool]] = []
        async with self.database.transaction() as session:
            new_ids = await self._record_new(session, handled)
            fresh: list[EventEnvelope] = []
            for envelope in handled:
                is_new = envelope.id in new_ids
                new_ids.discard(envelope.id)  # the same id twice in one batch runs once
                outcomes.append((envelope.type, is_new))
                if is_new:
                    fresh.append(envelope)
                else:
                    logger.info("duplicate event ignored", extra={"event_id": envelope.id, "consumer": self.name})
            index = 0
            while index < len(fresh):
                many = self._many_handlers.get(fresh[index].type)
                end = index + 1
                if many is not None:
                    while end < len(fresh) and self._many_handlers.get(fresh[end].type) is many:
                        end += 1
                await self._run_handlers(session, fresh[index:end], many)
                index = end
        for event_type, was_new in outcomes:
            EVENTS_CONSUMED.labels(self.name, event_type, "handled" if was_new else "duplicate").inc()

    async def _run_handlers(
        self, session: AsyncSession, run: list[EventEnvelope], many: ManySessionHandler | None
    ) -> None:
        first = run[0]
        request_token = request_id_var.set(first.request_id)
        trace_token = traceparent_var.set(first.traceparent)
        try:
            if many is not None:
                await many(session, run)
                return
            handler = self._handler_for(first.type)
            assert handler is not None
            await handler(session, first)
        finally:
            request_id_var.reset(request_token)
            traceparent_var.reset(trace_token)
