"""Queries over the local copies of stations, staff and departments."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.database import table_of
from shared.upserts import Upsert, upsert_newer
from ticket_service.stations.models import DepartmentCopy, StaffCopy, StationCopy

SECRETARY = "secretary"
SOCIAL_WORKER = "social_worker"

# The copies' version (stations/copies.py): a named row of the kernel's counter table (shared/sync.py keeps
# its own row there), raised in every transaction that changes a station or staff copy.
_COUNTERS = sa.table("change_counter", sa.column("name", sa.String), sa.column("value", sa.BigInteger))
COPIES_VERSION = "station_staff_copies"


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> StationCopy | None:
    return await session.get(StationCopy, station_id)


async def stations_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, StationCopy]:
    if not ids:
        return {}
    rows = await session.scalars(sa.select(StationCopy).where(StationCopy.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def get_staff(session: AsyncSession, staff_id: str) -> StaffCopy | None:
    return await session.get(StaffCopy, staff_id)


async def staff_by_ids(session: AsyncSession, ids: Sequence[str]) -> dict[str, StaffCopy]:
    if not ids:
        return {}
    rows = await session.scalars(sa.select(StaffCopy).where(StaffCopy.id.in_(list(set(ids)))))
    return {row.id: row for row in rows}


async def station_staff(session: AsyncSession, station: StationCopy, *, role: str | None = None) -> list[StaffCopy]:
    """Active staff who work at the station (a secretary counts for every station of the community)."""
    where: list[sa.ColumnElement[bool]] = [StaffCopy.active.is_(True)]
    belongs = StaffCopy.station_id == station.id
    if station.community_id is not None:
        belongs = sa.or_(belongs, sa.and_(StaffCopy.role == SECRETARY, StaffCopy.community_id == station.community_id))
    where.append(belongs)
    if role is not None:
        where.append(StaffCopy.role == role)
    return list(await session.scalars(sa.select(StaffCopy).where(*where).order_by(StaffCopy.id)))


async def has_staff_list(session: AsyncSession, station: StationCopy) -> bool:
    """Whether the catalogue has told us anything about this station's staff (else rota and tokens are trusted)."""
    found = await session.scalar(sa.select(StaffCopy.id).where(StaffCopy.station_id == station.id).limit(1))
    return found is not None


async def community_staff(session: AsyncSession, station: StationCopy) -> list[StaffCopy]:
    if station.community_id is None:
        return await station_staff(session, station)
    query = sa.select(StaffCopy).where(
        StaffCopy.active.is_(True),
        sa.or_(StaffCopy.community_id == station.community_id, StaffCopy.station_id == station.id),
    )
    return list(await session.scalars(query.order_by(StaffCopy.id)))


async def secretary_for(session: AsyncSession, station: StationCopy) -> StaffCopy | None:
    secretaries = await station_staff(session, station, role=SECRETARY)
    return secretaries[0] if secretaries else None


async def subdistrict_departments(session: AsyncSession, subdistrict_id: uuid.UUID) -> list[DepartmentCopy]:
    query = sa.select(DepartmentCopy).where(DepartmentCopy.subdistrict_id == subdistrict_id)
    return list(await session.scalars(query.order_by(DepartmentCopy.id)))


async def all_located_stations(session: AsyncSession) -> list[StationCopy]:
    query = sa.select(StationCopy).where(StationCopy.latitude.is_not(None), StationCopy.longitude.is_not(None))
    return list(await session.scalars(query))


async def get_department(session: AsyncSession, department_id: uuid.UUID) -> DepartmentCopy | None:
    return await session.get(DepartmentCopy, department_id)


async def upsert_staff_many(session: AsyncSession, upserts: list[Upsert]) -> None:
    """INSERT ... ON CONFLICT (id) DO UPDATE each event's changes only if it is newer than the copy, many rows
    per statement (the catalogue sends thousands of staff events when it seeds), in the events' order."""
    await upsert_newer(session, StaffCopy, upserts)


# --- the copies' version and the in-memory copies (stations/copies.py) --------------------------------------


async def copies_version(session: AsyncSession) -> int:
    """The current version of the station and staff copies (0 before the first change)."""
    value = await session.scalar(sa.select(_COUNTERS.c.value).where(_COUNTERS.c.name == COPIES_VERSION))
    return int(value or 0)


async def bump_copies_version(session: AsyncSession) -> None:
    """Raises the copies' version in the caller's transaction (last: the row stays locked until it commits).
    The first row starts at a random number, so a database rebuilt under a running process never repeats a
    version that process has seen."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(_COUNTERS).values(name=COPIES_VERSION, value=secrets.randbelow(2**53) + 1)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[_COUNTERS.c.name], set_={"value": _COUNTERS.c.value + 1})
    )


_STATION_TABLE = table_of(StationCopy)


async def station_values(session: AsyncSession, station_id: uuid.UUID) -> dict[str, Any] | None:
    """A station copy's columns as values (no ORM instance: the caller keeps them beyond the session)."""
    row = (await session.execute(sa.select(_STATION_TABLE).where(_STATION_TABLE.c.id == station_id))).first()
    return dict(row._mapping) if row is not None else None


@dataclass(frozen=True, slots=True)
class StaffRow:
    id: str
    role: str
    station_id: uuid.UUID | None
    community_id: uuid.UUID | None
    active: bool


async def staff_rows_for(session: AsyncSession, station: StationCopy) -> list[StaffRow]:
    """Every staff copy of the station (any state), and the community's secretaries: one read that answers
    `has_staff_list`, `station_staff` and `secretary_for` (stations/copies.py)."""
    table = table_of(StaffCopy)
    belongs = table.c.station_id == station.id
    if station.community_id is not None:
        belongs = sa.or_(belongs, sa.and_(table.c.role == SECRETARY, table.c.community_id == station.community_id))
    query = sa.select(table.c.id, table.c.role, table.c.station_id, table.c.community_id, table.c.active).where(belongs)
    return [StaffRow(*row) for row in (await session.execute(query)).all()]
