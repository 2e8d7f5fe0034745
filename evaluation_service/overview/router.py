"""`GET /overview`: the district overview page, for district and subdistrict admins (HTML, no script)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from evaluation_service import access
from evaluation_service.access import Caller
from evaluation_service.overview import service, view
from evaluation_service.overview.tickets_client import ticket_figures
from evaluation_service.pages import html_response, render
from evaluation_service.reports.scoring import SHANGHAI
from evaluation_service.settings import EvaluationSettings
from shared.clock import Now
from shared.service import SessionDep

# A page for browsers, like the resident's: not part of the API's OpenAPI document.
router = APIRouter(tags=["overview"], include_in_schema=False)


@router.get("/overview", response_class=HTMLResponse)
async def overview_page(
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    colour: Annotated[view.Colouring, Query(description="Colour the stations by backlog or satisfaction.")] = (
        view.Colouring.backlog
    ),
) -> HTMLResponse:
    subdistrict_id = access.overview_subdistrict(principal)
    settings: EvaluationSettings = request.app.state.runtime.settings
    year = now.astimezone(SHANGHAI).year
    tickets = await ticket_figures(
        settings.ticket_url,
        request.headers.get("authorization", ""),  # the caller's own token, as it came
        year,
        timeout=settings.ticket_call_timeout_seconds,
        transport=getattr(request.app.state, "service_transport", None),  # the embedded launcher's
    )
    figures = await service.overview_figures(
        session, tickets, year=year, subdistrict_id=subdistrict_id, minimum_sample=settings.minimum_sample
    )
    page = render(
        "overview/page.html",
        title=f"{figures.scope_name} {year} 年服务站概览",
        year=year,
        colour=colour.value,
        minimum_sample=figures.minimum_sample,
        station_count=len(tickets.stations),
        open_total=sum(station.open for station in tickets.stations),
        overdue_total=sum(station.overdue for station in tickets.stations),
        map=view.station_map(figures, colour),
        ranking=view.ranking(figures, colour),
        trend=view.trend_chart(figures),
    )
    return html_response(page)
