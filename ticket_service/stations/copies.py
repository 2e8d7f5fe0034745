"""In-memory copies of each station and its staff for raising tickets, checked against a version.

A creation needs the station (scope, calendar, event payloads) and who works there (the first-inquiry
rule): read from the database, three statements and their ORM rows every time. Here they are kept per
process and station, each entry labelled with the copies' version: one counter row that the catalogue's
station and staff events raise in the transaction that changes a copy (``stations/handlers.py``). A
creation reads the counter (one primary-key lookup) and reloads the station's entry only when it moved,
so every replica sees a change at its next creation, whichever replica consumed the event.

The cached ``StationCopy`` is detached (never added to a session) and must not be changed.
"""

from __future__ import annotations

import uuid
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from shared.business_calendar import BusinessCalendar
from ticket_service.stations import repository
from ticket_service.stations.calendars import calendar_for
from ticket_service.stations.models import StationCopy


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: str
    role: str


@dataclass(frozen=True, slots=True)
class StationStaff:
    """What the first-inquiry rule asks of a station's staff copies (``stations.repository``'s
    ``has_staff_list``, ``station_staff`` and ``secretary_for``), answered from one read."""

    # The catalogue told us anything about this station's staff (active or not).
    has_list: bool
    # Active staff of the station, and the community's secretaries, in id order.
    active: tuple[StaffMember, ...]

    @property
    def ids(self) -> set[str]:
        return {member.id for member in self.active}

    def secretary_id(self) -> str | None:
        return next((member.id for member in self.active if member.role == repository.SECRETARY), None)


def station_staff(station: StationCopy, rows: list[repository.StaffRow]) -> StationStaff:
    """The rows of `repository.staff_rows_for` (any state, the station's and the community's secretaries)."""
    has_list = any(row.station_id == station.id for row in rows)
    active = tuple(
        StaffMember(row.id, row.role)
        for row in sorted(rows, key=lambda row: row.id)
        if row.active
        and (
            row.station_id == station.id
            or (
                station.community_id is not None
                and row.role == repository.SECRETARY
                and row.community_id == station.community_id
            )
        )
    )
    return StationStaff(has_list, active)


@dataclass(frozen=True, slots=True)
class StationEntry:
    version: int
    station: StationCopy
    calendar: BusinessCalendar
    staff: StationStaff


# One cache per database engine (tests run many databases in one process); dropped with its engine.
_CACHES: weakref.WeakKeyDictionary[Engine, dict[uuid.UUID, StationEntry]] = weakref.WeakKeyDictionary()
# Bounded: a district has ~1,300 stations; an entry is a few hundred bytes.
MAX_ENTRIES = 10_000


def _cache(session: AsyncSession) -> dict[uuid.UUID, StationEntry]:
    engine = session.get_bind().engine
    cache = _CACHES.get(engine)
    if cache is None:
        cache = _CACHES[engine] = {}
    return cache


def _detached(values: dict[str, Any]) -> StationCopy:
    return StationCopy(**values)


async def station_entry(session: AsyncSession, station_id: uuid.UUID) -> StationEntry | None:
    """The station with its calendar and staff as of the copies' current version; None: no such station."""
    version = await repository.copies_version(session)
    cache = _cache(session)
    entry = cache.get(station_id)
    if entry is not None and entry.version == version:
        return entry
    values = await repository.station_values(session, station_id)
    if values is None:
        cache.pop(station_id, None)
        return None
    station = _detached(values)
    staff = station_staff(station, await repository.staff_rows_for(session, station))
    # Labelled with the version read before the rows: a change committed in between is newer than the
    # label, so the next creation reloads (never the other way round).
    entry = StationEntry(version, station, calendar_for(station), staff)
    if len(cache) >= MAX_ENTRIES:
        cache.clear()
    cache[station_id] = entry
    return entry


def forget(session: AsyncSession) -> None:
    """Drops this database's entries in this process (the version check makes it optional)."""
    _cache(session).clear()
