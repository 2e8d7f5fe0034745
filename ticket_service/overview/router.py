from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from shared.auth import Principal, current_principal
from shared.clock import Now
from shared.service import SessionDep
from ticket_service.access import overview_subdistrict
from ticket_service.overview import service
from ticket_service.overview.months import year_of
from ticket_service.overview.schemas import TicketOverview

# Registered before the tickets' routes: /api/v1/tickets/overview is no ticket id.
router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])


@router.get(
    "/overview",
    response_model=TicketOverview,
    summary="The district overview's ticket figures: each station's backlog and place, the year by month",
    description="District admins: every station; a subdistrict admin: their subdistrict's; others 403. "
    "`open` and `overdue` are now; `months` counts tickets raised and closed in each month of `year` "
    "(Shanghai; default this year). Counts only: no resident, no ticket text.",
)
async def ticket_overview(
    session: SessionDep,
    principal: Annotated[Principal, Depends(current_principal)],
    now: Now,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Calendar year (Shanghai).")] = None,
) -> TicketOverview:
    subdistrict_id = overview_subdistrict(principal)
    return await service.ticket_overview(session, subdistrict_id, year or year_of(now), now)
