"""CSV import and export: `GET /api/v1/stations.csv` exports, `POST` with a text/csv body imports."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from catalog_service.access import Administrator, Reader
from catalog_service.csv_io import service
from catalog_service.dependencies import Settings
from shared.auth import Principal, current_principal
from shared.clock import Now
from shared.idempotency import Idempotent, IdempotentRoute
from shared.localtime import local_today
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1", tags=["csv import and export"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]
# A binary string: generators give it a file/bytes parameter (a plain string has none to send it with).
CSV_BODY = {
    "requestBody": {"content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}, "required": True}
}


def _csv(text: str, name: str) -> Response:
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/stations.csv", summary="Export stations (public)", response_class=Response)
async def export_stations(session: SessionDep, subdistrict_id: Annotated[uuid.UUID | None, Query()] = None) -> Response:
    return _csv(await service.export_stations(session, subdistrict_id), "stations.csv")


@router.post(
    "/stations.csv", summary="Import stations: all rows or none", openapi_extra=CSV_BODY, dependencies=[Idempotent]
)
async def import_stations(
    request: Request, session: SessionDep, principal: Administrator, settings: Settings
) -> dict[str, int]:
    text = service.decode(await request.body())
    return await service.import_stations(session, text, principal, settings)


@router.get("/staff.csv", summary="Export the staff the caller may see", response_class=Response)
async def export_staff(session: SessionDep, principal: Reader) -> Response:
    return _csv(await service.export_staff(session, principal), "staff.csv")


@router.post("/staff.csv", summary="Import staff: all rows or none", openapi_extra=CSV_BODY, dependencies=[Idempotent])
async def import_staff(request: Request, session: SessionDep, principal: Administrator) -> dict[str, int]:
    return await service.import_staff(session, service.decode(await request.body()), principal)


@router.get("/resources.csv", summary="Export the resource list", response_class=Response)
async def export_resources(session: SessionDep, _: Reader) -> Response:
    return _csv(await service.export_resources(session), "resources.csv")


@router.post(
    "/resources.csv", summary="Import resources: all rows or none", openapi_extra=CSV_BODY, dependencies=[Idempotent]
)
async def import_resources(request: Request, session: SessionDep, principal: Caller, now: Now) -> dict[str, int]:
    text = service.decode(await request.body())
    return await service.import_resources(session, text, principal, local_today(now))
