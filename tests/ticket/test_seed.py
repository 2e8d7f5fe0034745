"""The demo seed is deterministic and idempotent, and waits for nothing it does not need."""

from __future__ import annotations

import sqlalchemy as sa

from shared.ids import stable_id
from tests.ticket.conftest import OPENING_HOURS, publish
from ticket_service.open311.models import ApiKey
from ticket_service.rota.models import RotaPattern
from ticket_service.seed import DEMO_STATION_ID, seed_demo
from ticket_service.tickets.models import Ticket, TicketChange


async def _counts(database) -> tuple[int, ...]:
    async with database.sessionmaker() as session:
        return tuple(
            [
                await session.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (Ticket, TicketChange, RotaPattern, ApiKey)
            ]
        )


async def test_seeding_twice_changes_nothing_and_covers_every_state(ticket_app):
    await publish(
        ticket_app,
        "station.created",
        {
            "id": str(DEMO_STATION_ID),
            "name": "市新居委会家门口服务站",
            "subdistrict_id": str(stable_id("subdistrict", "陆家嘴街道")),
            "subdistrict_name": "陆家嘴街道",
            "community_name": "市新居委会",
            "opening_hours": OPENING_HOURS,
        },
    )
    database = ticket_app.state.runtime.database
    await seed_demo(database)
    first = await _counts(database)
    await seed_demo(database)
    assert await _counts(database) == first
    async with database.sessionmaker() as session:
        states = set(await session.scalars(sa.select(Ticket.status)))
        levels = set(await session.scalars(sa.select(Ticket.responsibility_level)))
    assert states == {
        "new", "accepted", "in_progress", "waiting_for_resident", "resolved", "closed", "cancelled", "reopened"
    }  # fmt: skip
    assert "backstop" in levels
    assert first[2] == 14  # two reception shifts a day, every day


async def test_without_stations_only_the_demo_key_is_seeded(ticket_app):
    database = ticket_app.state.runtime.database
    await seed_demo(database)
    assert await _counts(database) == (0, 0, 0, 1)
