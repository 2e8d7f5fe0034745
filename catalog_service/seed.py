"""Demo data at full district scale: 36 subdistricts, 1,285 communities and stations, ~8 staff each,
departments, resources, demands and requests in every state (see demo/generate.py).

Deterministic (stable ids, fixed dates) and idempotent: rows that exist are left alone, so running it
twice changes nothing. Rows go in with multi-row inserts and their events (station.created,
department.created, staff.created) with one outbox insert, so the whole district loads in seconds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.demands.models import Demand
from catalog_service.demo.generate import DemoData, generate, reported_only
from catalog_service.departments.models import Department
from catalog_service.departments.service import department_state
from catalog_service.events import DEPARTMENT_CREATED, STAFF_CREATED, STATION_CREATED, add_many
from catalog_service.resource_requests.models import ResourceRequest
from catalog_service.resources.models import Resource, ResourceSubdistrict, ResourceWindow
from catalog_service.service_lists.models import OptionalItem
from catalog_service.settings import CatalogSettings
from catalog_service.staff.models import StaffMember
from catalog_service.staff.service import staff_state
from catalog_service.stations.hours import parse_calendar
from catalog_service.stations.models import Community, Station, Subdistrict
from catalog_service.stations.service import station_state
from shared.database import Database
from shared.localtime import LOCAL_TIME_ZONE

logger = logging.getLogger("catalog.seed")

SEEDED_AT = datetime(2026, 11, 1, tzinfo=UTC)
_CHUNK = 1000


async def _existing(session: AsyncSession, column: Any) -> set[Any]:
    return set((await session.scalars(sa.select(column))).all())


async def _insert(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """Core executemany on the session's connection: no ORM unit of work for thousands of rows."""
    if not rows:
        return
    connection = await session.connection()
    table = model.__table__
    for start in range(0, len(rows), _CHUNK):
        await connection.execute(table.insert(), rows[start : start + _CHUNK])


def _stamped(rows: Iterable[dict[str, Any]], *, updated: bool = True) -> list[dict[str, Any]]:
    stamps = {"created_at": SEEDED_AT, **({"updated_at": SEEDED_AT} if updated else {})}
    return [{**row, **stamps} for row in rows]


def _local(day: Any, hour: int) -> datetime:
    return datetime.combine(day, time(hour), LOCAL_TIME_ZONE).astimezone(UTC)


def _demand_rows(data: DemoData) -> list[dict[str, Any]]:
    rows = []
    for demand in data.demands:
        row = {key: value for key, value in demand.items() if key != "created_day"}
        created = _local(demand["created_day"], 10)
        row.update(created_at=created, updated_at=created, fulfilled_at=None, closed_at=None)
        if demand["status"] == "closed":
            row.update(closed_at=created + timedelta(days=2), updated_at=created + timedelta(days=2))
        rows.append(row)
    delivered = {r["demand_id"]: r for r in data.requests if r["status"] == "delivered"}
    for row in rows:
        request = delivered.get(row["id"])
        if request is not None and row["status"] == "fulfilled":
            row.update(
                fulfilled_at=_local(request["requested_date"], 21), updated_at=_local(request["requested_date"], 21)
            )
    return rows


def _request_rows(data: DemoData) -> list[dict[str, Any]]:
    created_by_demand = {d["id"]: d["created_day"] for d in data.demands}
    rows = []
    for request in data.requests:
        row = {key: value for key, value in request.items() if key != "scheduled_day"}
        created = _local(created_by_demand[request["demand_id"]] + timedelta(days=1), 9)
        scheduled = _local(request["scheduled_day"], 19) if request["scheduled_day"] else None
        row.update(
            created_at=created,
            updated_at=created,
            scheduled_at=scheduled,
            delivered_at=scheduled + timedelta(hours=1) if request["status"] == "delivered" and scheduled else None,
            requested_by=None,
            answered_by=None,
        )
        rows.append(row)
    return rows


async def seed_demo(database: Database, scale: str | None = None) -> None:
    """`scale`: "full" or "reported"; by default CATALOG_DEMO_SCALE (full)."""
    data = generate()
    if (scale or CatalogSettings().demo_scale) == "reported":
        data = reported_only(data)
    async with database.transaction() as session:
        counts = await write(session, data)
    logger.info("catalogue demo data seeded", extra=counts)


async def write(session: AsyncSession, data: DemoData) -> dict[str, int]:
    """Inserts whatever of `data` is missing, with the events of new stations, departments and staff."""
    counts: dict[str, int] = {}
    events: list[tuple[str, dict[str, Any], str | None]] = []

    existing = await _existing(session, Subdistrict.id)
    new = [row for row in data.subdistricts if row["id"] not in existing]
    await _insert(session, Subdistrict, _stamped(new, updated=False))
    for row in data.subdistricts:  # subdistricts opened before the demo had boundaries get them
        if row["id"] in existing:
            await session.execute(
                sa.update(Subdistrict)
                .where(Subdistrict.id == row["id"], Subdistrict.boundary.is_(None))
                .values(boundary=row["boundary"])
            )
    counts["subdistricts"] = len(new)
    names = {row["id"]: row["name"] for row in data.subdistricts}
    names.update(dict((await session.execute(sa.select(Subdistrict.id, Subdistrict.name))).all()))

    existing = await _existing(session, Community.id)
    stations_existing = await _existing(session, Station.id)
    taken_communities = existing | set((await session.scalars(sa.select(Station.community_id))).all())
    communities = [row for row in data.communities if row["id"] not in existing]
    await _insert(session, Community, _stamped(communities))
    stations = [
        row
        for row in data.stations
        if row["id"] not in stations_existing and row["community_id"] not in taken_communities
    ]
    await _insert(session, Station, _stamped(stations))
    calendars: dict[str, dict[str, Any]] = {}  # a few hours variants shared by 1,285 stations: parse each once
    for row in stations:
        key = json.dumps(row["opening_hours"], sort_keys=True)
        if key not in calendars:
            calendars[key] = parse_calendar(row["opening_hours"]).to_dict()
        state = station_state(SimpleNamespace(**row), names[row["subdistrict_id"]], calendars[key])
        events.append((STATION_CREATED, state, str(row["id"])))
    counts["stations"] = len(stations)
    station_ids = stations_existing | {row["id"] for row in stations}

    existing = await _existing(session, Department.id)
    departments = [row for row in data.departments if row["id"] not in existing]
    await _insert(session, Department, _stamped(departments))
    for row in departments:
        name = names.get(row["subdistrict_id"]) if row["subdistrict_id"] else None
        events.append((DEPARTMENT_CREATED, department_state(SimpleNamespace(**row), name), str(row["id"])))
    counts["departments"] = len(departments)

    existing = await _existing(session, StaffMember.id)
    staff = [
        row
        for row in data.staff
        if row["id"] not in existing and (row["station_id"] is None or row["station_id"] in station_ids)
    ]
    await _insert(session, StaffMember, _stamped(staff))
    events.extend((STAFF_CREATED, staff_state(SimpleNamespace(**row)), str(row["id"])) for row in staff)
    counts["staff"] = len(staff)

    existing = await _existing(session, OptionalItem.id)
    items = [row for row in data.optional_items if row["id"] not in existing and row["station_id"] in station_ids]
    await _insert(session, OptionalItem, _stamped(items))

    existing = await _existing(session, Resource.id)
    resources = [
        row for row in data.resources if row["id"] not in existing and row["station_id"] in (None, *station_ids)
    ]
    new_ids = {row["id"] for row in resources}
    await _insert(session, Resource, _stamped(resources))
    await _insert(session, ResourceWindow, [row for row in data.resource_windows if row["resource_id"] in new_ids])
    await _insert(
        session, ResourceSubdistrict, [row for row in data.resource_subdistricts if row["resource_id"] in new_ids]
    )
    counts["resources"] = len(resources)
    resource_ids = await _existing(session, Resource.id)

    existing = await _existing(session, Demand.id)
    demands = [row for row in _demand_rows(data) if row["id"] not in existing and row["station_id"] in station_ids]
    await _insert(session, Demand, demands)
    counts["demands"] = len(demands)
    demand_ids = existing | {row["id"] for row in demands}

    existing = await _existing(session, ResourceRequest.id)
    requests = [
        row
        for row in _request_rows(data)
        if row["id"] not in existing
        and row["demand_id"] in demand_ids
        and row["resource_id"] in resource_ids
        and row["station_id"] in station_ids
    ]
    await _insert(session, ResourceRequest, requests)
    counts["requests"] = len(requests)

    counts["events"] = await add_many(session, events)
    return counts
