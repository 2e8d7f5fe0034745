"""Retention on tickets: a closed or cancelled matter's personal data is removed a year after it closed
(TICKET_PERSONAL_DATA_RETENTION_DAYS), its figures stay, open and recent matters keep theirs."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from shared.events.tables import outbox_message
from shared.ids import utcnow
from tests.conftest import bearer
from tests.ticket.conftest import MONDAY_0900, local, raise_ticket
from ticket_service.privacy.masking import ANONYMISED_DESCRIPTION
from ticket_service.privacy.models import ContactRead
from ticket_service.tickets.models import Ticket, TicketChange, VideoLinkSession

NAME = "张小明"
PHONE = "13912345678"
FIGURES = (
    "station_id", "community_id", "subdistrict_id", "channel", "service_category", "service_item", "status",
    "owner_id", "owner_kind", "responsibility_level", "received_by", "completed_by", "created_by", "handled_by",
    "created_at", "updated_at", "accepted_at", "resolved_at", "resolved_by", "closed_at", "cancelled_at",
    "acceptance_due_at", "resolution_due_at", "acceptance_working_minutes", "resolution_working_minutes",
    "sla_breached_at", "acceptance_breached", "resolution_breached", "change_count",
)  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]


async def _raise(http, station, **overrides: Any) -> dict:
    body = {"resident_name": NAME, "resident_phone": PHONE, "description": f"请回电{PHONE}", **overrides}
    return await raise_ticket(http, station, **body)


async def _close(http, station, ticket: dict, note: str | None = None) -> None:
    closed = await http.post(
        f"/api/v1/tickets/{ticket['id']}/close",
        headers=station.headers("receptionist"),
        json={"note": note, "result_text": note or "已办结"},
    )
    assert closed.status_code == 200, closed.text


async def _ticket(app, ticket_id: str) -> Ticket:
    async with app.state.runtime.database.sessionmaker() as session:
        ticket = await session.get(Ticket, uuid.UUID(ticket_id))
        assert ticket is not None
        return ticket


async def _figures(app, ticket_id: str) -> dict[str, Any]:
    ticket = await _ticket(app, ticket_id)
    async with app.state.runtime.database.sessionmaker() as session:
        history = (
            await session.scalars(
                sa.select(TicketChange).where(TicketChange.ticket_id == ticket.id).order_by(TicketChange.seq)
            )
        ).all()
    return {
        **{name: getattr(ticket, name) for name in FIGURES},
        "history": [(c.seq, c.kind, c.from_value, c.to_value, c.actor_id, c.at, c.reason) for c in history],
    }


async def _scalars(app, query) -> list[Any]:
    async with app.state.runtime.database.sessionmaker() as session:
        return list((await session.scalars(query)).all())


async def _counts(http) -> dict[str, int]:
    counts = {}
    for status in ("new", "accepted", "closed", "cancelled"):
        listed = await http.get("/api/v1/tickets", headers=bearer("district_admin"), params={"status": status})
        counts[status] = len(listed.json()["items"])
    return counts


async def test_old_closed_matters_lose_their_personal_data_and_keep_their_figures(ticket_app, http, station, clock):
    owner = station.headers("receptionist")
    old_closed = await _raise(
        http,
        station,
        location={"address": "福山路1号 302室", "latitude": 31.229812, "longitude": 121.520134},
        media_urls=["https://example.org/photo.jpg"],
    )
    video = {
        "centre": "陆家嘴街道社区事务受理中心",
        "started_at": local(2026, 9, 14, 8, 0).isoformat(),
        "ended_at": local(2026, 9, 14, 8, 30).isoformat(),
        "outcome": "completed",
        "notes": f"受理中心已致电{PHONE}",
    }
    assert (await http.post(f"/api/v1/tickets/{old_closed['id']}/video-links", headers=owner, json=video)).is_success
    await _close(http, station, old_closed, note=f"已回电{PHONE}，问题解决")
    assert (await http.get(f"/api/v1/tickets/{old_closed['id']}", headers=owner)).json()["resident_phone"] == PHONE
    old_cancelled = await _raise(http, station)
    cancel = {"action": "cancel"}
    assert (
        await http.post(f"/api/v1/tickets/{old_cancelled['id']}/transitions", headers=owner, json=cancel)
    ).is_success
    still_open = await _raise(http, station)
    clock.set(MONDAY_0900 + timedelta(days=200))
    recent = await _raise(http, station)
    await _close(http, station, recent)

    everyone = [old_closed["id"], old_cancelled["id"], still_open["id"], recent["id"]]
    figures = {ticket_id: await _figures(ticket_app, ticket_id) for ticket_id in everyone}
    counts = await _counts(http)
    published = len(await _scalars(ticket_app, sa.select(outbox_message.c.id)))
    anonymiser = ticket_app.state.anonymiser

    assert await anonymiser.run_once(MONDAY_0900 + timedelta(days=364)) == 0  # not a year yet
    moment = MONDAY_0900 + timedelta(days=366)
    assert await anonymiser.run_once(moment) == 2
    assert await anonymiser.run_once(moment + timedelta(hours=1)) == 0  # each matter once

    for ticket_id in (old_closed["id"], old_cancelled["id"]):
        ticket = await _ticket(ticket_app, ticket_id)
        assert (ticket.resident_name, ticket.resident_phone, ticket.resident_id) == (None, None, None)
        assert ticket.description == ANONYMISED_DESCRIPTION
        assert ticket.personal_data_removed_at == moment
    anonymised = await _ticket(ticket_app, old_closed["id"])
    assert anonymised.location_address is None and anonymised.media_urls == []
    assert (anonymised.latitude, anonymised.longitude) == (31.23, 121.52)
    notes = await _scalars(ticket_app, sa.select(TicketChange.note).where(TicketChange.note.is_not(None)))
    assert any("139****5678" in note for note in notes) and not any(PHONE in note for note in notes)
    video_notes = await _scalars(ticket_app, sa.select(VideoLinkSession.notes))
    assert video_notes == ["受理中心已致电139****5678"]
    logged = await _scalars(ticket_app, sa.select(ContactRead).where(ContactRead.ticket_id == anonymised.id))
    assert logged and all(read.resident_name_masked is None and read.resident_phone_masked is None for read in logged)

    # The figures: every count, category, time and SLA figure and the history's rows are as they were.
    assert {ticket_id: await _figures(ticket_app, ticket_id) for ticket_id in everyone} == figures
    assert await _counts(http) == counts
    # Nothing was published: the anonymised data goes nowhere.
    assert len(await _scalars(ticket_app, sa.select(outbox_message.c.id))) == published

    # Open and recent matters keep the resident's contact.
    for ticket_id in (still_open["id"], recent["id"]):
        ticket = await _ticket(ticket_app, ticket_id)
        assert (ticket.resident_name, ticket.resident_phone, ticket.personal_data_removed_at) == (NAME, PHONE, None)

    # The owner's detail shows what is left, and no contact was read.
    reads_before = len(await _scalars(ticket_app, sa.select(ContactRead.id)))
    detail = (await http.get(f"/api/v1/tickets/{old_closed['id']}", headers=owner)).json()
    assert detail["resident_phone"] is None and detail["description"] == ANONYMISED_DESCRIPTION
    assert detail["personal_data_removed_at"] is not None and detail["status"] == "closed"
    assert len(await _scalars(ticket_app, sa.select(ContactRead.id))) == reads_before


async def test_the_anonymise_command_runs_one_pass_and_is_idempotent(ticket_app, http, station, clock):
    clock.set(local(2025, 6, 2, 9, 0))  # a Monday long past the retention period
    old = await _raise(http, station)
    await _close(http, station, old)
    clock.set(MONDAY_0900)
    recent = await _raise(http, station)
    await _close(http, station, recent)
    environment = {
        **os.environ,
        "TICKET_MODE": "embedded",
        "TICKET_DATABASE_URL": ticket_app.state.runtime.settings.database_url,
        # The command reads the real clock: a retention period that ends on 2026-01-01, between the closings.
        "TICKET_PERSONAL_DATA_RETENTION_DAYS": str((utcnow() - local(2026, 1, 1)).days),
    }

    async def anonymise() -> dict[str, Any]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ticket_service", "anonymise",
            cwd=ROOT, env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode == 0, stderr.decode()
        return json.loads(stdout.decode().strip().splitlines()[-1])

    first = await anonymise()
    assert first["anonymised_tickets"] == 1
    assert (await _ticket(ticket_app, old["id"])).resident_phone is None
    assert (await _ticket(ticket_app, recent["id"])).resident_phone == PHONE
    assert (await anonymise())["anonymised_tickets"] == 0
