from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from evaluation_service.invitations import repository
from evaluation_service.invitations.schemas import InvitationRead
from shared.auth import STATION_STAFF, Principal, Role, require_roles
from shared.errors import Forbidden
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1/evaluations", tags=["evaluations"])

Staff = Annotated[Principal, Depends(require_roles(*STATION_STAFF, Role.district_admin))]


@router.get("/invitations", response_model=Page[InvitationRead], summary="Rating invitations of closed tickets")
async def list_invitations(
    session: SessionDep,
    principal: Staff,
    page: Annotated[PageParameters, Depends(page_parameters)],
    ticket_id: Annotated[uuid.UUID | None, Query()] = None,
    station_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[InvitationRead]:
    if not principal.is_district_admin:
        if station_id is not None and str(station_id) != principal.station_id:
            raise Forbidden("Staff see their own station's invitations.", code="out_of_scope")
        station_id = uuid.UUID(principal.station_id) if principal.station_id else None
        if station_id is None:
            raise Forbidden("No station in the caller's scope.", code="out_of_scope")
    items, next_cursor = await repository.page_invitations(session, page, ticket_id=ticket_id, station_id=station_id)
    return Page(items=[InvitationRead.model_validate(item) for item in items], next_cursor=next_cursor)
