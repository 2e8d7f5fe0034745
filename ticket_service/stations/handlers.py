"""Keeps the local copies of stations, staff and departments current from the catalogue's events.

Events from an older catalogue may lack fields: every field but the id is optional, and a missing
field leaves what we had. An event older than the copy (late delivery) changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import EventEnvelope, PermanentFailure
from shared.ids import stable_id
from shared.upserts import Upsert
from ticket_service.events import consumer
from ticket_service.reassignment import service as reassignment
from ticket_service.stations import repository
from ticket_service.stations.calendars import valid_opening_hours
from ticket_service.stations.models import DepartmentCopy, StationCopy


def _uuid(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _categories(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [str(item) for item in value if isinstance(item, str)]


def _required_id(data: dict[str, Any]) -> uuid.UUID:
    identifier = _uuid(data.get("id"))
    if identifier is None:
        raise PermanentFailure(f"event without a usable id: {data.get('id')!r}")
    return identifier


@consumer.on_many("station.created", "station.updated")
async def station_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """A run of station events (1,285 when the catalogue seeds): the copies it names are read in one query,
    then each event applies as it would alone."""
    known = await repository.stations_by_ids(session, [_required_id(event.data) for event in events])
    for event in events:
        _apply_station(session, known, event)
    # The in-memory copies (stations/copies.py) reload at their next use; after the rows, to lock it briefly.
    await session.flush()
    await repository.bump_copies_version(session)


def _apply_station(session: AsyncSession, known: dict[uuid.UUID, StationCopy], event: EventEnvelope) -> None:
    data = event.data
    station_id = _required_id(data)
    station = known.get(station_id)
    if station is None:
        subdistrict_id = _uuid(data.get("subdistrict_id"))
        if subdistrict_id is None or not data.get("community_name"):
            raise PermanentFailure("a new station needs subdistrict_id and community_name")
        station = StationCopy(id=station_id, subdistrict_id=subdistrict_id, community_name=data["community_name"])
        session.add(station)
        known[station_id] = station
    elif station.updated_at >= event.time:
        return  # an older event arriving late must not undo a newer one
    station.subdistrict_id = _uuid(data.get("subdistrict_id")) or station.subdistrict_id
    station.community_name = str(data.get("community_name") or station.community_name)
    station.name = str(data.get("name") or station.name or station.community_name)
    station.subdistrict_name = data.get("subdistrict_name") or station.subdistrict_name
    community_id = _uuid(data.get("community_id"))
    if community_id is None and station.subdistrict_name:
        community_id = stable_id("community", station.subdistrict_name, station.community_name)
    station.community_id = community_id or station.community_id
    station.address = data.get("address") or station.address
    station.phone = data.get("phone") or station.phone
    if _number(data.get("latitude")) is not None and _number(data.get("longitude")) is not None:
        station.latitude = _number(data["latitude"])
        station.longitude = _number(data["longitude"])
    if "opening_hours" in data:
        station.opening_hours = valid_opening_hours(data["opening_hours"]) or station.opening_hours
    station.time_zone = data.get("time_zone") or station.time_zone
    station.updated_at = event.time


def _staff_upsert(event: EventEnvelope) -> Upsert:
    data = event.data
    staff_id = str(data.get("id") or "").strip()
    if not staff_id or len(staff_id) > 64:
        raise PermanentFailure(f"staff event without a usable id: {data.get('id')!r}")
    # Only the fields the event carries change the copy; a missing one leaves what we had.
    changes: dict[str, Any] = {}
    if data.get("name"):
        changes["name"] = str(data["name"])[:100]
    if data.get("role"):
        changes["role"] = str(data["role"])[:40]
    for column in ("station_id", "community_id", "subdistrict_id", "department_id"):
        if column in data:  # an explicit null moves the person off a station/community
            changes[column] = _uuid(data[column])
    categories = _categories(data.get("service_categories"))
    if categories is not None:
        changes["service_categories"] = categories
    if event.type == "staff.removed":
        changes["active"] = False
    elif isinstance(data.get("active"), bool):
        changes["active"] = data["active"]
    row = {
        "id": staff_id,
        "name": "",
        "role": "unknown",
        "service_categories": [],
        "active": True,
        **changes,
        "updated_at": event.time,
    }
    return Upsert(row, tuple(changes))


@consumer.on_many("staff.created", "staff.updated", "staff.removed")
async def staff_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """A run of staff events (thousands when the catalogue seeds) in a few statements, as if one by one."""
    pending: list[Upsert] = []
    for event in events:
        upsert = _staff_upsert(event)
        pending.append(upsert)
        if upsert.row["active"] is False and "active" in upsert.changes:
            # Nobody keeps a ticket once they left or were deactivated: their open tickets move at once,
            # against the copies as they stand after this event (and before the later ones).
            await repository.upsert_staff_many(session, pending)
            pending = []
            staff_id = str(upsert.row["id"])
            await reassignment.staff_changed(session, staff_id, removed=event.type == "staff.removed", now=event.time)
    await repository.upsert_staff_many(session, pending)
    await repository.bump_copies_version(session)  # the in-memory copies (stations/copies.py) reload


@consumer.on("department.created", "department.updated")
async def department_changed(session: AsyncSession, event: EventEnvelope) -> None:
    data = event.data
    department_id = _required_id(data)
    department = await repository.get_department(session, department_id)
    if department is None:
        department = DepartmentCopy(id=department_id, name="", kind="", service_categories=[])
        session.add(department)
    elif department.updated_at >= event.time:
        return
    department.name = str(data.get("name") or department.name)
    department.kind = str(data.get("kind") or department.kind)
    if "subdistrict_id" in data:
        department.subdistrict_id = _uuid(data["subdistrict_id"])
    categories = _categories(data.get("service_categories"))
    if categories is not None:
        department.service_categories = categories
    department.updated_at = event.time
