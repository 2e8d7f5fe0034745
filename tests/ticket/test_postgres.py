"""Concurrency on real PostgreSQL: idempotent retries racing, two people acting at once, two checkers,
and the station list's index at scale."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa

from tests.ticket.conftest import bulk_rows, events, local, open_station, ticket_body
from ticket_service.tickets.models import Ticket


@pytest.fixture
async def pg_http(pg_app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=pg_app), base_url="http://ticket") as client:
        yield client


async def _count(app, *where) -> int:
    async with app.state.runtime.database.sessionmaker() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(*where))


async def test_racing_retries_with_one_key_make_one_ticket(pg_app, pg_http):
    station = await open_station(pg_app)
    headers = {**station.headers("receptionist"), "Idempotency-Key": "race-1"}
    responses = await asyncio.gather(
        *(pg_http.post("/api/v1/tickets", headers=headers, json=ticket_body(station)) for _ in range(8))
    )
    assert {response.status_code for response in responses} == {201}, [r.text for r in responses]
    assert len({response.json()["id"] for response in responses}) == 1
    assert await _count(pg_app) == 1
    assert len(await events(pg_app, "ticket.created")) == 1


async def test_two_accepts_at_once_one_wins_the_other_gets_409(pg_app, pg_http):
    station = await open_station(pg_app)
    created = await pg_http.post("/api/v1/tickets", headers=station.headers("receptionist"), json=ticket_body(station))
    ticket_id = created.json()["id"]
    responses = await asyncio.gather(
        *(
            pg_http.post(
                f"/api/v1/tickets/{ticket_id}/transitions",
                headers=station.headers("receptionist"),
                json={"action": "accept"},
            )
            for _ in range(4)
        )
    )
    assert sorted(response.status_code for response in responses) == [200, 409, 409, 409]
    assert {response.json()["code"] for response in responses if response.status_code == 409} == {
        "ticket_already_accepted"
    }
    history = (
        await pg_http.get(f"/api/v1/tickets/{ticket_id}/history", headers=station.headers("receptionist"))
    ).json()["items"]
    assert [change["to_value"] for change in history if change["kind"] == "state"] == ["accepted", "new"]


async def test_two_checkers_at_once_report_a_breach_once(pg_app, pg_http):
    station = await open_station(pg_app)
    for _ in range(5):
        await pg_http.post("/api/v1/tickets", headers=station.headers("receptionist"), json=ticket_body(station))
    checker = pg_app.state.sla_checker
    counts = await asyncio.gather(*(checker.run_once(local(2026, 9, 14, 10, 0)) for _ in range(3)))
    assert sum(counts) == 5
    assert len(await events(pg_app, "ticket.sla_breached")) == 5


async def test_the_station_list_walks_its_composite_index(pg_app):
    busy, quiet = uuid.uuid4(), uuid.uuid4()
    database = pg_app.state.runtime.database
    async with database.transaction() as session:
        await bulk_rows(session)
        for station_id in (busy, quiet):
            await session.execute(
                sa.text(
                    "INSERT INTO station_copy (id, subdistrict_id, community_name, name, updated_at) "
                    "VALUES (:id, :sub, 'c', 'n', now())"
                ),
                {"id": station_id, "sub": uuid.uuid4()},
            )
        # 60,000 tickets over 200 stations' worth of rows, 300 of them at the station we list.
        await session.execute(
            sa.text(
                """
                INSERT INTO ticket (id, station_id, channel, service_category, description, status,
                    responsibility_level, created_at, updated_at, owner_kind, media_urls, handled_by,
                    acceptance_breached, resolution_breached, change_count)
                SELECT gen_random_uuid(), CASE WHEN n % 200 = 0 THEN CAST(:busy AS uuid) ELSE CAST(:quiet AS uuid) END,
                    'web', 'legal', 'x', CASE WHEN n % 3 = 0 THEN 'new' ELSE 'closed' END, 'first_inquiry',
                    now(), now(), 'person', '[]', '[]', false, false, 0
                FROM generate_series(1, 60000) AS n
                """
            ),
            {"busy": busy, "quiet": quiet},
        )
    async with database.engine.connect() as connection:
        await connection.execute(sa.text("ANALYZE ticket"))
        for sql in (
            "EXPLAIN SELECT * FROM ticket WHERE station_id = :s ORDER BY id LIMIT 51",
            "EXPLAIN SELECT * FROM ticket WHERE station_id = :s AND status IN ('new') ORDER BY id LIMIT 51",
        ):
            plan = "\n".join(row[0] for row in await connection.execute(sa.text(sql), {"s": busy}))
            assert "Seq Scan" not in plan, plan
            assert "ix_ticket_station_id" in plan, plan
