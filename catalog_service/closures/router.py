"""A day's hours for every station of the district or of a subdistrict, in one call."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from catalog_service.access import Administrator
from catalog_service.closures import service
from catalog_service.closures.schemas import ClosureBody, ClosureRead, ClosureScope
from shared.idempotency import IdempotentRoute
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1/opening-hours", tags=["stations"], route_class=IdempotentRoute)


@router.put(
    "/exceptions/{day}",
    response_model=ClosureRead,
    summary="Close every station in scope on a day, or open them with given hours (a working-day swap)",
    description="District administrators for the district or any subdistrict, subdistrict administrators for "
    "their own. Replaces each station's own exception on that day; one transaction, one `station.updated` "
    "per changed station. Repeating the call changes nothing (`stations_changed` 0).",
)
async def put_day_for_stations(
    day: date, body: ClosureBody, session: SessionDep, principal: Administrator
) -> ClosureRead:
    return await service.set_day(session, day, body, principal)


@router.delete(
    "/exceptions/{day}",
    response_model=ClosureRead,
    summary="Remove the day's exception from every station in scope",
)
async def delete_day_for_stations(
    day: date,
    session: SessionDep,
    principal: Administrator,
    scope: Annotated[ClosureScope, Query()],
    subdistrict_id: Annotated[uuid.UUID | None, Query()] = None,
) -> ClosureRead:
    return await service.remove_day(session, day, scope, subdistrict_id, principal)
