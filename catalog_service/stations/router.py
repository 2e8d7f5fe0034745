from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.access import Administrator, manages_subdistrict, require
from catalog_service.dependencies import Settings, walking_model
from catalog_service.stations import hours, repository, service
from catalog_service.stations.geography import GeographyError
from catalog_service.stations.models import Station
from catalog_service.stations.schemas import (
    CommunityCreate,
    CommunityRead,
    ExceptionBody,
    NearbyRead,
    NearbyStation,
    OpeningHours,
    OpeningHoursRead,
    StationCreate,
    StationRead,
    StationUpdate,
    SubdistrictCreate,
    SubdistrictRead,
    WalkingModelRead,
)
from catalog_service.stations.snapshot import station_snapshot
from shared.auth import Principal, Role, require_roles
from shared.clock import Now
from shared.conditional import IfMatch, Precondition, declare_version
from shared.errors import NotFound, Unprocessable
from shared.idempotency import Idempotent, IdempotentRoute
from shared.localtime import as_local
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep
from shared.sync import ChangesToken, SyncPage, changes_parameter

router = APIRouter(prefix="/api/v1", tags=["stations"], route_class=IdempotentRoute)

DistrictAdmin = Annotated[Principal, Depends(require_roles(Role.district_admin))]


def local_instant(value: datetime | None) -> datetime | None:
    """Query times without an offset are Shanghai wall-clock times."""
    if value is None:
        return None
    return as_local(value)


@router.get(
    "/subdistricts",
    response_model=Page[SubdistrictRead],
    summary="Pudong's subdistricts, by name (36, whole: `next_cursor` is null)",
)
async def list_subdistricts(session: SessionDep) -> Page[SubdistrictRead]:
    items = [SubdistrictRead.model_validate(item) for item in await repository.list_subdistricts(session)]
    return Page(items=items, next_cursor=None)


@router.post(
    "/subdistricts", response_model=SubdistrictRead, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent]
)
async def create_subdistrict(data: SubdistrictCreate, session: SessionDep, _: DistrictAdmin) -> SubdistrictRead:
    return SubdistrictRead.model_validate(await service.create_subdistrict(session, data))


# -- communities ------------------------------------------------------------------------------------


@router.get(
    "/communities", response_model=SyncPage[CommunityRead], summary="Communities (村居), public", tags=["communities"]
)
async def list_communities(
    session: SessionDep,
    page: Annotated[PageParameters, Depends(page_parameters)],
    subdistrict_id: Annotated[uuid.UUID | None, Query()] = None,
    changes: Annotated[ChangesToken | None, Depends(changes_parameter)] = None,
) -> SyncPage[CommunityRead]:
    found = await repository.page_communities(session, page, subdistrict_id, changes)
    items = found.rows
    stations = await repository.stations_of_communities(session, [item.id for item in items])
    reads = [
        CommunityRead.model_validate(item).model_copy(update={"station_id": stations.get(item.id)}) for item in items
    ]
    return found.page(reads)


@router.get("/communities/{community_id}", response_model=CommunityRead, tags=["communities"])
async def get_community(community_id: uuid.UUID, session: SessionDep) -> CommunityRead:
    community = await repository.get_community(session, community_id)
    if community is None:
        raise NotFound("No such community.", code="community_not_found")
    stations = await repository.stations_of_communities(session, [community.id])
    return CommunityRead.model_validate(community).model_copy(update={"station_id": stations.get(community.id)})


@router.post(
    "/communities",
    response_model=CommunityRead,
    status_code=status.HTTP_201_CREATED,
    tags=["communities"],
    dependencies=[Idempotent],
)
async def create_community(data: CommunityCreate, session: SessionDep, principal: Administrator) -> CommunityRead:
    require(manages_subdistrict(principal, data.subdistrict_id), "Subdistrict admins manage their own subdistrict.")
    return CommunityRead.model_validate(await service.create_community(session, data))


# -- stations ---------------------------------------------------------------------------------------


@router.get(
    "/stations", response_model=SyncPage[StationRead], summary="Stations, public; filter by place, text, open time"
)
async def list_stations(
    session: SessionDep,
    page: Annotated[PageParameters, Depends(page_parameters)],
    now: Now,
    subdistrict_id: Annotated[uuid.UUID | None, Query()] = None,
    community_id: Annotated[uuid.UUID | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100, description="Text in the name, community or address")] = None,
    open_now: Annotated[bool, Query(description="Only stations open now")] = False,
    open_at: Annotated[
        datetime | None, Query(description="Only stations open at this time (no offset: Shanghai)")
    ] = None,
    changes: Annotated[ChangesToken | None, Depends(changes_parameter)] = None,
) -> SyncPage[StationRead]:
    only_ids = None
    at = local_instant(open_at) or (now if open_now else None)
    if at is not None:
        snapshot = await station_snapshot(session)
        only_ids = {point.id for point in snapshot.points if point.calendar.is_open(at)}
    found = await repository.page_stations(session, page, subdistrict_id, community_id, q, only_ids, changes)
    return found.page([StationRead.model_validate(item) for item in found.rows])


@router.get("/stations/nearby", response_model=NearbyRead, summary="Stations within a walk of a point, nearest first")
async def nearby_stations(
    session: SessionDep,
    settings: Settings,
    now: Now,
    latitude: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    longitude: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    minutes: Annotated[float | None, Query(gt=0, le=120, description="Default 15")] = None,
    speed_kmh: Annotated[float | None, Query(gt=0, le=20, description="Walking speed, default 5")] = None,
    detour_factor: Annotated[float | None, Query(ge=1, le=3, description="Walk ÷ straight line, default 1.25")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    open_now: bool = False,
    open_at: Annotated[
        datetime | None, Query(description="Only stations open at this time (no offset: Shanghai)")
    ] = None,
) -> NearbyRead:
    model = walking_model(settings, detour_factor, speed_kmh)
    max_minutes = settings.walking_minutes if minutes is None else minutes
    at = local_instant(open_at) or (now if open_now else None)
    snapshot = await station_snapshot(session)
    try:
        found = snapshot.index(model).nearest_within((latitude, longitude), max_minutes)
    except GeographyError as error:
        raise Unprocessable(str(error), field=error.field, code=error.reason) from error
    if at is not None:
        found = [item for item in found if snapshot.open_at(item.station_id, at)]
    found = found[:limit]
    # The snapshot holds every field of a station: no second trip to the database per search.
    stations = snapshot.by_id
    return NearbyRead(
        latitude=latitude,
        longitude=longitude,
        model=WalkingModelRead(
            max_minutes=max_minutes,
            detour_factor=model.detour_factor,
            speed_kmh=model.speed_kmh,
            straight_line_metres=model.straight_line_metres(max_minutes),
        ),
        at=at,
        items=[
            NearbyStation(
                station=StationRead.model_validate(stations[item.station_id]),
                distance_metres=round(item.distance_metres, 1),
                walking_minutes=round(item.walking_minutes, 2),
                open=True if at is not None else None,
            )
            for item in found
            if item.station_id in stations
        ],
    )


@router.post("/stations", response_model=StationRead, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent])
async def create_station(
    data: StationCreate, session: SessionDep, principal: Administrator, settings: Settings
) -> StationRead:
    require(
        manages_subdistrict(principal, data.subdistrict_id),
        "Subdistrict admins open stations in their own subdistrict.",
    )
    return StationRead.model_validate(await service.create_station(session, data, settings=settings))


@router.get("/stations/{station_id}", response_model=StationRead)
async def get_station(station_id: uuid.UUID, session: SessionDep) -> StationRead:
    station = await service.get_station(session, station_id)
    declare_version(station.version)
    return StationRead.model_validate(station)


async def managed_station(
    session: AsyncSession, station_id: uuid.UUID, principal: Principal, precondition: Precondition | None
) -> Station:
    """The station an admin edits: 404, then 403, then 412 when the If-Match names an older version."""
    station = await service.get_station(session, station_id)
    require(manages_subdistrict(principal, station.subdistrict_id), "Subdistrict admins manage their own stations.")
    if precondition is not None:
        precondition.require(station.version)
    return station


async def edited(session: AsyncSession, station: Station) -> Station:
    await session.flush()  # the new version (the ORM raises it in the UPDATE) is the answer's ETag
    declare_version(station.version)
    return station


@router.patch("/stations/{station_id}", response_model=StationRead)
async def update_station(
    station_id: uuid.UUID,
    data: StationUpdate,
    session: SessionDep,
    principal: Administrator,
    settings: Settings,
    precondition: IfMatch,
) -> StationRead:
    station = await managed_station(session, station_id, principal, precondition)
    return StationRead.model_validate(
        await edited(session, await service.update_station(session, station, data, settings))
    )


def _hours_read(station: Station, at: datetime) -> OpeningHoursRead:
    calendar = hours.parse_calendar(station.opening_hours)
    return OpeningHoursRead(
        station_id=station.id,
        opening_hours=station.opening_hours,
        at=at,
        open=calendar.is_open(at),
        closes_at=calendar.current_period_end(at),
        next_opening=calendar.next_opening(at),
    )


@router.get(
    "/stations/{station_id}/opening-hours", response_model=OpeningHoursRead, summary="Hours, and open at a time"
)
async def get_opening_hours(
    station_id: uuid.UUID,
    session: SessionDep,
    now: Now,
    at: Annotated[datetime | None, Query(description="Default now; no offset: Shanghai")] = None,
) -> OpeningHoursRead:
    station = await service.get_station(session, station_id)
    declare_version(station.version)  # the hours are the station's: one version for both answers
    return _hours_read(station, local_instant(at) or now)


@router.put("/stations/{station_id}/opening-hours", response_model=OpeningHoursRead)
async def replace_opening_hours(
    station_id: uuid.UUID,
    data: OpeningHours,
    session: SessionDep,
    principal: Administrator,
    now: Now,
    precondition: IfMatch,
) -> OpeningHoursRead:
    station = await managed_station(session, station_id, principal, precondition)
    return _hours_read(await edited(session, await service.replace_opening_hours(session, station, data)), now)


@router.put("/stations/{station_id}/opening-hours/exceptions/{day}", response_model=OpeningHoursRead)
async def put_exception(
    station_id: uuid.UUID,
    day: date,
    body: ExceptionBody,
    session: SessionDep,
    principal: Administrator,
    now: Now,
    precondition: IfMatch,
) -> OpeningHoursRead:
    station = await managed_station(session, station_id, principal, precondition)
    return _hours_read(await edited(session, await service.put_exception(session, station, day, body)), now)


@router.delete("/stations/{station_id}/opening-hours/exceptions/{day}", response_model=OpeningHoursRead)
async def delete_exception(
    station_id: uuid.UUID, day: date, session: SessionDep, principal: Administrator, now: Now
) -> OpeningHoursRead:
    station = await service.get_station(session, station_id)
    require(manages_subdistrict(principal, station.subdistrict_id), "Subdistrict admins manage their own stations.")
    return _hours_read(await service.delete_exception(session, station, day), now)
