"""Offline sync of tickets (`GET /api/v1/tickets?changes=`), on SQLite and on real PostgreSQL: what a
station's app gets back after being offline — the tickets created or changed since its last sync, and
tombstones for those anonymised or gone out of its view — and nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from shared.service import run_migrations_sync
from shared.settings import Mode
from tests.conftest import POSTGRES_URL, bearer, create_database, drop_database, require, running
from tests.ticket.conftest import MONDAY_0900, Clock, open_station, raise_ticket
from ticket_service.app import create_app, definition
from ticket_service.settings import TicketSettings
from ticket_service.tickets.models import Ticket


@pytest.fixture(params=["sqlite", "postgresql"])
async def sync_app(request, tmp_path) -> AsyncIterator[Any]:
    name = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'ticket.db'}"
    else:
        require(POSTGRES_URL, 5432, "PostgreSQL")
        name = f"test_ticket_{uuid.uuid4().hex[:10]}"
        url = await create_database(name)
    settings = TicketSettings(mode=Mode.embedded, database_url=url, sla_checker_enabled=False)
    await asyncio.to_thread(run_migrations_sync, definition, settings)
    app = create_app(settings)
    try:
        async with running(app):
            app.state.clock = Clock(MONDAY_0900)
            yield app
    finally:
        if name is not None:
            await drop_database(name)


@pytest.fixture
async def http(sync_app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sync_app), base_url="http://ticket") as client:
        yield client


class App:
    """An offline app's cache: applies each sync answer as the README says."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str], **filters: str) -> None:
        self.http, self.headers, self.filters = http, headers, filters
        self.token = "0"
        self.cache: dict[str, dict] = {}
        self.last: dict[str, Any] = {}

    async def sync(self) -> dict[str, Any]:
        items: list[dict] = []
        tombstones: list[dict] = []
        while True:
            response = await self.http.get(
                "/api/v1/tickets", headers=self.headers, params={**self.filters, "changes": self.token}
            )
            assert response.status_code == 200, response.text
            body = response.json()
            items += body["items"]
            tombstones += body["tombstones"]
            self.token = body["changes"]
            if body["next_cursor"] is None:
                break
        for item in items:
            self.cache[item["id"]] = item
        for tombstone in tombstones:
            self.cache.pop(tombstone["id"], None)
        self.last = {
            "items": {item["id"]: item for item in items},
            "tombstones": {stone["id"]: stone["reason"] for stone in tombstones},
        }
        return self.last


async def test_a_station_app_gets_every_change_once_and_tombstones_for_what_it_must_drop(sync_app, http):
    station = await open_station(sync_app)
    desk = station.headers("receptionist")
    app = App(http, desk)
    other = await open_station(sync_app, name="潍坊一村")
    assert await app.sync() == {"items": {}, "tombstones": {}}

    first = await raise_ticket(http, station, resident_id="resident-7", resident_name="张小明")
    second = await raise_ticket(http, station)
    elsewhere = await raise_ticket(http, other)
    synced = await app.sync()
    assert set(synced["items"]) == {first["id"], second["id"]} and synced["tombstones"] == {}
    assert elsewhere["id"] not in app.cache
    assert synced["items"][first["id"]]["resident_name"] == "张**"  # as masked as the list
    assert await app.sync() == {"items": {}, "tombstones": {}}  # nothing changed: nothing sent again

    accepted = await http.post(f"/api/v1/tickets/{first['id']}/transitions", headers=desk, json={"action": "accept"})
    assert accepted.status_code == 200, accepted.text
    synced = await app.sync()
    assert list(synced["items"]) == [first["id"]] and synced["items"][first["id"]]["status"] == "accepted"

    # The resident's own app holds the ticket too.
    resident = App(http, bearer("resident", "resident-7"))
    assert set((await resident.sync())["items"]) == {first["id"]}

    # A year after closing, the resident's personal data goes: every app drops its copy.
    closed = await http.post(f"/api/v1/tickets/{first['id']}/close", headers=desk, json={"result_text": "已办结"})
    assert closed.status_code == 200, closed.text
    await app.sync()
    assert app.cache[first["id"]]["status"] == "closed"
    assert await sync_app.state.anonymiser.run_once(MONDAY_0900 + timedelta(days=400)) == 1
    synced = await app.sync()
    assert synced == {"items": {}, "tombstones": {first["id"]: "anonymised"}}
    assert set(app.cache) == {second["id"]}
    synced = await resident.sync()
    assert synced["items"] == {} and synced["tombstones"] == {first["id"]: "out_of_scope"}
    assert resident.cache == {}

    # A fresh install from scratch gets the station's tickets, but not the anonymised one's old copy.
    fresh = App(http, desk)
    await fresh.sync()
    assert set(fresh.cache) == {second["id"]}


async def test_a_ticket_designated_away_leaves_the_filtered_list_of_its_old_owner(sync_app, http):
    station = await open_station(sync_app)
    ticket = await raise_ticket(http, station)
    owner = ticket["owner_id"]
    mine = App(http, station.headers("social_worker", owner), owner_id=owner)
    assert set((await mine.sync())["items"]) == {ticket["id"]}

    designee = next(worker for worker in station.social_workers if worker != owner)
    designated = await http.post(
        f"/api/v1/tickets/{ticket['id']}/designate",
        headers=station.headers("secretary"),
        json={"designee_id": designee},
    )
    assert designated.status_code == 200, designated.text
    synced = await mine.sync()
    assert synced == {"items": {}, "tombstones": {ticket["id"]: "out_of_scope"}}
    theirs = App(http, station.headers("social_worker", designee), owner_id=designee)
    assert set((await theirs.sync())["items"]) == {ticket["id"]}


async def test_a_long_absence_comes_back_in_batches_without_losing_or_repeating_a_ticket(sync_app, http, monkeypatch):
    import shared.sync

    monkeypatch.setattr(shared.sync, "SYNC_BATCH", 3)  # 1,000 in service
    station = await open_station(sync_app)
    desk = station.headers("receptionist")
    created = [(await raise_ticket(http, station))["id"] for _ in range(7)]
    app = App(http, desk)
    await app.sync()
    assert set(app.cache) == set(created)

    # One transaction changes them all (as the SLA checker's batches do): one change number for seven
    # tickets, which the batches of three must still split without a gap or a repeat.
    async with sync_app.state.runtime.database.transaction() as session:
        for ticket in (await session.scalars(sa.select(Ticket))).all():
            ticket.service_item = "batch"
    seen: list[str] = []
    calls = 0
    while True:
        body = (await http.get("/api/v1/tickets", headers=desk, params={"changes": app.token})).json()
        calls += 1
        seen += [item["id"] for item in body["items"]]
        app.token = body["changes"]
        if body["next_cursor"] is None:
            break
    assert sorted(seen) == sorted(created) and len(seen) == 7 and calls == 3


async def test_a_token_the_api_did_not_give_is_refused_naming_the_field(sync_app, http):
    station = await open_station(sync_app)
    response = await http.get(
        "/api/v1/tickets", headers=station.headers("receptionist"), params={"changes": "yesterday"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "changes" and response.json()["code"] == "invalid_cursor"
