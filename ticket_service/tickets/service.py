"""Use cases for tickets. They never commit: the caller's transaction does."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import STATION_STAFF, Principal, Role
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.ids import utcnow
from ticket_service.events import TICKET_CLOSED, TICKET_CREATED, outbox
from ticket_service.stations.models import StationCopy
from ticket_service.tickets import repository
from ticket_service.tickets.models import Ticket
from ticket_service.tickets.schemas import TicketClose, TicketCreate


def can_see(principal: Principal, ticket: Ticket) -> bool:
    if principal.is_district_admin:
        return True
    if principal.has_role(*STATION_STAFF) and principal.station_id == str(ticket.station_id):
        return True
    return principal.has_role(Role.resident) and ticket.resident_id == principal.user_id


def ticket_state(ticket: Ticket, station: StationCopy) -> dict[str, Any]:
    return {
        "ticket_id": str(ticket.id),
        "station_id": str(ticket.station_id),
        "subdistrict_id": str(station.subdistrict_id),
        "community_name": station.community_name,
        "service_category": ticket.service_category,
        "status": ticket.status,
        "owner_id": ticket.owner_id,
        "responsibility_level": ticket.responsibility_level,
        "resident_id": ticket.resident_id,
    }


async def create_ticket(session: AsyncSession, data: TicketCreate, principal: Principal) -> Ticket:
    station = await repository.get_station(session, data.station_id)
    if station is None:
        raise Unprocessable("No such station.", field="station_id", code="unknown_station")
    is_station_staff = principal.has_role(*STATION_STAFF) and principal.station_id == str(station.id)
    if not (is_station_staff or principal.has_role(Role.resident, Role.integration_client, Role.district_admin)):
        raise Forbidden(
            "Only this station's staff, residents and integrations raise tickets here.", code="out_of_scope"
        )
    ticket = Ticket(
        station_id=station.id,
        channel=data.channel.value,
        service_category=data.service_category.value,
        description=data.description,
        resident_id=principal.user_id if principal.has_role(Role.resident) else None,
        resident_name=data.resident_name,
        resident_phone=data.resident_phone,
        status="new",
        # First inquiry: whoever received the request at this station owns it.
        owner_id=principal.user_id if is_station_staff else None,
        responsibility_level="first_inquiry",
    )
    session.add(ticket)
    await session.flush()
    await outbox.add(session, TICKET_CREATED, ticket_state(ticket, station), subject=str(ticket.id))
    return ticket


async def visible_ticket(
    session: AsyncSession, ticket_id: uuid.UUID, principal: Principal, *, for_update: bool = False
) -> Ticket:
    ticket = await repository.get_ticket(session, ticket_id, for_update=for_update)
    # Someone who may not see a ticket learns nothing of it, not even that it exists.
    if ticket is None or not can_see(principal, ticket):
        raise NotFound("No such ticket.", code="ticket_not_found")
    return ticket


async def close_ticket(session: AsyncSession, ticket_id: uuid.UUID, data: TicketClose, principal: Principal) -> Ticket:
    ticket = await visible_ticket(session, ticket_id, principal, for_update=True)
    if not (principal.has_role(*STATION_STAFF) or principal.is_district_admin):
        raise Forbidden("Only station staff close tickets.", code="role_required")
    if ticket.status in ("closed", "cancelled"):
        raise Conflict(f"The ticket is already {ticket.status}.", code=f"ticket_already_{ticket.status}")
    completed_by = data.completed_by or ticket.owner_id or principal.user_id
    now = utcnow()
    ticket.status = "closed"
    ticket.completed_by = completed_by
    ticket.closed_at = now
    ticket.updated_at = now
    station = await repository.get_station(session, ticket.station_id)
    assert station is not None  # a ticket's station exists: foreign key
    await outbox.add(
        session,
        TICKET_CLOSED,
        {**ticket_state(ticket, station), "completed_by": completed_by, "closed_at": now.isoformat()},
        subject=str(ticket.id),
    )
    return ticket
