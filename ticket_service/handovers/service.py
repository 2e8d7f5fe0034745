"""Use cases of handovers. They never commit: the caller's transaction does.

Every change goes through the tickets' ``record`` into the append-only history and every owner change
through ``set_owner`` (ticket.assigned to the new owner), so the responsibility rules are the tickets'
own: the receiving station's first-inquiry rule is ``ownership.first_inquiry``, as at intake.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.errors import Conflict, Forbidden, Unprocessable
from ticket_service.access import asks_for_backstop, hands_over, links_duplicates
from ticket_service.events import (
    TICKET_BACKSTOP_REQUESTED,
    TICKET_DUPLICATE_LINKED,
    TICKET_PARENT_RESOLVED,
    TICKET_RETURNED,
    TICKET_TRANSFERRED,
    outbox,
)
from ticket_service.handovers import repository, rules
from ticket_service.handovers.schemas import (
    BackstopAskRequest,
    DuplicateLinkRequest,
    TicketHandoverRead,
    TicketReturnRequest,
    TicketTransferRequest,
)
from ticket_service.replies.rules import TextRefused, clean_text
from ticket_service.stations import repository as stations
from ticket_service.stations.calendars import calendar_for
from ticket_service.stations.models import StationCopy
from ticket_service.tickets import metrics, ownership
from ticket_service.tickets import service as tickets
from ticket_service.tickets.lifecycle import TicketState
from ticket_service.tickets.models import Ticket
from ticket_service.tickets.sla import SlaPolicy
from ticket_service.tickets.visibility import can_see

TRANSFERRED = "transferred"
RETURNED = "returned"


def _refused(refusal: rules.Refusal) -> Exception:
    if refusal.field is not None:
        return Unprocessable(refusal.message, field=refusal.field, code=refusal.code)
    return Conflict(refusal.message, code=refusal.code)


def _reason(raw: str) -> str:
    try:
        return clean_text(raw)
    except TextRefused as refused:
        raise Unprocessable(refused.message, field="reason", code=refused.code) from None


async def _station(session: AsyncSession, station_id: uuid.UUID) -> StationCopy:
    station = await stations.get_station(session, station_id)
    assert station is not None  # a ticket's station exists: foreign key
    return station


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


# --- transfer and return ---------------------------------------------------------------------------


async def transfer(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    data: TicketTransferRequest,
    principal: Principal,
    now: datetime,
    policy: SlaPolicy,
) -> TicketHandoverRead:
    """To another station (misrouted, or the resident moved): its first-inquiry rule picks the owner."""
    ticket = await tickets.visible_ticket(session, ticket_id, principal, for_update=True)
    station = await _station(session, ticket.station_id)
    if not hands_over(principal, ticket, station):
        raise Forbidden("The owner or the community's secretary moves a ticket.", code="owner_or_secretary_required")
    reason = _reason(data.reason)
    target = await stations.get_station(session, data.station_id)
    if target is None:
        raise Unprocessable("No such station.", field="station_id", code="unknown_station")
    try:
        rules.check_transfer(status=ticket.status, station_id=str(station.id), to_station_id=str(target.id))
    except rules.Refusal as refusal:
        raise _refused(refusal) from None
    read = await _move(session, ticket, station, target, TRANSFERRED, reason, principal, now, policy)
    ticket.transferred_from_station_id = station.id
    return read


async def return_to_sender(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    data: TicketReturnRequest,
    principal: Principal,
    now: datetime,
    policy: SlaPolicy,
) -> TicketHandoverRead:
    """The receiving station sends a transferred ticket back, once; that station's first-inquiry rule applies."""
    ticket = await tickets.visible_ticket(session, ticket_id, principal, for_update=True)
    station = await _station(session, ticket.station_id)
    if not hands_over(principal, ticket, station):
        raise Forbidden("The owner or the community's secretary returns a ticket.", code="owner_or_secretary_required")
    reason = _reason(data.reason)
    try:
        origin_id = rules.check_return(
            status=ticket.status,
            transferred_from_station_id=(
                str(ticket.transferred_from_station_id) if ticket.transferred_from_station_id else None
            ),
        )
    except rules.Refusal as refusal:
        raise _refused(refusal) from None
    origin = await _station(session, uuid.UUID(origin_id))
    read = await _move(session, ticket, station, origin, RETURNED, reason, principal, now, policy)
    # Returned once: a further move is a new transfer (to the right station), not another return.
    ticket.transferred_from_station_id = None
    return read


async def _move(
    session: AsyncSession,
    ticket: Ticket,
    source: StationCopy,
    target: StationCopy,
    kind: str,
    reason: str,
    principal: Principal,
    now: datetime,
    policy: SlaPolicy,
) -> TicketHandoverRead:
    previous_owner = ticket.owner_id
    # The history keeps both stations: from, to, who, why (the reason as the row's note, masked as notes are).
    tickets.record(session, ticket, "station", str(source.id), str(target.id), principal.user_id, now, kind, reason)
    ticket.station_id = target.id
    ticket.community_id = target.community_id
    ticket.subdistrict_id = target.subdistrict_id
    assignment, basis = await ownership.first_inquiry(session, target, principal, now)
    await tickets.set_owner(session, ticket, target, assignment, principal.user_id, now, f"{kind}_{basis}")
    if ticket.status == TicketState.NEW.value:
        calendar = calendar_for(target)
        opens_at = None if calendar.is_open(now) else calendar.next_opening(now)
        ticket.waits_until = _utc(assignment.waits_until or opens_at)
    # The clocks keep running: created_at and the state history are the ticket's, never restarted; the
    # readings are taken again in the receiving station's calendar (README, "Handovers").
    await tickets.refresh_sla(session, ticket, target, policy, now)
    at = now.isoformat()
    actor = "transferred_by" if kind == TRANSFERRED else "returned_by"
    await outbox.add(
        session,
        TICKET_TRANSFERRED if kind == TRANSFERRED else TICKET_RETURNED,
        {
            **tickets.ticket_state(ticket, target),
            "from_station_id": str(source.id),
            "to_station_id": str(target.id),
            "from_community_name": source.community_name,
            "previous_owner_id": previous_owner,
            actor: principal.user_id,
            f"{kind}_at": at,
        },
        subject=str(ticket.id),
    )
    return TicketHandoverRead(
        ticket_id=ticket.id,
        kind=kind,
        from_station_id=source.id,
        to_station_id=target.id,
        owner_id=ticket.owner_id,
        owner_kind=ticket.owner_kind,
        responsibility_level=ticket.responsibility_level,
        status=ticket.status,
        at=now,
        acceptance_due_at=ticket.acceptance_due_at,
        resolution_due_at=ticket.resolution_due_at,
    )


# --- duplicates ------------------------------------------------------------------------------------


def _node(ticket: Ticket) -> rules.DuplicateNode:
    return rules.DuplicateNode(
        id=str(ticket.id),
        status=ticket.status,
        duplicate_of_id=str(ticket.duplicate_of_id) if ticket.duplicate_of_id else None,
        has_duplicates=bool(ticket.duplicate_ids),
    )


async def link_duplicate(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    data: DuplicateLinkRequest,
    principal: Principal,
    now: datetime,
    policy: SlaPolicy,
) -> Ticket:
    """Closes the ticket as a duplicate of ``parent_id``; the parent lists it, both histories say so."""
    await tickets.visible_ticket(session, ticket_id, principal)
    locked = await repository.lock_tickets(session, sorted({ticket_id, data.parent_id}))
    child = locked[ticket_id]
    station = await _station(session, child.station_id)
    if not links_duplicates(principal, child, station):
        raise Forbidden("Whoever works the ticket links it as a duplicate.", code="not_allowed")
    parent = locked.get(data.parent_id)
    # A parent the caller may not see is as unknown as one that does not exist.
    if parent is None or not can_see(principal, parent):
        raise Unprocessable("No such ticket.", field="parent_id", code="parent_not_found")
    parent_station = await _station(session, parent.station_id)
    if not links_duplicates(principal, parent, parent_station):
        raise Forbidden("The parent is at a station you do not work at.", code="out_of_scope")
    try:
        rules.check_duplicate_link(_node(child), _node(parent))
    except rules.Refusal as refusal:
        raise _refused(refusal) from None
    actor = principal.user_id
    # The figures up to the link are kept; then the clocks stop for good (the parent's carry the matter).
    await tickets.refresh_sla(session, child, station, policy, now)
    tickets.record(session, child, "duplicate", None, str(parent.id), actor, now, "duplicate_of")
    tickets.record(session, child, "state", child.status, TicketState.CLOSED.value, actor, now, "duplicate_of")
    child.status = TicketState.CLOSED.value
    child.closed_at = now
    metrics.count_closed(session, child.subdistrict_id)
    child.duplicate_of_id = parent.id
    child.due_at = None
    child.sla_check_at = None
    _settle_backstop_request(session, child, actor, now, "duplicate_of")
    # A new list: the JSON column is saved when it is replaced, not when changed in place.
    parent.duplicate_ids = [*(parent.duplicate_ids or []), str(child.id)]
    tickets.record(session, parent, "duplicate", None, str(child.id), actor, now, "duplicate_linked")
    await outbox.add(
        session,
        TICKET_DUPLICATE_LINKED,
        {
            **tickets.ticket_state(child, station),
            "parent_id": str(parent.id),
            "parent_station_id": str(parent.station_id),
            "linked_by": actor,
            "linked_at": now.isoformat(),
        },
        subject=str(child.id),
    )
    return child


async def parent_resolved(session: AsyncSession, parent: Ticket, actor_id: str | None, now: datetime) -> None:
    """The resolve use case's call: each duplicate's history and resident hear of the parent's resolution;
    and a pending request for the backstop is settled (the matter is resolved)."""
    _settle_backstop_request(session, parent, actor_id, now, "resolved")
    if not parent.duplicate_ids:
        return
    for duplicate in await repository.duplicates_of(session, parent.id):
        station = await _station(session, duplicate.station_id)
        tickets.record(session, duplicate, "duplicate", None, str(parent.id), actor_id, now, "parent_resolved")
        await outbox.add(
            session,
            TICKET_PARENT_RESOLVED,
            {
                **tickets.ticket_state(duplicate, station),
                "parent_id": str(parent.id),
                "parent_resolved_at": now.isoformat(),
            },
            subject=str(duplicate.id),
        )


# --- asking for the backstop -----------------------------------------------------------------------


async def ask_for_backstop(
    session: AsyncSession, ticket_id: uuid.UUID, data: BackstopAskRequest, principal: Principal, now: datetime
) -> Ticket:
    """The owner asks the secretary for the backstop; they keep the ticket until the secretary acts."""
    ticket = await tickets.visible_ticket(session, ticket_id, principal, for_update=True)
    station = await _station(session, ticket.station_id)
    if not asks_for_backstop(principal, ticket):
        raise Forbidden("The ticket's owner asks for the backstop.", code="not_the_owner")
    reason = _reason(data.reason)
    try:
        rules.check_backstop_request(
            status=ticket.status,
            level=ticket.responsibility_level,
            pending=ticket.backstop_requested_at is not None,
        )
    except rules.Refusal as refusal:
        raise _refused(refusal) from None
    tickets.record(
        session, ticket, "backstop_request", None, "requested", principal.user_id, now, "backstop_requested", reason
    )
    ticket.backstop_requested_at = now
    ticket.backstop_requested_by = principal.user_id
    await outbox.add(
        session,
        TICKET_BACKSTOP_REQUESTED,
        {
            **tickets.ticket_state(ticket, station),
            "requested_by": principal.user_id,
            "requested_at": now.isoformat(),
        },
        subject=str(ticket.id),
    )
    return ticket


def _settle_backstop_request(
    session: AsyncSession, ticket: Ticket, actor_id: str | None, at: datetime, reason: str
) -> None:
    if ticket.backstop_requested_at is None:
        return
    tickets.record(session, ticket, "backstop_request", "requested", "settled", actor_id, at, reason)
    ticket.backstop_requested_at = None
    ticket.backstop_requested_by = None
