"""The embedded mode's bulk path: many events per transaction and one inbox statement, so a district's
seeding is delivered once and quickly (issue 16: "seed in bulk, deliver once")."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.database import Database
from shared.events import EventEnvelope
from shared.events.inbox import EventConsumer
from shared.events.tables import inbox_message


async def _migrated(tmp_path: Path, name: str) -> Database:
    from catalog_service.app import definition
    from shared.migrations import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / name}"
    upgrade(definition.migrations_directory, url, "catalog")
    return Database(url)


@pytest.fixture
async def database(tmp_path: Path):
    database = await _migrated(tmp_path, "batches.db")
    yield database
    await database.dispose()


async def test_a_batch_runs_each_new_event_once_and_many_handlers_get_whole_runs(database: Database):
    consumer = EventConsumer("counter", database)
    singles: list[str] = []
    runs: list[list[str]] = []

    @consumer.on("thing.single")
    async def single(session: AsyncSession, envelope: EventEnvelope) -> None:
        singles.append(envelope.data["n"])

    @consumer.on_many("thing.bulk")
    async def bulk(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        runs.append([envelope.data["n"] for envelope in envelopes])

    events = [EventEnvelope.new("thing.bulk", "/test", {"n": f"b{index}"}) for index in range(3)]
    between = EventEnvelope.new("thing.single", "/test", {"n": "s0"})
    after = EventEnvelope.new("thing.bulk", "/test", {"n": "b3"})
    ignored = EventEnvelope.new("other.thing", "/test", {"n": "x"})
    # The same message twice within the batch, as a redelivery would bring it: it runs once.
    await consumer.handle_batch([*events, events[0], between, after, ignored])
    assert runs == [["b0", "b1", "b2"], ["b3"]]
    assert singles == ["s0"]

    # A redelivery of the whole batch runs nothing again.
    await consumer.handle_batch([*events, between, after])
    assert runs == [["b0", "b1", "b2"], ["b3"]] and singles == ["s0"]
    # One event on its own path reaches the many-events handler as a list of one.
    lone = EventEnvelope.new("thing.bulk", "/test", {"n": "b4"})
    assert await consumer.handle(lone) is True
    assert await consumer.handle(lone) is False
    assert runs[-1] == ["b4"]
    async with database.sessionmaker() as session:
        recorded = (await session.execute(sa.select(sa.func.count()).select_from(inbox_message))).scalar_one()
    assert recorded == 6  # b0-b4 and s0; the unhandled type leaves no row


async def test_a_failing_batch_writes_nothing(database: Database):
    consumer = EventConsumer("fragile", database)
    seen: list[str] = []

    @consumer.on_many("thing.bulk")
    async def bulk(session: AsyncSession, envelopes: list[EventEnvelope]) -> None:
        seen.extend(envelope.id for envelope in envelopes)
        raise RuntimeError("cannot")

    events = [EventEnvelope.new("thing.bulk", "/test", {}) for _ in range(2)]
    with pytest.raises(RuntimeError):
        await consumer.handle_batch(events)
    async with database.sessionmaker() as session:
        recorded = (await session.execute(sa.select(sa.func.count()).select_from(inbox_message))).scalar_one()
    assert recorded == 0  # the inbox rows went with the failed transaction: a retry runs them
