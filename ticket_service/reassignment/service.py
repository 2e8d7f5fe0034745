"""Use cases of reassignment. They never commit: the caller's transaction does.

Three ways in, one move: the catalogue's staff event (at once), a leave entered on the rota that covers
now (at once), and the periodic sweep (a leave that starts later, anything missed); and the bulk
reassign of a secretary or an administrator. Each moved ticket goes through the tickets' ``set_owner``:
an owner (and level) row in its history with the reason, and ``ticket.assigned`` published.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, Role, claim_id
from shared.errors import Forbidden, Unprocessable
from ticket_service.access import may_reassign_in_bulk, reassigns_at, reassigns_tickets_of
from ticket_service.reassignment import repository
from ticket_service.reassignment.rules import AbsenceReason, Department, absent_at, replacement
from ticket_service.reassignment.schemas import ReassignedTicket, ReassignRequest, ReassignResult, TicketNotMoved
from ticket_service.rota import service as rota
from ticket_service.stations import repository as stations
from ticket_service.stations.models import StationCopy
from ticket_service.tickets import ownership
from ticket_service.tickets import service as tickets
from ticket_service.tickets.assignment import Assignment, AssignmentBasis, Owner, OwnerKind
from ticket_service.tickets.lifecycle import ResponsibilityLevel
from ticket_service.tickets.models import Ticket

logger = logging.getLogger("ticket.reassignment")

BULK_REASSIGN = "bulk_reassign"  # the history's reason when the person moved from is not absent
NO_OWNER_AVAILABLE = "no_owner_available"


async def _replacement_for(
    session: AsyncSession, ticket: Ticket, station: StationCopy, absent: set[str], now: datetime
) -> Assignment | None:
    workers = await ownership.social_workers(session, station, now)  # present staff, leave flagged
    secretary = await stations.secretary_for(session, station)
    secretary_id = secretary.id if secretary is not None else None
    away = set(absent) | (await rota.people_on_leave(session, [secretary_id], now) if secretary_id else set())
    departments = [
        Department(id=str(department.id), service_categories=frozenset(department.service_categories or []))
        for department in await stations.subdistrict_departments(session, station.subdistrict_id)
    ]
    return replacement(
        level=ResponsibilityLevel(ticket.responsibility_level),
        service_category=ticket.service_category,
        station_id=str(station.id),
        social_workers=workers,
        absent=away,
        secretary_id=secretary_id,
        departments=departments,
    )


async def _move(
    session: AsyncSession,
    ticket: Ticket,
    station: StationCopy,
    assignment: Assignment,
    reason: str,
    actor_id: str | None,
    now: datetime,
    note: str | None = None,
    *,
    level: ResponsibilityLevel | None = None,
) -> None:
    # Never before the ticket's last change (an event's time may trail the ticket service's clock).
    at = max(now, ticket.updated_at) if ticket.updated_at is not None else now
    await tickets.set_owner(session, ticket, station, assignment, actor_id, at, reason, note, level=level)
    # The next ticket's "load" counts this one (the sessions do not autoflush).
    await session.flush()


async def reassign_absent_owner(session: AsyncSession, person_id: str, reason: AbsenceReason, now: datetime) -> int:
    """Moves every open ticket of an absent person under the rules; returns how many moved."""
    moved = 0
    for ticket in await repository.open_tickets_of(session, person_id):
        station = await stations.get_station(session, ticket.station_id)
        assert station is not None  # a ticket's station exists: foreign key
        assignment = await _replacement_for(session, ticket, station, {person_id}, now)
        if assignment is None:
            # Logged with ids only; the sweep tries again at its next pass (staff may arrive meanwhile).
            logger.warning("no owner for a ticket of an absent owner", extra={"ticket_id": str(ticket.id)})
            continue
        await _move(session, ticket, station, assignment, reason.value, tickets.SYSTEM, now)
        moved += 1
    return moved


async def staff_changed(session: AsyncSession, staff_id: str, *, removed: bool, now: datetime) -> int:
    """After the staff copy took a catalogue event: an inactive person's open tickets move at once."""
    staff = await repository.staff_member(session, staff_id)
    if staff is None or staff.active:
        return 0  # an older event arriving late changed nothing; or the person still works
    reason = AbsenceReason.OWNER_LEFT if removed else AbsenceReason.OWNER_INACTIVE
    return await reassign_absent_owner(session, staff_id, reason, now)


async def leave_entered(
    session: AsyncSession, person_id: str, start_at: datetime, end_at: datetime, now: datetime
) -> int:
    """A leave covering now moves the person's open tickets at once; a later one waits for the sweep."""
    if not start_at <= now < end_at:
        return 0
    return await reassign_absent_owner(session, person_id, AbsenceReason.OWNER_ON_LEAVE, now)


async def sweep_batch(
    session: AsyncSession, now: datetime, after: uuid.UUID | None, limit: int, *, skip_locked: bool
) -> tuple[int, int, uuid.UUID | None]:
    """One batch of the sweep: (tickets looked at, tickets moved, the last id looked at)."""
    found = await repository.tickets_with_absent_owners(session, now, after, limit, skip_locked=skip_locked)
    owners = sorted({ticket.owner_id for ticket in found if ticket.owner_id})
    absent = absent_at(
        inactive=await repository.inactive_among(session, owners),
        leaves=await repository.leaves_at(session, owners, now),
        now=now,
    )
    moved = 0
    for ticket in found:
        reason = absent.get(ticket.owner_id or "")
        station = await stations.get_station(session, ticket.station_id)
        if reason is None or station is None:
            continue
        assignment = await _replacement_for(session, ticket, station, set(absent), now)
        if assignment is None:
            logger.warning("no owner for a ticket of an absent owner", extra={"ticket_id": str(ticket.id)})
            continue
        await _move(session, ticket, station, assignment, reason.value, tickets.SYSTEM, now)
        moved += 1
    return len(found), moved, found[-1].id if found else None


# --- bulk reassign by hand -----------------------------------------------------------------------------


def _scope(principal: Principal) -> sa.ColumnElement[bool] | None:
    """The caller's tickets in SQL; each ticket's station is checked again with ``reassigns_at``."""
    if principal.is_district_admin:
        return None
    if principal.has_role(Role.secretary):
        mine = [Ticket.station_id == claim_id(principal.station_id)] if claim_id(principal.station_id) else []
        if claim_id(principal.community_id):
            mine.append(Ticket.community_id == claim_id(principal.community_id))
        return sa.or_(*mine) if mine else sa.false()
    if claim_id(principal.subdistrict_id):
        return Ticket.subdistrict_id == claim_id(principal.subdistrict_id)
    return sa.false()


async def _named(session: AsyncSession, person_id: str, station: StationCopy, now: datetime) -> None:
    """The person named to take the tickets works at this station and is present."""
    staff = await stations.get_staff(session, person_id)
    if staff is None:
        raise Unprocessable("No such staff member.", field="to_person_id", code="unknown_person")
    if not staff.active:
        raise Unprocessable("This person no longer works for a station.", field="to_person_id", code="person_inactive")
    if person_id not in {member.id for member in await stations.station_staff(session, station)}:
        raise Unprocessable(
            "This person does not work at the station of every ticket that moves.",
            field="to_person_id",
            code="person_not_at_station",
        )
    if person_id in await rota.people_on_leave(session, [person_id], now):
        raise Unprocessable("This person is on leave.", field="to_person_id", code="person_on_leave")


async def reassign_in_bulk(
    session: AsyncSession, data: ReassignRequest, principal: Principal, now: datetime
) -> ReassignResult:
    """Moves the person's open tickets within the caller's scope: to the named colleague (the level
    stays: a handover of the same responsibility), or each under the rules. All or nothing: a named
    colleague who cannot take one of them refuses the whole request."""
    if not may_reassign_in_bulk(principal):
        raise Forbidden("Secretaries and administrators reassign tickets in bulk.", code="secretary_or_admin_required")
    staff = await stations.get_staff(session, data.from_person_id)
    if staff is not None and not reassigns_tickets_of(principal, staff):
        raise Forbidden("This person works outside your community or subdistrict.", code="out_of_scope")
    if data.to_person_id is not None and data.to_person_id == data.from_person_id:
        raise Unprocessable("Name someone else.", field="to_person_id", code="same_person")
    owners = [data.from_person_id]
    absence = absent_at(
        inactive=await repository.inactive_among(session, owners),
        leaves=await repository.leaves_at(session, owners, now),
        now=now,
    )
    reason = absence[data.from_person_id].value if data.from_person_id in absence else BULK_REASSIGN
    moved: list[ReassignedTicket] = []
    stuck: list[TicketNotMoved] = []
    checked: set[uuid.UUID] = set()
    for ticket in await repository.open_tickets_of(session, data.from_person_id, _scope(principal)):
        station = await stations.get_station(session, ticket.station_id)
        if station is None or not reassigns_at(principal, station):
            continue
        if data.to_person_id is not None:
            if station.id not in checked:
                await _named(session, data.to_person_id, station, now)
                checked.add(station.id)
            level = ResponsibilityLevel(ticket.responsibility_level)
            owner = Owner(OwnerKind.PERSON, data.to_person_id)
            assignment: Assignment | None = Assignment(owner, level, AssignmentBasis.NAMED_PERSON)
        else:
            level = None
            assignment = await _replacement_for(session, ticket, station, {data.from_person_id}, now)
        if assignment is None:
            stuck.append(TicketNotMoved(ticket_id=ticket.id, station_id=station.id, code=NO_OWNER_AVAILABLE))
            continue
        await _move(session, ticket, station, assignment, reason, principal.user_id, now, data.note, level=level)
        moved.append(
            ReassignedTicket(
                ticket_id=ticket.id,
                station_id=station.id,
                owner_id=ticket.owner_id or "",
                owner_kind=ticket.owner_kind,
                responsibility_level=ticket.responsibility_level,
                reason=reason,
            )
        )
    return ReassignResult(from_person_id=data.from_person_id, moved_count=len(moved), items=moved, not_moved=stuck)
