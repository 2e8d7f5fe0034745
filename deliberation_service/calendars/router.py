from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from deliberation_service.calendars.feed import station_calendar
from deliberation_service.meetings import repository as meetings_repository
from deliberation_service.stations.repository import get_station
from shared.clock import Now
from shared.errors import NotFound
from shared.service import SessionDep

router = APIRouter(prefix="/calendars", tags=["calendars"])

CALENDAR_TYPE = "text/calendar; charset=utf-8"


@router.get(
    "/stations/{station_id}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "RFC 5545 iCalendar"}},
    summary="A station's upcoming meetings as an iCalendar feed (public)",
)
async def station_feed(
    station_id: uuid.UUID,
    session: SessionDep,
    now: Now,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> Response:
    station = await get_station(session, station_id)
    if station is None:
        raise NotFound("No such station.", code="station_not_found")
    meetings = await meetings_repository.upcoming_meetings(session, station.id, now, limit)
    return Response(
        content=station_calendar(station, meetings, now=now),
        media_type=CALENDAR_TYPE,
        headers={"Cache-Control": "public, max-age=300"},
    )
