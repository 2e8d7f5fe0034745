"""Use cases for subdistricts, communities, stations and opening hours. They never commit."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.events import STATION_CREATED, STATION_UPDATED, outbox
from catalog_service.settings import CatalogSettings
from catalog_service.stations import hours, repository
from catalog_service.stations.models import Community, Station, Subdistrict
from catalog_service.stations.schemas import (
    CommunityCreate,
    ExceptionBody,
    OpeningHours,
    StationCreate,
    StationUpdate,
    SubdistrictCreate,
)
from shared.business_calendar import BusinessCalendar, CalendarError
from shared.errors import Conflict, NotFound, Unprocessable
from shared.ids import stable_id


def station_state(station: Any, subdistrict_name: str, opening_hours: dict[str, Any] | None = None) -> dict[str, Any]:
    """What other services keep a copy of (the agreed `station.*` contract).

    `opening_hours`, when given, is the already normalised calendar dict (bulk seeding reuses it).
    """
    return {
        "id": str(station.id),
        "name": station.name,
        "subdistrict_id": str(station.subdistrict_id),
        "subdistrict_name": subdistrict_name,
        "community_id": str(station.community_id),
        "community_name": station.community_name,
        "address": station.address,
        "latitude": station.latitude,
        "longitude": station.longitude,
        "phone": station.phone,
        "opening_hours": opening_hours or hours.parse_calendar(station.opening_hours).to_dict(),
        "time_zone": station.time_zone,
    }


def community_kind_for(name: str) -> str:
    return "village" if name.endswith("村") or name.endswith("村委会") else "neighbourhood"


def check_in_district(settings: CatalogSettings | None, latitude: float, longitude: float) -> None:
    if settings is None:
        return
    if not settings.district_south <= latitude <= settings.district_north:
        raise Unprocessable("The latitude lies outside Pudong.", field="latitude", code="outside_district")
    if not settings.district_west <= longitude <= settings.district_east:
        raise Unprocessable("The longitude lies outside Pudong.", field="longitude", code="outside_district")


async def require_subdistrict(
    session: AsyncSession, subdistrict_id: uuid.UUID, field: str = "subdistrict_id"
) -> Subdistrict:
    subdistrict = await repository.get_subdistrict(session, subdistrict_id)
    if subdistrict is None:
        raise Unprocessable("No such subdistrict.", field=field, code="unknown_subdistrict")
    return subdistrict


async def create_subdistrict(session: AsyncSession, data: SubdistrictCreate) -> Subdistrict:
    if await repository.subdistrict_named(session, data.name) is not None:
        raise Conflict(f"A subdistrict named {data.name} exists.", code="subdistrict_exists", field="name")
    subdistrict = Subdistrict(id=stable_id("subdistrict", data.name), name=data.name, kind=data.kind)
    session.add(subdistrict)
    await session.flush()
    return subdistrict


async def ensure_community(session: AsyncSession, subdistrict: Subdistrict, name: str, kind: str | None) -> Community:
    community_id = stable_id("community", subdistrict.name, name)
    community = await repository.get_community(session, community_id)
    if community is None:
        community = Community(
            id=community_id, subdistrict_id=subdistrict.id, name=name, kind=kind or community_kind_for(name)
        )
        session.add(community)
        await session.flush()
    return community


async def create_community(session: AsyncSession, data: CommunityCreate) -> Community:
    subdistrict = await require_subdistrict(session, data.subdistrict_id)
    if await repository.get_community(session, stable_id("community", subdistrict.name, data.name)) is not None:
        raise Conflict("This subdistrict already has a community of that name.", code="community_exists", field="name")
    return await ensure_community(session, subdistrict, data.name, data.kind)


async def create_station(
    session: AsyncSession,
    data: StationCreate,
    *,
    settings: CatalogSettings | None = None,
    station_id: uuid.UUID | None = None,
) -> Station:
    subdistrict = await require_subdistrict(session, data.subdistrict_id)
    check_in_district(settings, data.latitude, data.longitude)
    calendar, stored = hours.normalise(data.hours_data())
    if await repository.station_for_community(session, data.subdistrict_id, data.community_name) is not None:
        raise Conflict(
            "This community already has its station: one station per community.",
            code="station_exists",
            field="community_name",
        )
    community = await ensure_community(session, subdistrict, data.community_name, data.community_kind)
    station = Station(
        id=station_id or stable_id("station", subdistrict.name, data.community_name),
        subdistrict_id=subdistrict.id,
        community_id=community.id,
        community_name=data.community_name,
        name=data.name,
        address=data.address,
        latitude=data.latitude,
        longitude=data.longitude,
        phone=data.phone,
        opening_hours=stored,
        time_zone=calendar.time_zone,
    )
    session.add(station)
    await session.flush()
    await outbox.add(session, STATION_CREATED, station_state(station, subdistrict.name), subject=str(station.id))
    return station


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> Station:
    station = await repository.get_station(session, station_id)
    if station is None:
        raise NotFound("No such station.", code="station_not_found")
    return station


async def require_station(session: AsyncSession, station_id: uuid.UUID, field: str = "station_id") -> Station:
    station = await repository.get_station(session, station_id)
    if station is None:
        raise Unprocessable("No such station.", field=field, code="unknown_station")
    return station


async def publish_update(session: AsyncSession, station: Station) -> None:
    await session.flush()
    subdistrict = await repository.get_subdistrict(session, station.subdistrict_id)
    assert subdistrict is not None
    await outbox.add(session, STATION_UPDATED, station_state(station, subdistrict.name), subject=str(station.id))


async def update_station(
    session: AsyncSession, station: Station, data: StationUpdate, settings: CatalogSettings | None = None
) -> Station:
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "address", "latitude", "longitude"):
        if field in changes and changes[field] is None:
            raise Unprocessable(f"{field} cannot be emptied.", field=field, code="required")
    latitude = changes.get("latitude", station.latitude)
    longitude = changes.get("longitude", station.longitude)
    check_in_district(settings, latitude, longitude)
    changed = False
    for field, value in changes.items():
        if getattr(station, field) != value:
            setattr(station, field, value)
            changed = True
    if changed:
        await publish_update(session, station)
    return station


async def set_opening_hours(session: AsyncSession, station: Station, data: dict[str, Any]) -> Station:
    calendar, stored = hours.normalise(data)
    if stored != station.opening_hours or calendar.time_zone != station.time_zone:
        station.opening_hours = stored
        station.time_zone = calendar.time_zone
        await publish_update(session, station)
    return station


async def replace_opening_hours(session: AsyncSession, station: Station, data: OpeningHours) -> Station:
    return await set_opening_hours(session, station, data.as_data())


async def put_exception(session: AsyncSession, station: Station, day: date, body: ExceptionBody) -> Station:
    periods = [period.model_dump() for period in body.periods]
    try:  # checked alone first, so errors name the body's own fields (periods[1].closes)
        BusinessCalendar.from_dict({"weekly_periods": [], "exceptions": [{"day": day.isoformat(), "periods": periods}]})
    except CalendarError as error:
        field = error.field.replace("exceptions[0].", "", 1)
        raise Unprocessable(f"Invalid periods: {error}", field=field, code=error.reason) from error
    return await set_opening_hours(
        session, station, hours.with_exception(station.opening_hours, day, periods, body.note)
    )


async def delete_exception(session: AsyncSession, station: Station, day: date) -> Station:
    if not any(item["day"] == day.isoformat() for item in station.opening_hours.get("exceptions", [])):
        raise NotFound("The station has no exception on that day.", code="exception_not_found")
    return await set_opening_hours(session, station, hours.without_exception(station.opening_hours, day))
