"""SLA policies per service category and priority, and a ticket's priority: HTTP only."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from shared.auth import Principal, current_principal
from shared.clock import Now
from shared.conditional import IfMatch, declare_version
from shared.idempotency import IdempotentRoute
from shared.pagination import Page
from shared.service import SessionDep
from ticket_service.sla_policies import service
from ticket_service.sla_policies.rules import Priority
from ticket_service.sla_policies.schemas import SlaPolicyRead, SlaPolicyUpdate, TicketPriorityChange
from ticket_service.tickets.router import Policy, TicketIdempotent, current_ticket, detail
from ticket_service.tickets.schemas import ServiceCategory, TicketDetail

router = APIRouter(tags=["sla-policies"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]
Category = Annotated[ServiceCategory, Path(description="One of the 7 standard service categories.")]


@router.get(
    "/api/v1/sla-policies",
    response_model=Page[SlaPolicyRead],
    summary="The SLA budgets of every service category and priority (whole: `next_cursor` is null)",
)
async def list_sla_policies(session: SessionDep, principal: Caller, policy: Policy) -> Page[SlaPolicyRead]:
    return Page(items=await service.list_policies(session, principal, policy), next_cursor=None)


@router.get(
    "/api/v1/sla-policies/{service_category}/{priority}",
    response_model=SlaPolicyRead,
    summary="One category's and priority's SLA budgets (its ETag is the If-Match of a change)",
)
async def get_sla_policy(
    service_category: Category, priority: Priority, session: SessionDep, principal: Caller, policy: Policy
) -> SlaPolicyRead:
    found = await service.get_policy(session, service_category.value, priority, principal, policy)
    declare_version(found.version)
    return found


@router.put(
    "/api/v1/sla-policies/{service_category}/{priority}",
    response_model=SlaPolicyRead,
    summary="Set a category's and priority's SLA budgets (district admins; tickets raised from now on)",
)
async def put_sla_policy(
    service_category: Category,
    priority: Priority,
    data: SlaPolicyUpdate,
    session: SessionDep,
    principal: Caller,
    now: Now,
    precondition: IfMatch,
) -> SlaPolicyRead:
    saved = await service.put_policy(session, service_category.value, priority, data, principal, now, precondition)
    declare_version(saved.version)
    return saved


@router.post(
    "/api/v1/tickets/{ticket_id}/priority",
    response_model=TicketDetail,
    summary="Set a ticket's priority: its clocks run on to the new priority's budgets (in the history)",
    dependencies=[TicketIdempotent],
)
async def set_ticket_priority(
    ticket_id: uuid.UUID,
    data: TicketPriorityChange,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
    precondition: IfMatch,
) -> TicketDetail:
    await current_ticket(session, ticket_id, principal, precondition)
    ticket = await service.change_priority(session, ticket_id, data, principal, now, policy)
    return await detail(session, ticket, now, principal, request)
