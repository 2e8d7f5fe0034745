"""The feed's live stream (Server-Sent Events) end to end: the embedded system's gateway under a real
uvicorn server, an httpx streaming client, items from real events, Last-Event-ID resumes, heartbeats,
and a stream that outlives the gateway's upstream timeout, uncompressed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from notification_service.settings import NotificationSettings, use_settings
from shared.events import EventEnvelope
from tests.conftest import bearer, eventually, running
from tests.notification.feed_support import SseReader, feed_served
from tests.notification.test_feed_api import feed, person, raise_and_designate, social_workers

HEARTBEAT_SECONDS = 0.2
# Short, so a test can outlive it, but long enough for an ordinary request (a ticket raised while the other
# test worker runs a whole stack took more than 3 s in CI).
UPSTREAM_TIMEOUT_SECONDS = 8.0


@pytest.fixture
async def feed_stream_system(tmp_path: Path, embedded_template: Path) -> AsyncIterator[tuple[Any, str]]:
    """The embedded system with quick feed heartbeats and a short upstream timeout, served by uvicorn."""
    from gateway.settings import GatewaySettings
    from tests.templates import build_embedded

    gateway_settings = GatewaySettings(
        rate_limit_per_token_per_minute=0,
        rate_limit_per_address_per_minute=0,
        upstream_timeout_seconds=UPSTREAM_TIMEOUT_SECONDS,
    )
    system = build_embedded(
        tmp_path,
        embedded_template,
        gateway_settings=gateway_settings,
        service_overrides={"consumer_retry_delay_ms": 50},
    )
    runtime = system.services["notification"].state.runtime
    settings = NotificationSettings.model_validate(
        {**runtime.settings.model_dump(), "feed_stream_heartbeat_seconds": HEARTBEAT_SECONDS}
    )
    runtime.settings = settings
    use_settings(settings)
    async with running(system.gateway), feed_served(system.gateway) as url:
        yield system, url


async def test_new_items_stream_through_the_gateway_and_last_event_id_resumes(
    feed_stream_system: tuple[Any, str],
) -> None:
    system, url = feed_stream_system
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        designee = (await social_workers(http))[1]
        headers = {**person(designee), "Accept-Encoding": "gzip"}
        async with http.stream("GET", "/api/v1/me/feed/stream", headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert "content-encoding" not in response.headers  # never gzipped: it would hold events back
            reader = SseReader(response)
            await reader.wait_for_comment("connected")
            started = time.perf_counter()
            first_ticket = await raise_and_designate(http, designee)
            event = await reader.next_event()
            latency = time.perf_counter() - started
            assert event.event == "feed_item"
            item = event.json
            assert item["subject_id"] == first_ticket and item["kind"] == "ticket_designated"
            assert event.id == str(item["sequence"])
            await reader.wait_for_comment("heartbeat")
        print(f"\nfeed latency, designate call -> SSE item through the gateway (embedded): {latency * 1000:.1f} ms")

        # Disconnected: two more items arrive meanwhile.
        missed = [await raise_and_designate(http, designee) for _ in range(2)]

        async def both_written() -> bool:
            subjects = {entry["subject_id"] for entry in (await feed(http, person(designee)))["items"]}
            return set(missed) <= subjects

        await eventually(both_written)
        resume = {**person(designee), "Last-Event-ID": event.id}
        async with http.stream("GET", "/api/v1/me/feed/stream", headers=resume) as response:
            assert response.status_code == 200
            reader = SseReader(response)
            again = [await reader.next_event(), await reader.next_event()]
        assert [entry.json["subject_id"] for entry in again] == missed
        assert [int(entry.id or 0) for entry in again] == [int(event.id) + 1, int(event.id) + 2]

        # Without Last-Event-ID a stream starts from now: nothing old is sent again.
        async with http.stream("GET", "/api/v1/me/feed/stream", headers=person(designee)) as response:
            reader = SseReader(response)
            await reader.wait_for_comment("heartbeat")  # raises if an old item came instead

        # Every client went away: the service holds no stream any more.
        hub = system.services["notification"].state.feed_hub

        async def all_closed() -> bool:
            return hub.streams == 0

        await eventually(all_closed)


async def test_a_stream_outlives_the_upstream_timeout_and_still_delivers(feed_stream_system: tuple[Any, str]) -> None:
    system, url = feed_stream_system
    owner = "feed-stream-client-1"
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        headers = bearer("integration_client", owner)
        async with http.stream("GET", "/api/v1/me/feed/stream", headers=headers) as response:
            assert response.status_code == 200
            reader = SseReader(response)
            await reader.wait_for_comment("connected")
            opened = time.monotonic()
            while time.monotonic() - opened < UPSTREAM_TIMEOUT_SECONDS + 1.0:  # bounded by the clock
                await reader.wait_for_comment("heartbeat")
            await system.bus.publish(
                EventEnvelope(
                    "webhook.disabled",
                    "/doorstep/notification",
                    {"subscription_id": "0190dddd-0000-7000-8000-000000000001", "owner_id": owner, "reason": "gone"},
                )
            )
            event = await reader.next_event()
            assert event.json["kind"] == "webhook_disabled"


async def test_the_stream_checks_the_token_and_the_last_event_id(feed_stream_system: tuple[Any, str]) -> None:
    _, url = feed_stream_system
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        anonymous = await http.get("/api/v1/me/feed/stream")
        assert anonymous.status_code == 401
        wrong = await http.get(
            "/api/v1/me/feed/stream", headers={**bearer("social_worker", "feed-someone"), "Last-Event-ID": "abc"}
        )
        assert wrong.status_code == 422
        assert wrong.json()["code"] == "invalid_last_event_id" and wrong.json()["field"] == "Last-Event-ID"
