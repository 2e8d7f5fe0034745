"""Ticket creation's write path (issue 17): the ticket and its history written with Core inserts, the answer
built from the values in hand, and the station and its staff from in-memory copies checked against a version.

What is answered must be what was stored, and a change of a station or its staff copies must reach the very
next creation, whichever process (replica) consumed the event.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import sqlalchemy as sa

from shared.database import Database
from shared.events import EventEnvelope
from tests.ticket.conftest import MONDAY_0900, events, open_station, publish, raise_ticket, ticket_body
from ticket_service.privacy.models import ContactRead
from ticket_service.stations import copies, handlers
from ticket_service.tickets.models import Ticket, TicketChange


def _instants(value: Any) -> Any:
    """The same answer whatever the offset its times are written in (stored times come back in UTC)."""
    if isinstance(value, dict):
        return {key: _instants(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_instants(item) for item in value]
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


async def _rows(app: Any, model: Any, *where: Any) -> list[Any]:
    async with app.state.runtime.database.sessionmaker() as session:
        return list(await session.scalars(sa.select(model).where(*where)))


async def test_the_answer_to_a_creation_is_what_was_stored(http, station, ticket_app):
    headers = station.headers("receptionist")
    created = await http.post("/api/v1/tickets", headers=headers, json=ticket_body(station, priority="high"))
    assert created.status_code == 201, created.text
    answer = created.json()
    ticket_id = answer["id"]

    # The same reader reads it back from the tables: every field and the whole history are the same.
    read = await http.get(f"/api/v1/tickets/{ticket_id}", headers=headers)
    assert read.status_code == 200, read.text
    assert _instants(answer) == _instants(read.json())
    assert [(change["kind"], change["to_value"]) for change in answer["history"]] == [
        ("state", "new"),
        ("owner", station.receptionist),
    ]
    assert created.headers["ETag"].split("-")[0] == read.headers["ETag"].split("-")[0] == '"1'

    # The row as the unit of work wrote it before: defaults, counters, the sync stamp.
    (row,) = await _rows(ticket_app, Ticket, Ticket.id == uuid.UUID(ticket_id))
    assert (row.version, row.change_count, row.status, row.owner_kind) == (1, 2, "new", "person")
    assert (row.acceptance_breached, row.resolution_breached, row.sla_warnings, row.duplicate_ids) == (
        False,
        False,
        [],
        [],
    )
    assert row.handled_by == [station.receptionist]
    assert row.change_sequence > 0  # stamped at commit: the offline sync sees the new ticket
    changes = await _rows(ticket_app, TicketChange, TicketChange.ticket_id == row.id)
    assert sorted(change.seq for change in changes) == [1, 2]

    # The full phone shown to its owner is recorded once per answer (the creation's and the read's).
    reads = await _rows(ticket_app, ContactRead, ContactRead.ticket_id == row.id)
    assert [read.resident_phone_masked for read in reads] == ["138****0000", "138****0000"]

    # The events: born with its owner, then why.
    (born,) = [event for event in await events(ticket_app, "ticket.created") if event.subject == ticket_id]
    (assigned,) = [event for event in await events(ticket_app, "ticket.assigned") if event.subject == ticket_id]
    assert (born.data["owner_id"], born.data["priority"], born.data["community_name"]) == (
        station.receptionist,
        "high",
        "市新居委会",
    )
    assert (assigned.data["basis"], assigned.data["previous_owner_id"]) == ("receiver", None)


async def test_a_ticket_just_raised_changes_in_the_same_transaction(ticket_app, station):
    """The new ticket joins the session as a loaded row: acting on it before the commit is an ordinary
    versioned update (as the demo seed does)."""
    from shared.auth import Principal
    from ticket_service.tickets import service
    from ticket_service.tickets.lifecycle import TicketAction
    from ticket_service.tickets.schemas import TicketCreate
    from ticket_service.tickets.sla import SlaPolicy

    receptionist = Principal(
        user_id=station.receptionist,
        roles=frozenset({"receptionist"}),
        station_id=station.id,
        community_id=station.community_id,
        subdistrict_id=station.subdistrict_id,
    )
    policy = SlaPolicy(accept_minutes=60, resolve_minutes=2400)
    async with ticket_app.state.runtime.database.transaction() as session:
        data = TicketCreate.model_validate(ticket_body(station))
        ticket = await service.create_ticket(session, data, receptionist, MONDAY_0900, policy)
        entry = await copies.station_entry(session, ticket.station_id)
        assert entry is not None
        await service.transition(session, ticket, entry.station, TicketAction.ACCEPT, receptionist, MONDAY_0900, policy)
    (row,) = await _rows(ticket_app, Ticket, Ticket.id == ticket.id)
    # Written first, then updated (its version rose; the unit of work used to insert it as changed).
    assert (row.status, row.change_count) == ("accepted", 3) and row.version > 1
    changes = await _rows(ticket_app, TicketChange, TicketChange.ticket_id == ticket.id)
    assert sorted((change.seq, change.kind, change.to_value) for change in changes) == [
        (1, "state", "new"),
        (2, "owner", station.receptionist),
        (3, "state", "accepted"),
    ]


async def _staff_event(app: Any, station: Any, person: str, **changes: Any) -> None:
    await publish(
        app,
        "staff.updated",
        {
            "id": person,
            "role": "receptionist",
            "station_id": station.id,
            "community_id": station.community_id,
            "subdistrict_id": station.subdistrict_id,
            **changes,
        },
    )


async def test_a_staff_change_is_seen_by_the_next_creation(http, station, ticket_app):
    first = await raise_ticket(http, station)
    assert first["owner_id"] == station.receptionist  # on the staff list: the receiver owns it

    # The receptionist is deactivated (the catalogue's event): the very next ticket they raise is not theirs.
    await _staff_event(ticket_app, station, station.receptionist, active=False)
    second = await raise_ticket(http, station)
    assert second["owner_id"] != station.receptionist
    assert second["owner_id"] == station.secretary  # nobody on reception duty: the community's secretary

    # Back on the list: theirs again at once.
    await _staff_event(ticket_app, station, station.receptionist, active=True)
    third = await raise_ticket(http, station)
    assert third["owner_id"] == station.receptionist


async def test_a_station_change_is_seen_by_the_next_creation(http, station, ticket_app):
    await raise_ticket(http, station)
    await publish(ticket_app, "station.updated", {"id": station.id, "community_name": "新名居委会"})
    ticket = await raise_ticket(http, station)
    (born,) = [event for event in await events(ticket_app, "ticket.created") if event.subject == ticket["id"]]
    assert born.data["community_name"] == "新名居委会"


async def test_a_staff_change_another_replica_consumed_is_seen_here(pg_app):
    """Two replicas share the database and the catalogue's queue: the one that did not consume the event
    still sees the change at its next creation (the copies' version, not an in-process signal)."""
    station = await open_station(pg_app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=pg_app), base_url="http://ticket") as http:
        assert (await raise_ticket(http, station))["owner_id"] == station.receptionist

        # The other replica: its own engine on the same database, applying the event with the same handler.
        other = Database(pg_app.state.runtime.database.engine.url.render_as_string(hide_password=False))
        try:
            event = EventEnvelope(
                type="staff.removed",
                source="/test/catalog",
                data={"id": station.receptionist, "station_id": station.id},
            )
            async with other.transaction() as session:
                await handlers.staff_changed(session, [event])
        finally:
            await other.dispose()

        assert (await raise_ticket(http, station))["owner_id"] == station.secretary
