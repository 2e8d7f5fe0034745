"""An in-memory snapshot of every station (coordinates and calendars), rebuilt when stations change.

Nearby searches, "open now" filters, coverage reports and HSDS listings read it instead of loading
1,285 rows and parsing 1,285 calendars per request. Each request checks the version (row count and
latest `updated_at`, one indexed aggregate), so every replica sees a change at its next request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.stations import repository
from catalog_service.stations.geography import StationIndex, WalkingModel
from shared.business_calendar import BusinessCalendar


@dataclass(frozen=True)
class StationPoint:
    id: uuid.UUID
    subdistrict_id: uuid.UUID
    community_id: uuid.UUID
    community_name: str
    name: str
    address: str
    phone: str | None
    latitude: float
    longitude: float
    calendar: BusinessCalendar
    opening_hours: dict[str, Any]
    time_zone: str
    created_at: datetime
    updated_at: datetime


@dataclass
class StationSnapshot:
    version: tuple[Any, ...]
    points: list[StationPoint]
    by_id: dict[uuid.UUID, StationPoint] = field(default_factory=dict)
    _indexes: dict[WalkingModel, StationIndex[uuid.UUID]] = field(default_factory=dict)
    # HSDS service-at-location ids of the standard items, built on first use (see hsds/router.py).
    sal_index: dict[uuid.UUID, Any] | None = None

    def index(self, model: WalkingModel) -> StationIndex[uuid.UUID]:
        index = self._indexes.get(model)
        if index is None:
            if len(self._indexes) > 16:  # bounded: models come from query parameters
                self._indexes.clear()
            index = StationIndex([(p.id, p.latitude, p.longitude) for p in self.points], model=model)
            self._indexes[model] = index
        return index

    def open_at(self, station_id: uuid.UUID, at: datetime) -> bool:
        return self.by_id[station_id].calendar.is_open(at)


_SNAPSHOTS: dict[str, StationSnapshot] = {}


async def _version(session: AsyncSession) -> tuple[Any, ...]:
    return await repository.stations_version(session)


async def station_snapshot(session: AsyncSession) -> StationSnapshot:
    key = str(session.get_bind().engine.url)
    version = await _version(session)
    snapshot = _SNAPSHOTS.get(key)
    if snapshot is not None and snapshot.version == version:
        return snapshot
    rows = await repository.all_stations(session)
    points = [
        StationPoint(
            id=row.id,
            subdistrict_id=row.subdistrict_id,
            community_id=row.community_id,
            community_name=row.community_name,
            name=row.name,
            address=row.address,
            phone=row.phone,
            latitude=row.latitude,
            longitude=row.longitude,
            calendar=BusinessCalendar.from_dict(row.opening_hours),
            opening_hours=row.opening_hours,
            time_zone=row.time_zone,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]
    snapshot = StationSnapshot(version, points, {point.id: point for point in points})
    _SNAPSHOTS[key] = snapshot
    return snapshot
