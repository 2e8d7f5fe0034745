"""The overview's ticket figures: stations in scope with their backlog, and the year's months."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ticket_service.overview import repository
from ticket_service.overview.months import month_starts
from ticket_service.overview.schemas import OverviewMonth, OverviewStation, TicketOverview
from ticket_service.tickets import repository as tickets
from ticket_service.tickets.models import Ticket


async def ticket_overview(
    session: AsyncSession, subdistrict_id: uuid.UUID | None, year: int, now: datetime
) -> TicketOverview:
    condition = None if subdistrict_id is None else Ticket.subdistrict_id == subdistrict_id
    # Open and overdue as the ticket list counts them (the same `overdue` rule), one grouped query.
    backlog = {
        group.group_id: group
        for group in await tickets.grouped_counts(session, condition, tickets.TicketFilters(), now, "station")
    }
    places = await repository.stations(session, subdistrict_id)
    edges = month_starts(year)
    raised = await repository.monthly_counts(session, Ticket.created_at, edges, subdistrict_id)
    closed = await repository.monthly_counts(session, Ticket.closed_at, edges, subdistrict_id)
    return TicketOverview(
        year=year,
        subdistrict_id=subdistrict_id,
        stations=[
            OverviewStation(
                id=place.id,
                name=place.name,
                subdistrict_id=place.subdistrict_id,
                subdistrict_name=place.subdistrict_name,
                latitude=place.latitude,
                longitude=place.longitude,
                open=backlog[place.id].open if place.id in backlog else 0,
                overdue=backlog[place.id].overdue if place.id in backlog else 0,
            )
            for place in places
        ],
        months=[
            OverviewMonth(month=f"{year}-{index + 1:02d}", raised=raised[index], closed=closed[index])
            for index in range(12)
        ],
    )
