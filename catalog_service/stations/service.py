"""Use cases for subdistricts and stations. They never commit: the caller's transaction does."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.events import STATION_CREATED, outbox
from catalog_service.stations import repository
from catalog_service.stations.models import Station, Subdistrict
from catalog_service.stations.schemas import StationCreate, SubdistrictCreate
from shared.errors import Conflict, NotFound, Unprocessable


def station_state(station: Station) -> dict[str, Any]:
    """What other services keep a copy of."""
    return {
        "id": str(station.id),
        "subdistrict_id": str(station.subdistrict_id),
        "community_name": station.community_name,
        "name": station.name,
        "address": station.address,
        "latitude": station.latitude,
        "longitude": station.longitude,
        "phone": station.phone,
    }


async def create_subdistrict(session: AsyncSession, data: SubdistrictCreate) -> Subdistrict:
    if await repository.subdistrict_named(session, data.name) is not None:
        raise Conflict(f"A subdistrict named {data.name} exists.", code="subdistrict_exists", field="name")
    subdistrict = Subdistrict(name=data.name, kind=data.kind)
    session.add(subdistrict)
    await session.flush()
    return subdistrict


async def create_station(session: AsyncSession, data: StationCreate, *, station_id: uuid.UUID | None = None) -> Station:
    if await repository.get_subdistrict(session, data.subdistrict_id) is None:
        raise Unprocessable("No such subdistrict.", field="subdistrict_id", code="unknown_subdistrict")
    if await repository.station_for_community(session, data.subdistrict_id, data.community_name) is not None:
        raise Conflict(
            "This community already has its station: one station per community.",
            code="station_exists",
            field="community_name",
        )
    station = Station(**data.model_dump())
    if station_id is not None:
        station.id = station_id  # imports and demo data keep stable ids
    session.add(station)
    await session.flush()
    await outbox.add(session, STATION_CREATED, station_state(station), subject=str(station.id))
    return station


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> Station:
    station = await repository.get_station(session, station_id)
    if station is None:
        raise NotFound("No such station.", code="station_not_found")
    return station
