"""Staff events taken as a run (the embedded seeding's bulk path: a few statements for thousands of events)
leave exactly the copies that taking them one at a time (the broker's path) leaves, in every service
that keeps a copy: repeats of one person apply in order, and an older event arriving late changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import evaluation_service.app
import evaluation_service.events
import notification_service.app
import notification_service.events
import ticket_service.app
import ticket_service.events
from evaluation_service.directory.models import StaffCopy as EvaluationStaff
from evaluation_service.directory.models import StationCopy as EvaluationStation
from notification_service.feed.models import FeedStaff
from notification_service.residents.models import SmsStaff, SmsStation
from shared.database import Database
from shared.events import EventEnvelope
from shared.ids import utcnow
from shared.migrations import upgrade
from tests.conftest import POSTGRES_URL, create_database, drop_database, require
from ticket_service.stations.models import StaffCopy as TicketStaff
from ticket_service.stations.models import StationCopy as TicketStation

# What the last events leave of s1 in the first copy: evaluation's copy takes each event whole (a missing
# name reads as the id), the others only the fields an event carries.
S1: dict[str, dict[str, Any]] = {
    "ticket": {"name": "王芳芳", "role": "social_worker", "station_id": None, "active": True},
    "evaluation": {"name": "s1", "role": None, "station_id": None, "active": True},
    "notification": {"name": "王芳芳", "active": True},
}
STATIONS = {"ticket": TicketStation, "evaluation": EvaluationStation, "notification": SmsStation}
SERVICES: dict[str, tuple[Any, Any, list[Any]]] = {
    "ticket": (ticket_service.app, ticket_service.events.consumer, [TicketStaff]),
    "evaluation": (evaluation_service.app, evaluation_service.events.consumer, [EvaluationStaff]),
    "notification": (notification_service.app, notification_service.events.consumer, [SmsStaff, FeedStaff]),
}


MakeDatabase = Callable[[str], Awaitable[Database]]


def _events() -> list[EventEnvelope]:
    t0 = utcnow() - timedelta(hours=1)
    station, other_station, community = (str(uuid.uuid4()) for _ in range(3))

    def event(kind: str, at: int, **data: Any) -> EventEnvelope:
        return replace(EventEnvelope.new(f"staff.{kind}", "/doorstep/catalog", data), time=t0 + timedelta(minutes=at))

    full = {"role": "social_worker", "station_id": station, "community_id": community, "active": True}
    return [
        event("created", 0, id="s1", name="王芳", **full),
        event("created", 0, id="s2", name="李强", **full),
        event("updated", 2, id="s1", name="王芳芳"),  # fewer fields: the others stay
        event("updated", 1, id="s1", name="迟到", role="secretary", station_id=other_station),  # older: ignored
        event("created", 0, id="s3"),  # nothing but the id
        event("updated", 0, id="s3", role="secretary"),  # as old as the copy
        event("removed", 3, id="s2"),
        event("updated", 4, id="s1", active=False),
        event("updated", 5, id="s1", active=True, station_id=None),  # an explicit null moves them off
        event("created", 1, id="s4", name="赵敏", **full),
        event("created", 0, id="s5", name="周", **full),
        event("updated", 1, id="s5", name="周甲"),
        event("updated", 2, id="s5", role="secretary"),  # must land before the next name
        event("updated", 3, id="s5", name="周乙"),
    ]


async def _copies(database: Database, models: list[Any]) -> list[list[tuple[Any, ...]]]:
    async with database.sessionmaker() as session:
        tables = []
        for model in models:
            rows = (await session.execute(sa.select(model.__table__).order_by(model.__table__.c.id))).all()
            tables.append([tuple(row) for row in rows])
    return tables


@pytest.fixture(params=["sqlite", "postgresql"])
async def databases(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[[str], Awaitable[Database]]]:
    made: list[Database] = []
    created: list[str] = []
    if request.param == "postgresql":
        require(POSTGRES_URL, 5432, "PostgreSQL")

    async def make(service: str) -> Database:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / f'{service}-{len(made)}.db'}"
        else:
            created.append(f"test_{service}_{uuid.uuid4().hex[:10]}")
            url = "postgresql+asyncpg://" + (await create_database(created[-1])).split("://", 1)[1]
        await asyncio.to_thread(upgrade, SERVICES[service][0].definition.migrations_directory, url, service)
        made.append(Database(url))
        return made[-1]

    yield make
    for database in made:
        await database.dispose()
    for name in created:
        await drop_database(name)


@pytest.mark.parametrize("service", list(SERVICES))
async def test_a_run_of_staff_events_leaves_the_copies_one_at_a_time_leaves(databases, service, monkeypatch):
    _, consumer, models = SERVICES[service]
    events = _events()

    one_by_one = await databases(service)
    monkeypatch.setattr(consumer, "database", one_by_one)
    for event in events:
        assert await consumer.handle(event) is True

    as_a_run = await databases(service)
    monkeypatch.setattr(consumer, "database", as_a_run)
    await consumer.handle_batch(events)

    expected = await _copies(one_by_one, models)
    assert await _copies(as_a_run, models) == expected
    # And the copies are the ones the events mean (not merely the same mistakes twice).
    first = {row[0]: row for row in expected[0]}
    assert set(first) == {"s1", "s2", "s3", "s4", "s5"}
    columns = [column.name for column in models[0].__table__.columns]
    s1, s2, s5 = (dict(zip(columns, first[key], strict=True)) for key in ("s1", "s2", "s5"))
    assert {column: s1[column] for column in S1[service]} == S1[service]
    if service == "ticket":
        assert (s5["name"], s5["role"]) == ("周乙", "secretary")
    assert s2["active"] is False  # removed


def _station_events() -> list[EventEnvelope]:
    t0 = utcnow() - timedelta(hours=1)
    first, second, subdistrict = uuid.uuid4(), uuid.uuid4(), str(uuid.uuid4())

    def event(kind: str, at: int, station: uuid.UUID, **data: Any) -> EventEnvelope:
        data = {"id": str(station), "subdistrict_id": subdistrict, "subdistrict_name": "周浦镇", **data}
        return replace(EventEnvelope.new(f"station.{kind}", "/doorstep/catalog", data), time=t0 + timedelta(minutes=at))

    return [
        event("created", 0, first, community_name="界村", phone="021-1"),
        event("updated", 2, first, community_name="界村", name="界村站"),  # created and updated in one run
        event("updated", 1, first, community_name="旧名", name="迟到站"),  # older: ignored
        event("created", 0, second, community_name="瓦屑村"),
        event("updated", 3, second, community_name="瓦屑村", time_zone="Asia/Shanghai"),
    ]


@pytest.mark.parametrize("service", list(SERVICES))
async def test_a_run_of_station_events_leaves_the_copies_one_at_a_time_leaves(databases, service, monkeypatch):
    consumer, model = SERVICES[service][1], STATIONS[service]
    events = _station_events()
    one_by_one = await databases(service)
    monkeypatch.setattr(consumer, "database", one_by_one)
    for event in events:
        assert await consumer.handle(event) is True
    as_a_run = await databases(service)
    monkeypatch.setattr(consumer, "database", as_a_run)
    await consumer.handle_batch(events)

    [expected] = await _copies(one_by_one, [model])
    assert await _copies(as_a_run, [model]) == [expected]
    names = {dict(zip([c.name for c in model.__table__.columns], row, strict=True))["name"] for row in expected}
    assert "界村站" in names and "迟到站" not in names
