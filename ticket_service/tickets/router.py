from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from shared.auth import STATION_STAFF, Principal, Role, current_principal
from shared.errors import Forbidden
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep
from ticket_service.tickets import repository, service
from ticket_service.tickets.schemas import TicketClose, TicketCreate, TicketRead

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])

Caller = Annotated[Principal, Depends(current_principal)]


@router.post("", response_model=TicketRead, status_code=status.HTTP_201_CREATED, summary="Raise a ticket")
async def create_ticket(data: TicketCreate, session: SessionDep, principal: Caller) -> TicketRead:
    return TicketRead.model_validate(await service.create_ticket(session, data, principal))


@router.get("", response_model=Page[TicketRead], summary="Tickets the caller may see")
async def list_tickets(
    session: SessionDep,
    principal: Caller,
    page: Annotated[PageParameters, Depends(page_parameters)],
    station_id: Annotated[uuid.UUID | None, Query()] = None,
    status_filter: Annotated[str | None, Query(alias="status")] = None,
) -> Page[TicketRead]:
    resident_id = None
    if principal.is_district_admin:
        pass
    elif principal.has_role(*STATION_STAFF) and principal.station_id:
        if station_id is not None and str(station_id) != principal.station_id:
            raise Forbidden("Staff see their own station's tickets.", code="out_of_scope")
        station_id = uuid.UUID(principal.station_id)
    elif principal.has_role(Role.resident):
        resident_id = principal.user_id
    else:
        raise Forbidden("This role cannot list tickets.", code="role_required")
    items, next_cursor = await repository.page_tickets(
        session, page, station_id=station_id, resident_id=resident_id, status=status_filter
    )
    return Page(items=[TicketRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get("/{ticket_id}", response_model=TicketRead)
async def get_ticket(ticket_id: uuid.UUID, session: SessionDep, principal: Caller) -> TicketRead:
    return TicketRead.model_validate(await service.visible_ticket(session, ticket_id, principal))


@router.post("/{ticket_id}/close", response_model=TicketRead, summary="Close a ticket")
async def close_ticket(ticket_id: uuid.UUID, data: TicketClose, session: SessionDep, principal: Caller) -> TicketRead:
    return TicketRead.model_validate(await service.close_ticket(session, ticket_id, data, principal))
