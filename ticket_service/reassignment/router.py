"""Bulk reassign: a secretary or an administrator moves someone's open tickets at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from shared.auth import Principal, current_principal
from shared.clock import Now
from shared.idempotency import Idempotent, IdempotentRoute
from shared.service import SessionDep
from ticket_service.reassignment import service
from ticket_service.reassignment.schemas import ReassignRequest, ReassignResult

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]


@router.post(
    "/reassign",
    response_model=ReassignResult,
    summary="Move a person's open tickets (to a colleague, or each under the responsibility rules)",
    description="Secretaries move the tickets of their community's stations, subdistrict administrators those "
    "of their subdistrict, district administrators any. Without `to_person_id` each ticket goes to a social "
    "worker by skill and load, else the secretary, else a department of the subdistrict; tickets nobody can "
    "take stay and are listed in `not_moved`. A named colleague must work at every ticket's station and be "
    "present, or nothing moves (422). Send an `Idempotency-Key` header to make retries safe.",
    dependencies=[Idempotent],
)
async def reassign_tickets(data: ReassignRequest, session: SessionDep, principal: Caller, now: Now) -> ReassignResult:
    return await service.reassign_in_bulk(session, data, principal, now)
