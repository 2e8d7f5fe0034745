"""The wall page: public, printable HTML in Chinese, and the same content as JSON."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse

from catalog_service.stations import service as stations
from catalog_service.wall import render, service
from shared.clock import Now
from shared.localtime import local_today
from shared.service import SessionDep

router = APIRouter(tags=["wall"])


async def _data(station_id: uuid.UUID, session: Any, now: Any) -> dict[str, Any]:
    station = await stations.get_station(session, station_id)
    return await service.wall(session, station, local_today(now))


@router.get("/wall/stations/{station_id}.json", summary="A station's wall as JSON")
async def wall_json(station_id: uuid.UUID, session: SessionDep, now: Now) -> JSONResponse:
    return JSONResponse(await _data(station_id, session, now))


@router.get(
    "/wall/stations/{station_id}",
    response_class=HTMLResponse,
    summary="A station's wall: its three lists, opening hours and contact, printable (Chinese)",
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},  # ?format=json
)
async def wall_page(
    station_id: uuid.UUID,
    session: SessionDep,
    now: Now,
    format_: Annotated[Literal["html", "json"], Query(alias="format")] = "html",
) -> Any:
    data = await _data(station_id, session, now)
    if format_ == "json":
        return JSONResponse(data)
    return HTMLResponse(render.render(data))
