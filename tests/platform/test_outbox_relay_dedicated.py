"""The outbox relay on its own thread, loop, connections and broker channel (real PostgreSQL and RabbitMQ).

Every relay here polls every 30 s: an event that arrives within a few seconds was woken, by the commit
(in-process) or by a `NOTIFY outbox`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

import aio_pika
import asyncpg
import pytest
import sqlalchemy as sa
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy.ext.asyncio import create_async_engine

from shared.database import Database
from shared.events import EventEnvelope, Outbox
from shared.events.outbox import NOTIFY_CHANNEL, DedicatedOutboxRelay
from shared.events.rabbitmq import RabbitMQBus
from shared.events.tables import messaging_metadata, outbox_message
from shared.ids import utcnow
from tests.conftest import eventually

pytestmark = pytest.mark.integration

LONG_POLL_SECONDS = 30.0


@dataclass
class Deliveries:
    """What reached a queue bound to every event of the namespace, with the test loop's time of arrival."""

    arrived: dict[str, float] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        assert message.message_id is not None
        self.counts[message.message_id] += 1
        self.arrived.setdefault(message.message_id, time.monotonic())
        await message.ack()


@dataclass
class Stack:
    url: str
    namespace: str
    broker_url: str
    database: Database
    deliveries: Deliveries
    relays: list[DedicatedOutboxRelay]

    def relay(self) -> DedicatedOutboxRelay:
        relay = DedicatedOutboxRelay(
            self.database,
            lambda: RabbitMQBus(self.broker_url, namespace=self.namespace, connection_name="test-relay"),
            poll_seconds=LONG_POLL_SECONDS,
            service="test",
        )
        self.relays.append(relay)
        return relay


async def _listening(url: str, count: int) -> Callable[[], Awaitable[bool]]:
    name = url.rsplit("/", 1)[1]

    async def check() -> bool:
        connection = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            found = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query = $2",
                name,
                f'LISTEN "{NOTIFY_CHANNEL}"',
            )
        finally:
            await connection.close()
        return bool(found >= count)

    return check


@asynccontextmanager
async def _stack(fresh_databases: Callable[[str], Awaitable[str]], broker_url: str) -> AsyncIterator[Stack]:
    url = (await fresh_databases("outbox")).replace("postgresql://", "postgresql+asyncpg://")
    engine = create_async_engine(url)
    async with engine.begin() as ddl:
        await ddl.run_sync(messaging_metadata.create_all)
    await engine.dispose()
    namespace = f"test{uuid.uuid4().hex[:10]}"
    database = Database(url, pool_size=2)
    stack = Stack(url, namespace, broker_url, database, Deliveries(), [])
    connection = await aio_pika.connect_robust(broker_url)
    try:
        channel = await connection.channel()
        # The exchange as the relays' bus declares it, and a queue that sees every event.
        await RabbitMQBus(broker_url, namespace=namespace)._declare_exchanges(channel)
        queue = await channel.declare_queue(f"{namespace}.everything", exclusive=True)
        await queue.bind(f"{namespace}.events", routing_key="#")
        await queue.consume(stack.deliveries.on_message)
        yield stack
    finally:
        for relay in stack.relays:
            await relay.stop(flush=False)
        await database.dispose()
        cleanup = await connection.channel()
        await cleanup.queue_delete(f"{namespace}.unrouted")
        for exchange in ("events", "unrouted", "dead"):
            await cleanup.exchange_delete(f"{namespace}.{exchange}")
        await connection.close()


async def _started(stack: Stack, relays: int = 1) -> list[DedicatedOutboxRelay]:
    started = [stack.relay() for _ in range(relays)]
    for relay in started:
        relay.start()
        assert await relay.wait_started(10)
    await eventually(await _listening(stack.url, relays))
    return started


async def _published_at(database: Database, event_id: str) -> datetime | None:
    async with database.sessionmaker() as session:
        return await session.scalar(
            sa.select(outbox_message.c.published_at).where(outbox_message.c.id == uuid.UUID(event_id))
        )


async def test_a_notify_from_another_connection_wakes_the_relay(fresh_databases, rabbitmq):
    async with _stack(fresh_databases, rabbitmq) as stack:
        await _started(stack)
        envelope = EventEnvelope.new("thing.happened", "/elsewhere", {"n": 1})
        # Another process's commit: a plain connection, no in-process hook of this test's.
        writer = await asyncpg.connect(stack.url.replace("+asyncpg", ""))
        try:
            async with writer.transaction():
                await writer.execute(
                    "INSERT INTO outbox_message (id, event_type, payload, created_at, next_attempt_at, attempts) "
                    "VALUES ($1, $2, $3, $4, $4, 0)",
                    uuid.UUID(envelope.id),
                    envelope.type,
                    envelope.to_json().decode(),
                    envelope.time,
                )
                await writer.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
            committed = time.monotonic()
        finally:
            await writer.close()

        async def arrived() -> bool:
            return envelope.id in stack.deliveries.arrived

        await eventually(arrived, timeout=5)
        assert stack.deliveries.arrived[envelope.id] - committed < 2.0  # a 30 s poll cannot explain it


async def test_the_relay_publishes_while_the_service_loop_is_busy_after_its_commit(fresh_databases, rabbitmq):
    async with _stack(fresh_databases, rabbitmq) as stack:
        await _started(stack)
        async with stack.database.transaction() as session:
            envelope = await Outbox("/writer").add(session, "thing.written", {"n": 2})
        # This loop (the service's, in the real thing) is busy right after its commit and never yields for 2 s.
        blocked_until = time.monotonic() + 2.0
        while time.monotonic() < blocked_until:
            pass
        unblocked_at = utcnow()
        published_at = await _published_at(stack.database, envelope.id)
        assert published_at is not None, "the relay did not publish while the loop was busy"
        assert published_at < unblocked_at

        async def arrived() -> bool:
            return envelope.id in stack.deliveries.arrived

        await eventually(arrived, timeout=5)


async def test_rolled_back_rows_are_never_published(fresh_databases, rabbitmq):
    async with _stack(fresh_databases, rabbitmq) as stack:
        await _started(stack)
        outbox = Outbox("/test")
        with pytest.raises(RuntimeError):
            async with stack.database.transaction() as session:
                await outbox.add(session, "thing.abandoned", {"n": 1})
                raise RuntimeError("the use case failed")
        # A router may roll back and then let the (now empty) transaction commit.
        async with stack.database.transaction() as session:
            await outbox.add(session, "thing.abandoned", {"n": 2})
            await session.rollback()
        # A savepoint rolled back drops the events written inside it, not those of the transaction.
        async with stack.database.transaction() as session:
            kept = await outbox.add(session, "thing.kept", {"n": 3})
            savepoint = await session.begin_nested()
            await outbox.add(session, "thing.abandoned", {"n": 4})
            await savepoint.rollback()

        async def arrived() -> bool:
            return kept.id in stack.deliveries.arrived

        await eventually(arrived, timeout=5)
        await asyncio.sleep(0.3)
        assert list(stack.deliveries.counts) == [kept.id]
        async with stack.database.sessionmaker() as session:
            types = (await session.execute(sa.select(outbox_message.c.event_type))).scalars().all()
        assert types == ["thing.kept"]


async def test_two_relays_on_one_database_publish_each_row_once(fresh_databases, rabbitmq):
    async with _stack(fresh_databases, rabbitmq) as stack:
        await _started(stack, relays=2)
        outbox = Outbox("/test")
        written: list[str] = []
        for transaction in range(60):
            async with stack.database.transaction() as session:
                for n in range(5):
                    written.append((await outbox.add(session, "thing.counted", {"n": transaction * 5 + n})).id)
            if transaction % 10 == 0:
                await asyncio.sleep(0.01)

        async def all_arrived() -> bool:
            return len(stack.deliveries.counts) == len(written)

        await eventually(all_arrived, timeout=20)
        await asyncio.sleep(0.5)  # a second copy would come right behind
        assert set(stack.deliveries.counts) == set(written)
        assert [n for n in stack.deliveries.counts.values() if n != 1] == []
