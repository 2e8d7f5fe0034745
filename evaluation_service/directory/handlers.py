"""Keeps the local copies of stations, staff and departments current from the catalogue's events.

Handlers flush what they write, so several events in one transaction (the embedded bulk path) see each
other's rows.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.contract import optional_bool, optional_str, optional_str_list, optional_uuid, required_uuid
from evaluation_service.directory.models import DepartmentCopy, StaffCopy, StationCopy
from evaluation_service.events import consumer
from shared.events import EventEnvelope, PermanentFailure
from shared.upserts import Upsert, upsert_newer


@consumer.on_many("station.created", "station.updated")
async def station_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """A run of station events: the copies it names are read in one query, each event applies as alone."""
    ids = {required_uuid(event.data, "id") for event in events}
    found = await session.scalars(sa.select(StationCopy).where(StationCopy.id.in_(ids)))
    known = {station.id: station for station in found}
    for event in events:
        _apply_station(session, known, event)
    await session.flush()


def _apply_station(session: AsyncSession, known: dict[uuid.UUID, StationCopy], event: EventEnvelope) -> None:
    data = event.data
    station_id = required_uuid(data, "id")
    station = known.get(station_id)
    if station is None:
        station = StationCopy(id=station_id)
        session.add(station)
        known[station_id] = station
    elif station.updated_at >= event.time:
        return  # an older event arriving late must not undo a newer one
    community_name = optional_str(data, "community_name", 100) or station.community_name or ""
    station.name = optional_str(data, "name", 200) or station.name or f"{community_name}家门口服务站"
    station.community_id = optional_uuid(data, "community_id") or station.community_id
    station.community_name = community_name
    station.subdistrict_id = required_uuid(data, "subdistrict_id")
    station.subdistrict_name = optional_str(data, "subdistrict_name", 100) or station.subdistrict_name
    station.updated_at = event.time


@consumer.on_many("staff.created", "staff.updated", "staff.removed")
async def staff_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Insert, or update when the event is newer than the copy: a run of events (thousands when the
    catalogue seeds) in a few statements, with the effect of taking them one by one."""
    upserts: list[Upsert] = []
    for event in events:
        data = event.data
        staff_id = optional_str(data, "id", 64)
        if staff_id is None:
            raise PermanentFailure("staff event without an id")
        active = optional_bool(data, "active")
        values = {
            "id": staff_id,
            "name": optional_str(data, "name", 100) or staff_id,
            "role": optional_str(data, "role", 40),
            "station_id": optional_uuid(data, "station_id"),
            "subdistrict_id": optional_uuid(data, "subdistrict_id"),
            "active": False if event.type == "staff.removed" else (active if active is not None else True),
            "updated_at": event.time,
        }
        upserts.append(Upsert(values, tuple(key for key in values if key not in ("id", "updated_at"))))
    await upsert_newer(session, StaffCopy, upserts)


@consumer.on("department.created", "department.updated")
async def department_changed(session: AsyncSession, event: EventEnvelope) -> None:
    data = event.data
    department_id = required_uuid(data, "id")
    department = await session.get(DepartmentCopy, department_id)
    if department is None:
        department = DepartmentCopy(id=department_id)
        session.add(department)
    elif department.updated_at >= event.time:
        return
    department.name = optional_str(data, "name", 200) or department.name or str(department_id)
    department.kind = optional_str(data, "kind", 40)
    department.subdistrict_id = optional_uuid(data, "subdistrict_id")
    department.service_categories = optional_str_list(data, "service_categories", 40)
    department.updated_at = event.time
    await session.flush()
