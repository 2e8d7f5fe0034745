"""The feed on real PostgreSQL with two notification replicas: an item written by replica A's consumer
reaches the stream held on replica B (LISTEN/NOTIFY), through the distributed gateway (HTTP upstream),
after the upstream timeout has passed; Last-Event-ID resumes; concurrent writers keep a person's numbers
gapless and in commit order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from notification_service import events
from notification_service.app import create_app, definition
from notification_service.feed.models import FeedItem
from notification_service.settings import NotificationSettings
from shared.events import EventConsumer, EventEnvelope
from shared.service import run_migrations
from tests.conftest import bearer, eventually
from tests.notification.feed_support import SseReader, feed_served

UPSTREAM_TIMEOUT_SECONDS = 2.0
OWNER = "feed-pg-client"


def disabled(number: int, owner: str = OWNER) -> EventEnvelope:
    return EventEnvelope(
        "webhook.disabled",
        "/doorstep/notification",
        {"subscription_id": f"0190eeee-0000-7000-8000-{number:012d}", "owner_id": owner, "reason": "failing"},
    )


def consumer_of(replica: Any) -> EventConsumer:
    """Replica A's consumer as its process would run it: the inbox, then every domain's handlers."""
    consumer = EventConsumer("notification", replica.state.runtime.database)
    consumer.on("#")(events.dispatch)
    return consumer


@pytest.fixture
async def feed_replicas(fresh_databases: Any) -> AsyncIterator[dict[str, Any]]:
    from gateway.app import create_app as create_gateway
    from gateway.settings import GatewaySettings

    url = await fresh_databases("notification")
    settings = NotificationSettings(database_url=url, feed_stream_heartbeat_seconds=0.2)
    await run_migrations(definition, settings)
    replica_a, replica_b = create_app(settings), create_app(settings)
    async with feed_served(replica_a, lifespan="on") as url_a, feed_served(replica_b, lifespan="on") as url_b:
        gateway = create_gateway(
            GatewaySettings(
                notification_url=url_b,
                upstream_timeout_seconds=UPSTREAM_TIMEOUT_SECONDS,
                rate_limit_per_token_per_minute=0,
                rate_limit_per_address_per_minute=0,
            )
        )
        async with feed_served(gateway, lifespan="on") as gateway_url:
            for replica in (replica_a, replica_b):
                listener = replica.state.feed_listener
                await asyncio.wait_for(listener.listening.wait(), timeout=10)
            yield {"a": replica_a, "b": replica_b, "url_a": url_a, "gateway": gateway_url, "database": url}


async def test_an_item_written_by_replica_a_reaches_the_stream_on_replica_b_through_the_gateway(
    feed_replicas: dict[str, Any],
) -> None:
    consumer_a = consumer_of(feed_replicas["a"])
    headers = bearer("integration_client", OWNER)
    async with httpx.AsyncClient(base_url=feed_replicas["gateway"], timeout=30) as http:
        async with http.stream("GET", "/api/v1/me/feed/stream", headers=headers) as response:
            assert response.status_code == 200
            reader = SseReader(response)
            await reader.wait_for_comment("connected")
            opened = time.monotonic()
            while time.monotonic() - opened < UPSTREAM_TIMEOUT_SECONDS + 1.0:  # past the upstream timeout
                await reader.wait_for_comment("heartbeat")
            started = time.perf_counter()
            assert await consumer_a.handle(disabled(1))
            first = await reader.next_event()
            latency = time.perf_counter() - started
            assert first.json["kind"] == "webhook_disabled" and first.id == "1"
        print(f"\nfeed latency, event handled on replica A -> SSE on replica B via gateway: {latency * 1000:.1f} ms")

        # Written while nobody listened: Last-Event-ID sends them first, in order.
        second, third = disabled(2), disabled(3)
        for event in (second, third):
            assert await consumer_a.handle(event)
        assert not await consumer_a.handle(third)  # the same event again: no second item
        resume = {**headers, "Last-Event-ID": "1"}
        async with http.stream("GET", "/api/v1/me/feed/stream", headers=resume) as response:
            reader = SseReader(response)
            missed = [await reader.next_event(), await reader.next_event()]
            assert [entry.id for entry in missed] == ["2", "3"]
            assert await consumer_a.handle(disabled(4))
            assert (await reader.next_event()).id == "4"

        # The client is gone: the gateway closes its stream to replica B too (no stream left behind).
        hub_b = feed_replicas["b"].state.feed_hub

        async def closed_on_b() -> bool:
            return hub_b.streams == 0

        await eventually(closed_on_b)

        page = await http.get("/api/v1/me/feed", headers=headers)
        assert page.status_code == 200
        assert [item["sequence"] for item in page.json()["items"]] == [4, 3, 2, 1]
        assert page.json()["unread_count"] == 4


async def test_concurrent_writers_on_both_replicas_keep_a_persons_numbers_gapless(
    feed_replicas: dict[str, Any],
) -> None:
    consumers = [consumer_of(feed_replicas["a"]), consumer_of(feed_replicas["b"])]
    owner = "feed-pg-busy-client"
    headers = bearer("integration_client", owner)
    count = 30
    async with httpx.AsyncClient(base_url=feed_replicas["url_a"], timeout=30) as http:
        async with http.stream("GET", "/api/v1/me/feed/stream", headers=headers) as response:
            reader = SseReader(response)
            await reader.wait_for_comment("connected")
            await asyncio.gather(
                *(consumers[number % 2].handle(disabled(100 + number, owner)) for number in range(count))
            )
            received = [await reader.next_event() for _ in range(count)]
    # Every item once, numbered 1..count, sent in number order (a lower number never commits after a higher).
    assert [int(event.id or 0) for event in received] == list(range(1, count + 1))
    assert len({event.json["id"] for event in received}) == count


async def test_the_feed_tables_hold_one_item_per_event_and_person(feed_replicas: dict[str, Any]) -> None:
    consumer_a = consumer_of(feed_replicas["a"])
    event = disabled(7, "feed-pg-unique")
    assert await consumer_a.handle(event)
    database = feed_replicas["a"].state.runtime.database
    async with database.transaction() as session:
        item = (await session.execute(sa.select(FeedItem).where(FeedItem.event_id == event.id))).scalar_one()
        session.expunge(item)
    # The unique (event, person) stops a second row even past the inbox (e.g. a replayed event).
    with pytest.raises(sa.exc.IntegrityError):
        async with database.transaction() as session:
            session.add(
                FeedItem(
                    person_id=item.person_id,
                    sequence=item.sequence + 1,
                    kind=item.kind,
                    title=item.title,
                    body=item.body,
                    event_id=item.event_id,
                    event_type=item.event_type,
                )
            )

    async def one() -> bool:
        async with database.transaction() as session:
            counted = await session.execute(sa.select(sa.func.count()).where(FeedItem.event_id == event.id))
            return counted.scalar_one() == 1

    await eventually(one)
