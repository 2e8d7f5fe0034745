"""Notes (staff only) and public replies on a ticket: HTTP only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, current_principal
from shared.clock import Now
from shared.conditional import IfMatch, Precondition
from shared.idempotency import IdempotentRoute
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep
from ticket_service.privacy import service as privacy
from ticket_service.replies import service
from ticket_service.replies.rules import MessageKind
from ticket_service.replies.schemas import TicketMessageCreate, TicketMessageRead
from ticket_service.tickets.router import TicketIdempotent, current_ticket

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]
Paging = Annotated[PageParameters, Depends(page_parameters)]


async def _write(
    kind: MessageKind,
    ticket_id: uuid.UUID,
    data: TicketMessageCreate,
    request: Request,
    session: AsyncSession,
    principal: Principal,
    now: datetime,
    precondition: Precondition | None,
) -> TicketMessageRead:
    await current_ticket(session, ticket_id, principal, precondition)
    ticket, message = await service.write(session, ticket_id, kind, data, principal, now)
    shown = await service.shown(session, ticket, [message], principal, now, privacy.endpoint_of(request))
    return shown[0]


@router.post(
    "/{ticket_id}/notes",
    response_model=TicketMessageRead,
    status_code=status.HTTP_201_CREATED,
    summary="Write an internal work note (staff only: never the resident, Open311 or an event)",
    dependencies=[TicketIdempotent],
)
async def add_note(
    ticket_id: uuid.UUID,
    data: TicketMessageCreate,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    precondition: IfMatch,
) -> TicketMessageRead:
    return await _write(MessageKind.note, ticket_id, data, request, session, principal, now, precondition)


@router.get(
    "/{ticket_id}/notes",
    response_model=Page[TicketMessageRead],
    summary="The ticket's internal work notes, newest first (staff in scope)",
)
async def list_notes(
    ticket_id: uuid.UUID, request: Request, session: SessionDep, principal: Caller, now: Now, paging: Paging
) -> Page[TicketMessageRead]:
    return await service.page(
        session, ticket_id, MessageKind.note, paging, principal, now, privacy.endpoint_of(request)
    )


@router.post(
    "/{ticket_id}/replies",
    response_model=TicketMessageRead,
    status_code=status.HTTP_201_CREATED,
    summary="Write the resident a public reply (Open311 status_notes and updates show it, masked)",
    dependencies=[TicketIdempotent],
)
async def add_reply(
    ticket_id: uuid.UUID,
    data: TicketMessageCreate,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    precondition: IfMatch,
) -> TicketMessageRead:
    return await _write(MessageKind.reply, ticket_id, data, request, session, principal, now, precondition)


@router.get(
    "/{ticket_id}/replies",
    response_model=Page[TicketMessageRead],
    summary="The ticket's public replies, newest first (whoever sees the ticket)",
)
async def list_replies(
    ticket_id: uuid.UUID, request: Request, session: SessionDep, principal: Caller, now: Now, paging: Paging
) -> Page[TicketMessageRead]:
    return await service.page(
        session, ticket_id, MessageKind.reply, paging, principal, now, privacy.endpoint_of(request)
    )
