"""Transfer, return, duplicates and asking for the backstop: HTTP only."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, current_principal
from shared.clock import Now
from shared.conditional import IfMatch, declare_version
from shared.idempotency import IdempotentRoute
from shared.service import SessionDep
from ticket_service.handovers import service
from ticket_service.handovers.schemas import (
    BackstopAskRequest,
    DuplicateLinkRequest,
    TicketHandoverRead,
    TicketReturnRequest,
    TicketTransferRequest,
)
from ticket_service.tickets.repository import get_ticket
from ticket_service.tickets.router import Policy, TicketIdempotent, current_ticket, detail
from ticket_service.tickets.schemas import TicketDetail

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]


async def _handover_version(session: AsyncSession, read: TicketHandoverRead) -> TicketHandoverRead:
    """The ETag of the moved ticket (its version after the move): the receiving station's If-Match."""
    await session.flush()
    ticket = await get_ticket(session, read.ticket_id)
    assert ticket is not None
    declare_version(ticket.version)
    return read


@router.post(
    "/{ticket_id}/transfer",
    response_model=TicketHandoverRead,
    summary="Move a ticket to another station (its first-inquiry rule picks the owner; the clocks keep running)",
    description="For the owner, the secretary of the station it is at, or a district administrator. The history "
    "keeps both stations and the reason; the ticket leaves the sending station's view (its secretary is told). "
    "409 `ticket_resolved` / `ticket_closed` / `ticket_cancelled`; 422 `same_station`, `unknown_station`.",
    dependencies=[TicketIdempotent],
)
async def transfer_ticket(
    ticket_id: uuid.UUID,
    data: TicketTransferRequest,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
    precondition: IfMatch,
) -> TicketHandoverRead:
    await current_ticket(session, ticket_id, principal, precondition)
    return await _handover_version(session, await service.transfer(session, ticket_id, data, principal, now, policy))


@router.post(
    "/{ticket_id}/return",
    response_model=TicketHandoverRead,
    summary="Send a transferred ticket back to the station it came from, with a reason",
    description="For the owner, the secretary of the receiving station, or a district administrator; once per "
    "transfer (409 `ticket_not_transferred` for a ticket not transferred here, or returned already). The "
    "sending station's first-inquiry rule picks the owner again; its secretary is told.",
    dependencies=[TicketIdempotent],
)
async def return_ticket(
    ticket_id: uuid.UUID,
    data: TicketReturnRequest,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
    precondition: IfMatch,
) -> TicketHandoverRead:
    await current_ticket(session, ticket_id, principal, precondition)
    read = await service.return_to_sender(session, ticket_id, data, principal, now, policy)
    return await _handover_version(session, read)


@router.post(
    "/{ticket_id}/duplicate-of",
    response_model=TicketDetail,
    summary="Close a ticket as a duplicate of another (the parent lists it; its resolution reaches this resident)",
    description="For whoever works both tickets. 409 `duplicate_of_itself` is 422 on `parent_id`; 409 "
    "`already_a_duplicate`, `parent_is_duplicate` (link to the ticket it points at), `ticket_has_duplicates`, "
    "`parent_cancelled`, `ticket_<state>` when this ticket is finished; 422 `parent_not_found`.",
    dependencies=[TicketIdempotent],
)
async def link_duplicate(
    ticket_id: uuid.UUID,
    data: DuplicateLinkRequest,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
    precondition: IfMatch,
) -> TicketDetail:
    await current_ticket(session, ticket_id, principal, precondition)
    ticket = await service.link_duplicate(session, ticket_id, data, principal, now, policy)
    return await detail(session, ticket, now, principal, request)


@router.post(
    "/{ticket_id}/backstop-request",
    response_model=TicketDetail,
    summary="The owner asks the community's secretary for the backstop (and owns the ticket until they act)",
    description="The secretary is told (feed) and claims it or names an owner (`POST .../backstop`), which "
    "settles the request. 409 `backstop_already_requested`, `ticket_at_backstop`, `ticket_<state>`.",
    dependencies=[TicketIdempotent],
)
async def request_backstop(
    ticket_id: uuid.UUID,
    data: BackstopAskRequest,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    precondition: IfMatch,
) -> TicketDetail:
    await current_ticket(session, ticket_id, principal, precondition)
    ticket = await service.ask_for_backstop(session, ticket_id, data, principal, now)
    return await detail(session, ticket, now, principal, request)
