"""Events over a real RabbitMQ between services on real PostgreSQL databases.

Each service runs in this process with its own database and its own broker connection, exactly as in
the distributed mode; only the processes are shared.
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack

import aio_pika
import httpx
import pytest
import sqlalchemy as sa

import catalog_service.app
import evaluation_service.app
import ticket_service.app
from evaluation_service.invitations.models import Invitation
from shared.events import EventEnvelope
from shared.events.tables import inbox_message, outbox_message
from shared.service import run_migrations
from shared.settings import Mode
from tests.conftest import bearer, eventually, running

pytestmark = pytest.mark.integration


@pytest.fixture
def namespace() -> str:
    return f"test{uuid.uuid4().hex[:10]}"


async def _delete_namespace(broker_url: str, namespace: str, consumers: list[str]) -> None:
    connection = await aio_pika.connect(broker_url)
    async with connection:
        channel = await connection.channel()
        for consumer in consumers:
            for suffix in ("", ".retry", ".dlq"):
                await channel.queue_delete(f"{namespace}.{consumer}{suffix}")
        await channel.queue_delete(f"{namespace}.unrouted")
        for exchange in ("events", "unrouted", "dead"):
            await channel.exchange_delete(f"{namespace}.{exchange}")


@pytest.fixture
async def distributed(fresh_databases, rabbitmq, namespace):
    """Catalogue, ticket and evaluation services on PostgreSQL, talking over RabbitMQ."""
    modules = {"catalog": catalog_service.app, "ticket": ticket_service.app, "evaluation": evaluation_service.app}
    apps = {}
    for name, module in modules.items():
        settings = module.definition.settings_factory().model_copy(
            update={
                "mode": Mode.distributed,
                "database_url": await fresh_databases(name),
                "broker_url": rabbitmq,
                "event_namespace": namespace,
                "consumer_retry_delay_ms": 100,
                "consumer_max_retries": 2,
            }
        )
        await run_migrations(module.definition, settings)
        apps[name] = module.create_app(settings)
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(running(app))
        yield apps
    await _delete_namespace(rabbitmq, namespace, list(modules))


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


async def _count(app, query) -> int:
    async with app.state.runtime.database.sessionmaker() as session:
        return await session.scalar(query)


async def _open_station(catalog) -> str:
    admin = bearer("district_admin")
    async with _client(catalog) as http:
        subdistrict = await http.post("/api/v1/subdistricts", headers=admin, json={"name": "张江镇", "kind": "town"})
        assert subdistrict.status_code == 201, subdistrict.text
        station = await http.post(
            "/api/v1/stations",
            headers=admin,
            json={
                "subdistrict_id": subdistrict.json()["id"],
                "community_name": "张江一村",
                "name": "张江一村家门口服务站",
                "address": "张江路1号",
                "latitude": 31.2,
                "longitude": 121.6,
            },
        )
        assert station.status_code == 201, station.text
    return station.json()["id"]


async def test_event_crosses_services_over_rabbitmq_and_is_handled_once(distributed):
    catalog, ticket, evaluation = distributed["catalog"], distributed["ticket"], distributed["evaluation"]
    station_id = await _open_station(catalog)
    staff = bearer("social_worker", station_id=station_id)

    # station.created reaches the ticket service: it now accepts tickets for that station.
    async with _client(ticket) as http:

        async def station_known() -> bool:
            response = await http.post(
                "/api/v1/tickets",
                headers=staff,
                json={"station_id": station_id, "channel": "walk_in", "service_category": "health", "description": "x"},
            )
            return response.status_code == 201

        await eventually(station_known)
        listed = await http.get("/api/v1/tickets", headers=staff)
        ticket_id = listed.json()["items"][0]["id"]
        closed = await http.post(f"/api/v1/tickets/{ticket_id}/close", headers=staff, json={"result_text": "已办结"})
        assert closed.status_code == 200

    invitations = sa.select(sa.func.count()).select_from(Invitation).where(Invitation.ticket_id == uuid.UUID(ticket_id))

    async def invited() -> bool:
        return await _count(evaluation, invitations) == 1

    await eventually(invited)

    # The broker delivers the same message twice more (a redelivery after a lost ack looks like this).
    async with ticket.state.runtime.database.sessionmaker() as session:
        payload = await session.scalar(
            sa.select(outbox_message.c.payload).where(outbox_message.c.event_type == "ticket.closed")
        )
    duplicate = EventEnvelope.from_json(payload)
    await ticket.state.runtime.bus.publish(duplicate)
    await ticket.state.runtime.bus.publish(duplicate)
    received = sa.select(sa.func.count()).select_from(inbox_message).where(inbox_message.c.message_id == duplicate.id)

    await asyncio.sleep(0.5)
    assert await _count(evaluation, invitations) == 1
    assert await _count(evaluation, received) == 1
    assert await _queue_depth(evaluation, ".dlq") == 0


async def _queue_depth(app, suffix: str) -> int:
    bus = app.state.runtime.bus
    connection = await aio_pika.connect(bus.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(bus.topology.queue("evaluation") + suffix, passive=True)
        count = queue.declaration_result.message_count
        assert count is not None
        return count


async def _outbox_rows(app) -> list:
    async with app.state.runtime.database.sessionmaker() as session:
        query = sa.select(
            outbox_message.c.id, outbox_message.c.published_at, outbox_message.c.attempts, outbox_message.c.last_error
        )
        return list((await session.execute(query)).all())


async def test_outbox_rows_are_marked_sent_only_after_the_broker_confirms(distributed, rabbitmq, namespace):
    catalog = distributed["catalog"]

    async def startup_rows_sent() -> bool:
        return all(row.published_at is not None for row in await _outbox_rows(catalog))

    await eventually(startup_rows_sent)
    earlier = {row.id for row in await _outbox_rows(catalog)}

    async def new_rows() -> list:
        return [row for row in await _outbox_rows(catalog) if row.id not in earlier]

    connection = await aio_pika.connect(rabbitmq)
    async with connection:
        channel = await connection.channel()
        # A queue that holds nothing and refuses what it cannot hold: the broker answers every event
        # routed to it with a nack instead of a confirm.
        refusing = await channel.declare_queue(
            f"{namespace}.refusing", arguments={"x-max-length": 0, "x-overflow": "reject-publish"}
        )
        try:
            await refusing.bind(f"{namespace}.events", routing_key="#")
            await _open_station(catalog)

            async def refused() -> bool:
                rows = await new_rows()
                return bool(rows) and all(row.attempts >= 1 for row in rows)

            await eventually(refused)  # the relay tried every new row, and the broker said no
            rows = await new_rows()
            assert all(row.published_at is None for row in rows), rows
            assert all(row.last_error for row in rows), rows
        finally:
            await refusing.delete(if_unused=False, if_empty=False)

        async def confirmed_and_marked() -> bool:
            rows = await new_rows()
            return all(row.published_at is not None for row in rows)

        await eventually(confirmed_and_marked, timeout=20)  # a retry, after the relay's backoff


async def test_a_poison_message_lands_in_the_dead_letter_queue_after_its_retries(distributed):
    evaluation = distributed["evaluation"]
    bus = evaluation.state.runtime.bus
    # A ticket.closed whose data the handler cannot use: every retry fails the same way.
    poison = EventEnvelope(type="ticket.closed", source="/test", data={"ticket_id": "not-a-uuid"})
    await bus.publish(poison)

    async def dead_lettered() -> bool:
        return await _queue_depth(evaluation, ".dlq") == 1

    await eventually(dead_lettered, timeout=15)
    assert await _count(evaluation, sa.select(sa.func.count()).select_from(Invitation)) == 0


async def test_a_dead_lettered_message_is_replayed_after_the_fix(distributed, monkeypatch):
    from evaluation_service import events as evaluation_events
    from shared.events.replay import replay

    evaluation = distributed["evaluation"]
    bus = evaluation.state.runtime.bus
    handled: list[str] = []

    async def broken(session, event):
        raise RuntimeError("a bug in the handler")

    monkeypatch.setitem(evaluation_events.consumer._handlers, "ticket.closed", broken)
    poison = EventEnvelope(type="ticket.closed", source="/test", data={"ticket_id": str(uuid.uuid4())})
    await bus.publish(poison)

    async def dead_lettered() -> bool:
        return await _queue_depth(evaluation, ".dlq") == 1

    await eventually(dead_lettered, timeout=15)

    async def fixed(session, event):
        handled.append(event.id)

    monkeypatch.setitem(evaluation_events.consumer._handlers, "ticket.closed", fixed)
    assert await replay(bus.url, bus.topology.namespace, "evaluation") == 1

    async def replayed() -> bool:
        return handled == [poison.id]

    await eventually(replayed)
    assert await _queue_depth(evaluation, ".dlq") == 0


async def test_a_database_outage_spends_no_retries_and_sends_nothing_to_the_dead_letter_queue(distributed, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from evaluation_service import events as evaluation_events

    evaluation = distributed["evaluation"]
    attempts: list[str] = []
    handled: list[str] = []

    async def database_away(session, event):
        attempts.append(event.id)
        if len(attempts) <= 6:  # three times the fixture's two retries
            raise OperationalError("SELECT 1", None, ConnectionRefusedError("database is down"))
        handled.append(event.id)

    monkeypatch.setitem(evaluation_events.consumer._handlers, "ticket.closed", database_away)
    event = EventEnvelope(type="ticket.closed", source="/test", data={"ticket_id": str(uuid.uuid4())})
    await evaluation.state.runtime.bus.publish(event)

    async def handled_once() -> bool:
        return handled == [event.id]

    await eventually(handled_once, timeout=20)
    assert len(attempts) == 7
    assert await _queue_depth(evaluation, ".dlq") == 0


async def test_shutdown_settles_the_message_in_hand_and_flushes_the_outbox(fresh_databases, rabbitmq, namespace):
    """What SIGTERM triggers (uvicorn runs the lifespan's shutdown): stop consuming, finish the handler
    in progress, ack it, publish what it wrote to the outbox, then close."""
    from evaluation_service import events as evaluation_events

    module = evaluation_service.app
    settings = module.definition.settings_factory().model_copy(
        update={
            "mode": Mode.distributed,
            "database_url": await fresh_databases("evaluation"),
            "broker_url": rabbitmq,
            "event_namespace": namespace,
        }
    )
    await run_migrations(module.definition, settings)
    app = module.create_app(settings)
    started = asyncio.Event()
    real_handler = evaluation_events.consumer._handlers["ticket.closed"]

    async def slow(session, event):
        started.set()
        await asyncio.sleep(1.0)
        await real_handler(session, event)

    evaluation_events.consumer._handlers["ticket.closed"] = slow
    try:
        runtime = app.state.runtime
        await runtime.start()
        ticket_id = str(uuid.uuid4())
        data = {"ticket_id": ticket_id, "station_id": str(uuid.uuid4()), "subdistrict_id": str(uuid.uuid4()),
                "community_name": "x", "service_category": "legal", "completed_by": "w1"}  # fmt: skip
        await runtime.bus.publish(EventEnvelope(type="ticket.closed", source="/test", data=data))
        await asyncio.wait_for(started.wait(), timeout=10)
        await runtime.stop()  # while the handler is still sleeping
    finally:
        evaluation_events.consumer._handlers["ticket.closed"] = real_handler

    checker = module.create_app(settings)  # a fresh runtime over the same database, not started
    invitations = sa.select(sa.func.count()).select_from(Invitation).where(Invitation.ticket_id == uuid.UUID(ticket_id))
    unsent = sa.select(sa.func.count()).select_from(outbox_message).where(outbox_message.c.published_at.is_(None))
    assert await _count(checker, invitations) == 1
    assert await _count(checker, unsent) == 0
    connection = await aio_pika.connect(rabbitmq)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"{namespace}.evaluation", passive=True)
        assert queue.declaration_result.message_count == 0  # acked, not left for redelivery
    await checker.state.runtime.database.dispose()
    await _delete_namespace(rabbitmq, namespace, ["evaluation"])
