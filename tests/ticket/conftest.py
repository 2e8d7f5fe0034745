"""The ticket service alone, on a fresh SQLite database, fed with catalogue events by the test.

Time is controlled: ``clock`` sets what the service believes "now" is. The SLA checker does not run
by itself here; tests call ``app.state.sla_checker.run_once()`` at the moment they choose.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa

from shared.events import EventEnvelope
from shared.events.tables import outbox_message
from shared.service import run_migrations_sync
from shared.settings import Mode
from tests.conftest import bearer, eventually, running
from tests.templates import migrate
from ticket_service.app import create_app, definition
from ticket_service.settings import TicketSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Mon-Fri 09:00-12:00 and 13:00-18:00, Saturday morning, closed on Sunday; 2026-10-01 a holiday.
OPENING_HOURS = {
    "time_zone": "Asia/Shanghai",
    "weekly_periods": [
        *({"weekday": day, "opens": "09:00", "closes": "12:00"} for day in range(5)),
        *({"weekday": day, "opens": "13:00", "closes": "18:00"} for day in range(5)),
        {"weekday": 5, "opens": "09:00", "closes": "12:00"},
    ],
    "exceptions": [{"day": "2026-10-01", "periods": []}],
}


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A moment on the stations' wall clock (Asia/Shanghai)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


# 2026-09-14 is a Monday.
MONDAY_0900 = local(2026, 9, 14, 9, 0)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


@dataclass
class Station:
    id: str
    subdistrict_id: str
    community_id: str
    name: str
    secretary: str = field(default_factory=lambda: str(uuid.uuid4()))
    receptionist: str = field(default_factory=lambda: str(uuid.uuid4()))
    social_workers: list[str] = field(default_factory=lambda: [str(uuid.uuid4()) for _ in range(3)])
    department: str = field(default_factory=lambda: str(uuid.uuid4()))

    def headers(self, role: str, subject: str | None = None) -> dict[str, str]:
        if subject is None:
            subject = {"secretary": self.secretary, "receptionist": self.receptionist}.get(role)
            subject = subject or self.social_workers[0]
        return bearer(
            role,
            subject,
            station_id=self.id,
            community_id=self.community_id,
            subdistrict_id=self.subdistrict_id,
        )

    def department_headers(self) -> dict[str, str]:
        return bearer(
            "department", str(uuid.uuid4()), department_id=self.department, subdistrict_id=self.subdistrict_id
        )


async def publish(app: Any, event_type: str, data: dict[str, Any], time: datetime | None = None) -> None:
    envelope = EventEnvelope(type=event_type, source="/test/catalog", data=data)
    if time is not None:
        envelope = EventEnvelope(type=event_type, source="/test/catalog", data=data, time=time)
    await app.state.runtime.bus.publish(envelope)


async def open_station(app: Any, *, staff: bool = True, name: str = "市新居委会") -> Station:
    station = Station(id=str(uuid.uuid4()), subdistrict_id=str(uuid.uuid4()), community_id=str(uuid.uuid4()), name=name)
    await publish(
        app,
        "station.created",
        {
            "id": station.id,
            "name": f"{name}家门口服务站",
            "subdistrict_id": station.subdistrict_id,
            "subdistrict_name": "陆家嘴街道",
            "community_id": station.community_id,
            "community_name": name,
            "address": "福山路1号",
            "latitude": 31.2298,
            "longitude": 121.5201,
            "phone": "021-58880001",
            "opening_hours": OPENING_HOURS,
            "time_zone": "Asia/Shanghai",
        },
    )
    if staff:
        people = [
            (station.secretary, "secretary", []),
            (station.receptionist, "receptionist", []),
            (station.social_workers[0], "social_worker", ["government_affairs", "daily_life"]),
            (station.social_workers[1], "social_worker", ["legal", "daily_life"]),
            (station.social_workers[2], "social_worker", ["legal"]),
        ]
        for person_id, role, categories in people:
            await publish(
                app,
                "staff.created",
                {
                    "id": person_id,
                    "name": f"{role}-{person_id[:4]}",
                    "role": role,
                    "station_id": station.id,
                    "community_id": station.community_id,
                    "subdistrict_id": station.subdistrict_id,
                    "department_id": None,
                    "service_categories": categories,
                    "active": True,
                },
            )
        await publish(
            app,
            "department.created",
            {
                "id": station.department,
                "name": "陆家嘴街道民政科",
                "kind": "civil_affairs",
                "subdistrict_id": station.subdistrict_id,
                "service_categories": ["daily_life"],
            },
        )
    await _copied(app, station)
    return station


async def _copied(app: Any, station: Station) -> None:
    """Waits until the station's copy is stored: a handler that lost a race is retried by the bus a moment
    later, and a test must not raise a ticket at a station the service does not know yet."""
    from ticket_service.stations.models import StationCopy

    async def stored() -> bool:
        async with app.state.runtime.database.sessionmaker() as session:
            return await session.get(StationCopy, uuid.UUID(station.id)) is not None

    await eventually(stored)


@pytest.fixture
async def ticket_app(tmp_path: Path) -> AsyncIterator[Any]:
    settings = TicketSettings(
        mode=Mode.embedded,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'ticket.db'}",
        sla_checker_enabled=False,
        consumer_retry_delay_ms=20,
        consumer_max_retries=1,
    )
    migrate(definition, settings)  # a copy of a database migrated once
    app = create_app(settings)
    async with running(app):
        app.state.clock = Clock(MONDAY_0900)
        yield app


@pytest.fixture
async def pg_app(fresh_databases: Any) -> AsyncIterator[Any]:
    """The ticket service on a fresh PostgreSQL database of its own (what SQLite cannot show: locks, plans)."""
    url = await fresh_databases("ticket")
    settings = TicketSettings(mode=Mode.embedded, database_url=url, sla_checker_enabled=False)
    await asyncio.to_thread(run_migrations_sync, definition, settings)
    app = create_app(settings)
    async with running(app):
        app.state.clock = Clock(MONDAY_0900)
        yield app


@pytest.fixture
def clock(ticket_app: Any) -> Clock:
    return ticket_app.state.clock


@pytest.fixture
async def http(ticket_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=ticket_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ticket") as client:
        yield client


@pytest.fixture
async def station(ticket_app: Any) -> Station:
    return await open_station(ticket_app)


async def add_reception_rota(http: httpx.AsyncClient, station: Station, person: str | None = None) -> None:
    """Morning receptionist, afternoon first social worker, Monday to Saturday."""
    secretary = station.headers("secretary")
    for weekday in range(6):
        for person_id, start, end in (
            (person or station.receptionist, "09:00", "12:00"),
            (station.social_workers[0], "13:00", "18:00"),
        ):
            response = await http.post(
                f"/api/v1/duty-rota/{station.id}/patterns",
                headers=secretary,
                json={
                    "person_id": person_id,
                    "weekday": weekday,
                    "start_time": start,
                    "end_time": end,
                    "valid_from": "2026-01-01",
                },
            )
            assert response.status_code == 201, response.text


async def events(app: Any, event_type: str) -> list[EventEnvelope]:
    async with app.state.runtime.database.sessionmaker() as session:
        payloads = (
            await session.scalars(
                sa.select(outbox_message.c.payload)
                .where(outbox_message.c.event_type == event_type)
                .order_by(outbox_message.c.created_at, outbox_message.c.id)
            )
        ).all()
    return [EventEnvelope.from_json(payload) for payload in payloads]


def ticket_body(station: Station, **overrides: Any) -> dict[str, Any]:
    body = {
        "station_id": station.id,
        "channel": "walk_in",
        "service_category": "government_affairs",
        "description": "医疗记录册用完了，换一本新的",
        "resident_name": "王阿姨",
        "resident_phone": "13800000000",
    }
    body.update(overrides)
    return body


async def raise_ticket(http: httpx.AsyncClient, station: Station, role: str = "receptionist", **overrides: Any):
    response = await http.post("/api/v1/tickets", headers=station.headers(role), json=ticket_body(station, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def bulk_rows(session: Any) -> None:
    """For a transaction that loads tens of thousands of rows for PostgreSQL's planner: no per-row triggers
    (the commit numbering's deferred UPDATE of every row, which rewrites each row and its 17 index entries
    once more; the foreign-key checks). 60,000 tickets took 26 s with them, 5 s without. The test's rows
    are consistent by construction, and their change numbers play no part in the plans it reads."""
    await session.execute(sa.text("SET LOCAL session_replication_role = replica"))
