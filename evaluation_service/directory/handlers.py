"""Keeps the local copies of stations, staff and departments current from the catalogue's events.

Handlers flush what they write, so several events in one transaction (the embedded bulk path) see each
other's rows.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.contract import optional_bool, optional_str, optional_str_list, optional_uuid, required_uuid
from evaluation_service.directory.models import DepartmentCopy, StaffCopy, StationCopy
from evaluation_service.events import consumer
from shared.events import EventEnvelope, PermanentFailure


@consumer.on("station.created", "station.updated")
async def station_changed(session: AsyncSession, event: EventEnvelope) -> None:
    data = event.data
    station_id = required_uuid(data, "id")
    station = await session.get(StationCopy, station_id)
    if station is None:
        station = StationCopy(id=station_id)
        session.add(station)
    elif station.updated_at >= event.time:
        return  # an older event arriving late must not undo a newer one
    community_name = optional_str(data, "community_name", 100) or station.community_name or ""
    station.name = optional_str(data, "name", 200) or station.name or f"{community_name}家门口服务站"
    station.community_id = optional_uuid(data, "community_id") or station.community_id
    station.community_name = community_name
    station.subdistrict_id = required_uuid(data, "subdistrict_id")
    station.subdistrict_name = optional_str(data, "subdistrict_name", 100) or station.subdistrict_name
    station.updated_at = event.time
    await session.flush()


@consumer.on("staff.created", "staff.updated", "staff.removed")
async def staff_changed(session: AsyncSession, event: EventEnvelope) -> None:
    """One statement per event: insert, or update when this event is newer than the copy."""
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
    insert = (sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert)(StaffCopy)
    statement = insert.values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[StaffCopy.id],
            set_={key: statement.excluded[key] for key in values if key != "id"},
            where=StaffCopy.updated_at < statement.excluded.updated_at,
        )
    )


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
