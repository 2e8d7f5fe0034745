"""The inbox on its own: a handler that is not idempotent still runs once per message id.

The handlers of the services happen to be idempotent too (a closed ticket's invitation is unique per
ticket), so their tests would pass without the inbox. Here the handler counts: every run adds one to a
row in its own transaction. The consumer is the kernel's (shared/events/inbox.py) on a real database,
and the deliveries come from a real RabbitMQ: the same CloudEvent published twice, and a redelivery
after a consumer lost its connection between committing the handler's work and acking the message.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import aio_pika
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.database import Database
from shared.events import EventConsumer, EventEnvelope
from shared.events.rabbitmq import RabbitMQBus
from shared.events.tables import inbox_message, messaging_metadata
from tests.conftest import create_database, drop_database, eventually
from tests.faults.proxy import FaultProxy

pytestmark = pytest.mark.integration

EVENT_TYPE = "counter.bumped"
CONSUMER = "inboxproof"

counter_metadata = sa.MetaData()
counter = sa.Table(
    "handler_run",
    counter_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("runs", sa.Integer, nullable=False),
)


async def _prepare(url: str) -> Database:
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(messaging_metadata.create_all)
        await connection.run_sync(counter_metadata.create_all)
        await connection.execute(counter.insert().values(id=1, runs=0))
    return database


@pytest.fixture(params=["postgresql", "sqlite"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        prepared = await _prepare(f"sqlite+aiosqlite:///{tmp_path / 'inbox.db'}")
        yield prepared
        await prepared.dispose()
        return
    request.getfixturevalue("postgres")  # skips (or fails with REQUIRE_SERVICES=1) without PostgreSQL
    async with postgres_inbox() as prepared:
        yield prepared


@pytest.fixture
async def postgres_database(postgres: str) -> AsyncIterator[Database]:
    async with postgres_inbox() as prepared:
        yield prepared


@asynccontextmanager
async def postgres_inbox() -> AsyncIterator[Database]:
    name = f"test_inbox_{uuid.uuid4().hex[:10]}"
    url = await create_database(name)
    prepared = await _prepare("postgresql+asyncpg://" + url.split("://", 1)[1])
    try:
        yield prepared
    finally:
        await prepared.dispose()
        await drop_database(name)


def counting_consumer(database: Database, calls: list[str]) -> EventConsumer:
    """The kernel's consumer with a handler that is NOT idempotent: each run adds one."""
    consumer = EventConsumer(CONSUMER, database)

    @consumer.on(EVENT_TYPE)
    async def bump(session: AsyncSession, envelope: EventEnvelope) -> None:
        calls.append(envelope.id)
        await session.execute(counter.update().where(counter.c.id == 1).values(runs=counter.c.runs + 1))

    return consumer


async def runs(database: Database) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(sa.select(counter.c.runs).where(counter.c.id == 1)) or 0)


async def inbox_rows(database: Database, message_id: str) -> int:
    async with database.sessionmaker() as session:
        query = sa.select(sa.func.count()).select_from(inbox_message).where(inbox_message.c.message_id == message_id)
        return int(await session.scalar(query) or 0)


def bumped() -> EventEnvelope:
    return EventEnvelope(type=EVENT_TYPE, source="/test/inbox", data={"n": 1})


async def test_the_same_message_twice_runs_a_counting_handler_once(database: Database) -> None:
    calls: list[str] = []
    consumer = counting_consumer(database, calls)
    event = bumped()

    assert await consumer.handle(event) is True
    assert await consumer.handle(event) is False  # the same CloudEvent id again
    assert await runs(database) == 1
    assert calls == [event.id]

    # Another message is another run: the handler really counts.
    assert await consumer.handle(bumped()) is True
    assert await runs(database) == 2


# -- over RabbitMQ --------------------------------------------------------------------------------------


@pytest.fixture
def namespace() -> str:
    return f"testinbox{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def broker(rabbitmq: str, namespace: str) -> AsyncIterator[str]:
    yield rabbitmq
    connection = await aio_pika.connect(rabbitmq)
    async with connection:
        channel = await connection.channel()
        for suffix in ("", ".retry", ".dlq"):
            await channel.queue_delete(f"{namespace}.{CONSUMER}{suffix}")
        await channel.queue_delete(f"{namespace}.unrouted")
        for exchange in ("events", "unrouted", "dead"):
            await channel.exchange_delete(f"{namespace}.{exchange}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


Delivery = Callable[[EventEnvelope], Awaitable[None]]


def subscribe(bus: RabbitMQBus, consumer: EventConsumer, outcomes: list[bool], after: Delivery | None = None) -> None:
    """Like `consumer.bind`, recording what the consumer made of each delivery (True: handled,
    False: a duplicate), then running `after` before the bus acks."""

    async def deliver(envelope: EventEnvelope) -> None:
        outcomes.append(await consumer.handle(envelope))
        if after is not None:
            await after(envelope)

    bus.subscribe(consumer.name, consumer.event_types, deliver)


async def test_a_message_published_twice_over_rabbitmq_is_counted_once(
    postgres_database: Database, broker: str, namespace: str
) -> None:
    calls: list[str] = []
    outcomes: list[bool] = []
    consumer = counting_consumer(postgres_database, calls)
    bus = RabbitMQBus(broker, namespace=namespace, retry_delay_ms=100)
    subscribe(bus, consumer, outcomes)
    await bus.start()
    try:
        event = bumped()
        await bus.publish(event)
        await bus.publish(event)  # two broker messages, one CloudEvent id

        async def both_delivered() -> bool:
            return len(outcomes) == 2

        await eventually(both_delivered)
    finally:
        await bus.stop()
    # The two deliveries may be handled side by side (prefetch): which one finishes first is not fixed.
    assert sorted(outcomes) == [False, True]
    assert calls == [event.id]
    assert await runs(postgres_database) == 1
    assert await inbox_rows(postgres_database, event.id) == 1


async def test_a_redelivery_after_the_ack_was_lost_is_counted_once(
    postgres_database: Database, broker: str, namespace: str
) -> None:
    """The consumer commits the handler's work, then its connection dies before the ack reaches the
    broker (a crash, a network cut): the broker delivers the message again, to the restarted consumer."""
    parts = urlsplit(broker)
    proxy = FaultProxy((parts.hostname or "127.0.0.1", parts.port or 5672), free_port()).start()
    calls: list[str] = []
    outcomes: list[bool] = []
    crashed = asyncio.Event()
    consumer = counting_consumer(postgres_database, calls)

    async def lose_the_connection(envelope: EventEnvelope) -> None:
        if not crashed.is_set():
            # Committed; the connection dies now, so the ack that follows never arrives. (The cut may
            # cancel this very task, as a crash would end it: say so first.)
            crashed.set()
            await asyncio.to_thread(proxy.cut)

    first = RabbitMQBus(proxy.url(broker), namespace=namespace, retry_delay_ms=100)
    subscribe(first, consumer, outcomes, after=lose_the_connection)
    restarted = RabbitMQBus(broker, namespace=namespace, retry_delay_ms=100)
    subscribe(restarted, consumer, outcomes)
    try:
        await first.start()
        event = bumped()
        await first.publish(event)
        await asyncio.wait_for(crashed.wait(), timeout=10)
        assert outcomes == [True] and await runs(postgres_database) == 1

        await restarted.start()

        async def redelivered() -> bool:
            return len(outcomes) == 2

        await eventually(redelivered)
    finally:
        await restarted.stop()
        proxy.restore()
        try:
            await asyncio.wait_for(first.stop(), timeout=10)
        except Exception:
            pass
        proxy.stop()
    assert outcomes == [True, False]  # the redelivery reached the consumer, and the inbox absorbed it
    assert calls == [event.id]
    assert await runs(postgres_database) == 1
    assert await inbox_rows(postgres_database, event.id) == 1
