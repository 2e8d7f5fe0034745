"""Use cases for tickets. They never commit: the caller's transaction does.

Every change of owner, level and state goes through ``record`` into the append-only history, and every
state change refreshes the SLA clocks from that history (``refresh_sla``).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import STATION_STAFF, Principal, Role
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.ids import new_id
from shared.language import language_var, local_time
from ticket_service.access import is_secretary_of, works_at
from ticket_service.events import (
    ONSITE_OFFICE_REQUESTED,
    TICKET_ACCEPTED,
    TICKET_ASSIGNED,
    TICKET_CLOSED,
    TICKET_CREATED,
    TICKET_ESCALATED,
    TICKET_RESOLVED,
    TICKET_SLA_BREACHED,
    TICKET_SLA_WARNING,
    outbox,
)
from ticket_service.handovers.rules import backstop_request_settled
from ticket_service.privacy.masking import masked_text, ticket_names
from ticket_service.replies.rules import TextRefused, clean_text
from ticket_service.sla_policies import service as sla_policies
from ticket_service.stations import copies
from ticket_service.stations import repository as stations
from ticket_service.stations.calendars import calendar_for
from ticket_service.stations.models import StationCopy
from ticket_service.tickets import metrics, ownership, repository
from ticket_service.tickets.assignment import Assignment, AssignmentBasis, Owner, OwnerKind
from ticket_service.tickets.catalogue import CATEGORY_BY_CODE, ITEM_BY_CODE, category_name
from ticket_service.tickets.lifecycle import (
    LEVEL_ORDER,
    ResponsibilityLevel,
    TicketAction,
    TicketState,
    allowed_actions,
    apply,
)
from ticket_service.tickets.models import Ticket, TicketChange, VideoLinkSession
from ticket_service.tickets.schemas import (
    BackstopRequest,
    DesignateRequest,
    OnsiteOfficeRequest,
    TicketClose,
    TicketCreate,
    VideoLinkCreate,
)
from ticket_service.tickets.sla import (
    ClockReading,
    ClockStatus,
    SlaClockKind,
    SlaPolicy,
    TicketSla,
    breach_check,
    spans_from_changes,
)
from ticket_service.tickets.sla_warnings import (
    decide_warning,
    next_threshold,
    settled_key,
    settled_thresholds,
)
from ticket_service.tickets.visibility import can_see, owns

SYSTEM = None  # actor of changes made by the service itself (SLA checker, consumed events)


# --- history -----------------------------------------------------------------------------------------


def record(
    session: AsyncSession,
    ticket: Ticket,
    kind: str,
    from_value: str | None,
    to_value: str | None,
    actor_id: str | None,
    at: datetime,
    reason: str,
    note: str | None = None,
) -> TicketChange:
    change = new_change(ticket, kind, from_value, to_value, actor_id, at, reason, note)
    session.add(change)
    return change


def new_change(
    ticket: Ticket,
    kind: str,
    from_value: str | None,
    to_value: str | None,
    actor_id: str | None,
    at: datetime,
    reason: str,
    note: str | None = None,
) -> TicketChange:
    """The ticket's next history row (not yet in any session: ``record`` adds it)."""
    ticket.change_count = (ticket.change_count or 0) + 1
    # Every recorded change is an update (the list's `sort=updated`).
    if ticket.updated_at is None or at > ticket.updated_at:
        ticket.updated_at = at
    return TicketChange(
        ticket_id=ticket.id,
        seq=ticket.change_count,
        kind=kind,
        from_value=from_value,
        to_value=to_value,
        actor_id=actor_id,
        at=at,
        reason=reason,
        note=note,
    )


def _add_handler(ticket: Ticket, person_id: str | None) -> None:
    if person_id and person_id not in (ticket.handled_by or []):
        ticket.handled_by = [*(ticket.handled_by or []), person_id]


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_state(ticket: Ticket, station: StationCopy) -> dict[str, Any]:
    return {
        "ticket_id": str(ticket.id),
        "station_id": str(ticket.station_id),
        "subdistrict_id": str(station.subdistrict_id),
        "community_id": str(station.community_id) if station.community_id else None,
        "community_name": station.community_name,
        "service_category": ticket.service_category,
        # The category as the station's wall names it: other services show this name and keep no list of
        # their own (the catalogue owns the list; ours is pinned to it by tests/catalog/test_item_codes.py).
        "service_category_name": category_name(ticket.service_category),
        "service_item": ticket.service_item,
        "channel": ticket.channel,
        "status": ticket.status,
        "owner_id": ticket.owner_id,
        "owner_kind": ticket.owner_kind,
        "responsibility_level": ticket.responsibility_level,
        "resident_id": ticket.resident_id,
        "created_at": _iso(ticket.created_at),
        "priority": ticket.priority,
        "external_due_at": _iso(ticket.external_due_at),
    }


async def _station(session: AsyncSession, ticket: Ticket) -> StationCopy:
    station = await stations.get_station(session, ticket.station_id)
    assert station is not None  # a ticket's station exists: foreign key
    return station


async def publish_assigned(
    session: AsyncSession,
    ticket: Ticket,
    station: StationCopy,
    previous_owner: str | None,
    reason: str,
    actor_id: str | None,
    at: datetime,
) -> None:
    await outbox.add(
        session,
        TICKET_ASSIGNED,
        {
            **ticket_state(ticket, station),
            "previous_owner_id": previous_owner,
            "basis": reason,
            "assigned_by": actor_id,
            "assigned_at": at.isoformat(),
        },
        subject=str(ticket.id),
    )


async def set_owner(
    session: AsyncSession,
    ticket: Ticket,
    station: StationCopy,
    assignment: Assignment,
    actor_id: str | None,
    at: datetime,
    reason: str,
    note: str | None = None,
    *,
    level: ResponsibilityLevel | None = None,
    publish: bool = True,
) -> None:
    """Moves owner and level (each change in the history) and publishes ticket.assigned / escalated."""
    new_level = level or assignment.level
    old_level = ticket.responsibility_level
    previous_owner = ticket.owner_id
    moved = move_owner(ticket, assignment, actor_id, at, reason, note, level=level)
    session.add_all(moved)
    owner_changed = any(change.kind == "owner" for change in moved)
    if not publish:
        return
    if owner_changed or new_level.value != old_level:
        await publish_assigned(session, ticket, station, previous_owner, reason, actor_id, at)
    if LEVEL_ORDER.index(new_level) > LEVEL_ORDER.index(ResponsibilityLevel(old_level)):
        await outbox.add(
            session,
            TICKET_ESCALATED,
            {
                **ticket_state(ticket, station),
                "from_level": old_level,
                "to_level": new_level.value,
                "reason": reason,
                "escalated_by": actor_id,
                "escalated_at": at.isoformat(),
            },
            subject=str(ticket.id),
        )


def move_owner(
    ticket: Ticket,
    assignment: Assignment,
    actor_id: str | None,
    at: datetime,
    reason: str,
    note: str | None = None,
    *,
    level: ResponsibilityLevel | None = None,
) -> list[TicketChange]:
    """`set_owner`'s change of the ticket itself: owner and level, and the history rows that say so (returned,
    in order, for the caller to write)."""
    new_level = level or assignment.level
    old_level = ticket.responsibility_level
    changes: list[TicketChange] = []
    owner_changed = (assignment.owner_id, assignment.owner.kind.value) != (ticket.owner_id, ticket.owner_kind)
    if owner_changed:
        changes.append(new_change(ticket, "owner", ticket.owner_id, assignment.owner_id, actor_id, at, reason, note))
        ticket.owner_id = assignment.owner_id
        ticket.owner_kind = assignment.owner.kind.value
        if assignment.owner.kind.value == "person":
            _add_handler(ticket, assignment.owner_id)
    if new_level.value != old_level:
        changes.append(new_change(ticket, "level", old_level, new_level.value, actor_id, at, reason, note))
        ticket.responsibility_level = new_level.value
    if ticket.backstop_requested_at is not None and backstop_request_settled(
        requested_by=ticket.backstop_requested_by, owner_id=ticket.owner_id, level=ticket.responsibility_level
    ):
        # The owner's request for the backstop (handovers) is settled: the ticket left them or reached it.
        changes.append(new_change(ticket, "backstop_request", "requested", "settled", actor_id, at, reason))
        ticket.backstop_requested_at = ticket.backstop_requested_by = None
    ticket.updated_at = at
    return changes


# --- SLA ---------------------------------------------------------------------------------------------


def _sla(ticket: Ticket, station: StationCopy, changes: list[TicketChange], policy: SlaPolicy) -> TicketSla:
    state_changes = [
        (TicketState(change.to_value), change.at)
        for change in changes
        if change.kind == "state" and change.from_value is not None and change.to_value is not None
    ]
    return TicketSla(
        calendar_for(station),
        _ticket_policy(ticket, policy),
        spans_from_changes(ticket.created_at, state_changes),
        external_due_at=ticket.external_due_at,
    )


def _ticket_policy(ticket: Ticket, policy: SlaPolicy) -> SlaPolicy:
    """The budgets the ticket's SLA policy gave it (sla_policies); an older ticket runs on the settings'."""
    if ticket.sla_accept_minutes and ticket.sla_resolve_minutes:
        return SlaPolicy(accept_minutes=ticket.sla_accept_minutes, resolve_minutes=ticket.sla_resolve_minutes)
    return policy


def _reported(ticket: Ticket, kind: SlaClockKind) -> bool:
    return ticket.acceptance_breached if kind is SlaClockKind.ACCEPTANCE else ticket.resolution_breached


def apply_readings(ticket: Ticket, sla: TicketSla, now: datetime) -> None:
    """Stores due times and elapsed working minutes; ``due_at`` is when the checker must look next."""
    now = max(now, ticket.created_at)
    acceptance = sla.reading(SlaClockKind.ACCEPTANCE, now)
    resolution = sla.reading(SlaClockKind.RESOLUTION, now)
    ticket.acceptance_due_at = _utc(sla.acceptance_due())
    if resolution.due_at is not None or resolution.status is ClockStatus.PAUSED:
        ticket.resolution_due_at = _utc(resolution.due_at)
        ticket.due_at_source = resolution.due_at_source.value
    ticket.acceptance_working_minutes = round(acceptance.elapsed_minutes, 3)
    ticket.resolution_working_minutes = round(resolution.elapsed_minutes, 3)
    running = [
        reading
        for reading in (acceptance, resolution)
        # Watched: running, or paused while the referring system's deadline keeps going.
        if reading.watched and reading.due_at is not None and not _reported(ticket, reading.kind)
    ]
    ticket.due_at = _utc(min(reading.due_at for reading in running if reading.due_at)) if running else None
    # The checker also looks when a running clock reaches its next warning threshold.
    looks = [reading.due_at for reading in running if reading.due_at is not None]
    for reading in running:
        percent = next_threshold(_warned(ticket, reading.kind))
        if percent is not None:
            looks.append(sla.threshold_at(reading.kind, percent, now))
    ticket.sla_check_at = _utc(min(looks)) if looks else None


def _warned(ticket: Ticket, kind: SlaClockKind) -> frozenset[int]:
    return settled_thresholds(ticket.sla_warnings or [], kind.value)


async def _warn(session: AsyncSession, ticket: Ticket, station: StationCopy, sla: TicketSla, now: datetime) -> int:
    """Publishes ``ticket.sla_warning`` for each clock that newly crossed 50% or 80% (sla_warnings.py)."""
    warned = 0
    for kind in SlaClockKind:
        reading: ClockReading = sla.reading(kind, now)
        settled = _warned(ticket, kind)
        # Counted against the governing deadline: the working-minute budget, or the external window.
        elapsed, budget = reading.warning_measure
        if budget <= 0:
            continue  # an external deadline already past at intake: the breach says it
        decision = decide_warning(
            max(elapsed, 0.0),
            budget,
            settled,
            running=reading.watched,
            breached=reading.breached or _reported(ticket, kind),
        )
        if decision.settled != settled:
            # A new list: the JSON column is saved when it is replaced, not when changed in place.
            added = sorted(decision.settled - settled)
            ticket.sla_warnings = [*(ticket.sla_warnings or []), *(settled_key(kind.value, p) for p in added)]
        if decision.threshold_percent is None:
            continue
        await outbox.add(
            session,
            TICKET_SLA_WARNING,
            {
                **ticket_state(ticket, station),
                "clock": kind.value,
                "threshold_percent": decision.threshold_percent,
                "budget_minutes": reading.budget_minutes,
                "elapsed_working_minutes": round(reading.elapsed_minutes, 3),
                "due_at": _iso(reading.due_at),
                "due_at_source": reading.due_at_source.value,
                "warned_at": now.isoformat(),
            },
            subject=str(ticket.id),
        )
        warned += 1
    return warned


async def refresh_sla(
    session: AsyncSession,
    ticket: Ticket,
    station: StationCopy,
    policy: SlaPolicy,
    now: datetime,
    changes: list[TicketChange] | None = None,
) -> TicketSla:
    """Recomputes the SLA readings; `changes` spares the history query when the caller has it."""
    if changes is None:
        await session.flush()
        changes = await repository.changes(session, ticket.id)
    sla = _sla(ticket, station, changes, policy)
    apply_readings(ticket, sla, now)
    return sla


async def check_breaches(
    session: AsyncSession, ticket: Ticket, policy: SlaPolicy, now: datetime
) -> frozenset[SlaClockKind]:
    """One ticket's SLA check (the periodic checker calls it): escalates once per clock, and warns once
    per clock and threshold before that (a breached clock warns no more)."""
    station = await _station(session, ticket)
    sla = _sla(ticket, station, await repository.changes(session, ticket.id), policy)
    now = max(now, ticket.created_at)
    reported = {kind for kind in SlaClockKind if _reported(ticket, kind)}
    check = breach_check(
        sla, level=ResponsibilityLevel(ticket.responsibility_level), now=now, already_reported=reported
    )
    if check.newly_breached:
        for kind in sorted(check.newly_breached):
            if kind is SlaClockKind.ACCEPTANCE:
                ticket.acceptance_breached = True
            else:
                ticket.resolution_breached = True
        ticket.sla_breached_at = ticket.sla_breached_at or now
        metrics.count_sla_breach(session, ticket.subdistrict_id)  # one escalation, however many clocks
        previous_level = ticket.responsibility_level
        escalation = check.escalation
        assert escalation is not None
        reason = "sla_breach_" + "_and_".join(sorted(kind.value for kind in check.newly_breached))
        if escalation.already_at_top:
            # Backstop is the top: the secretary keeps it, and the history says so.
            record(session, ticket, "level", previous_level, previous_level, SYSTEM, now, reason + "_at_top")
        else:
            assignment, level = await ownership.escalation_owner(session, ticket, station, escalation.to_level, now)
            if assignment is None:
                assignment = Assignment(
                    owner=_current_owner(ticket), level=level, basis=AssignmentBasis.SECRETARY_BY_ESCALATION
                )
            await set_owner(session, ticket, station, assignment, SYSTEM, now, reason, level=level)
        for reading in check.readings:
            if reading.kind in check.newly_breached:
                await outbox.add(
                    session,
                    TICKET_SLA_BREACHED,
                    {
                        **ticket_state(ticket, station),
                        "clock": reading.kind.value,
                        "budget_minutes": reading.budget_minutes,
                        "elapsed_working_minutes": round(reading.elapsed_minutes, 3),
                        "due_at": _iso(reading.due_at),
                        "due_at_source": reading.due_at_source.value,
                        "breached_at": now.isoformat(),
                        "previous_level": previous_level,
                    },
                    subject=str(ticket.id),
                )
    await _warn(session, ticket, station, sla, now)
    apply_readings(ticket, sla, now)
    return check.newly_breached


def _current_owner(ticket: Ticket) -> Owner:
    return Owner(OwnerKind(ticket.owner_kind), ticket.owner_id or "")


# --- intake ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RaisedTicket:
    ticket: Ticket
    changes: list[TicketChange]  # its history rows as written, in `seq` order (the answer needs no read-back)


async def create_ticket(
    session: AsyncSession,
    data: TicketCreate,
    principal: Principal,
    now: datetime,
    policy: SlaPolicy,
    *,
    created_by: str | None = None,
    ticket_id: uuid.UUID | None = None,
) -> Ticket:
    """Raises a ticket (rule 1 picks its owner). Retries are made safe by the route's Idempotency-Key."""
    raised = await raise_ticket(session, data, principal, now, policy, created_by=created_by, ticket_id=ticket_id)
    return raised.ticket


async def raise_ticket(
    session: AsyncSession,
    data: TicketCreate,
    principal: Principal,
    now: datetime,
    policy: SlaPolicy,
    *,
    created_by: str | None = None,
    ticket_id: uuid.UUID | None = None,
) -> RaisedTicket:
    """`create_ticket`, with the history it wrote. The station and its staff come from the in-memory copies
    (stations/copies.py); the ticket and its history are written with two Core inserts, no unit of work,
    and the ticket then joins the session as a loaded row, so later changes in this transaction are
    ordinary (versioned) ORM updates."""
    caller = created_by or principal.user_id

    entry = await copies.station_entry(session, data.station_id)
    if entry is None:
        raise Unprocessable("No such station.", field="station_id", code="unknown_station")
    station = entry.station
    if not (
        works_at(principal, station) or principal.has_role(Role.resident, Role.integration_client, Role.district_admin)
    ):
        raise Forbidden(
            "Only this station's staff, residents and integrations raise tickets here.", code="out_of_scope"
        )
    category, item = _category_and_item(data)
    # Whose account the ticket joins: a resident's own; staff name the resident they serve. An integration
    # holds no verified link to any resident, so it never names one (an Open311 `account_id` neither):
    # the ticket carries the contact it was given, and appears in no resident's account.
    if principal.has_role(Role.resident):
        resident_id = principal.user_id
    elif principal.has_role(Role.integration_client):
        resident_id = None
    else:
        resident_id = data.resident_id
    if (data.resident_name is None) != (data.resident_phone is None):
        missing = "resident_phone" if data.resident_phone is None else "resident_name"
        raise Unprocessable(
            "Give the resident's name and phone together (or a resident account).",
            field=missing,
            code="resident_contact_incomplete",
        )
    assignment, reason = await ownership.first_inquiry(session, station, principal, now, staff=entry.staff)
    # The SLA policy of the category and priority (sla_policies), kept on the ticket with its budgets.
    budgets = await sla_policies.budgets_for(session, category, data.priority, policy)
    calendar = entry.calendar
    opens_at = None if calendar.is_open(now) else calendar.next_opening(now)
    ticket = Ticket(
        id=ticket_id or new_id(),
        station_id=station.id,
        community_id=station.community_id,
        subdistrict_id=station.subdistrict_id,
        channel=data.channel.value,
        service_category=category,
        service_item=item,
        description=data.description,
        resident_id=resident_id,
        resident_name=data.resident_name,
        resident_phone=data.resident_phone,
        location_address=data.location.address if data.location else None,
        latitude=data.location.latitude if data.location else None,
        longitude=data.location.longitude if data.location else None,
        media_urls=[str(url) for url in data.media_urls],
        status=TicketState.NEW.value,
        owner_id=None,
        owner_kind="person",
        responsibility_level=ResponsibilityLevel.FIRST_INQUIRY.value,
        received_by=principal.user_id if principal.has_role(*STATION_STAFF) else None,
        created_by=caller,
        created_at=now,
        updated_at=now,
        waits_until=_utc(assignment.waits_until or opens_at),
        handled_by=[],
        change_count=0,
        open311_token=secrets.token_urlsafe(12),
        priority=data.priority.value,
        sla_accept_minutes=budgets.accept_minutes,
        sla_resolve_minutes=budgets.resolve_minutes,
        external_due_at=_utc(data.external_due_at),
    )
    changes = [
        new_change(
            ticket, "state", None, TicketState.NEW.value, principal.user_id, now, f"created_{data.channel.value}"
        )
    ]
    # The ticket is born with its owner: ticket.created carries it, then ticket.assigned says why.
    changes += move_owner(ticket, assignment, principal.user_id, now, reason)
    await outbox.add(
        session,
        TICKET_CREATED,
        {**ticket_state(ticket, station), "received_by": ticket.received_by, "waits_until": _iso(ticket.waits_until)},
        subject=str(ticket.id),
    )
    await publish_assigned(session, ticket, station, None, reason, principal.user_id, now)
    metrics.count_raised(session, ticket.subdistrict_id)
    # A new ticket has no state change after its birth yet: its clocks start from created_at.
    await refresh_sla(session, ticket, station, policy, now, changes=[])
    await repository.insert_ticket(session, ticket, changes)
    return RaisedTicket(ticket, changes)


def _category_and_item(data: TicketCreate) -> tuple[str, str | None]:
    if data.service_item is not None:
        item = ITEM_BY_CODE.get(data.service_item)
        if item is None:
            raise Unprocessable(
                "Not an item of the station's service list.", field="service_item", code="unknown_service_item"
            )
        if data.service_category is not None and data.service_category.value != item.category:
            raise Unprocessable(
                f"The item belongs to {item.category}.", field="service_category", code="category_item_mismatch"
            )
        return item.category, item.code
    if data.service_category is None:
        raise Unprocessable("Give a service category or item.", field="service_category", code="category_required")
    if data.service_category.value not in CATEGORY_BY_CODE:  # pragma: no cover - the enum already checks
        raise Unprocessable("No such category.", field="service_category", code="unknown_category")
    return data.service_category.value, None


# --- reading -----------------------------------------------------------------------------------------


async def visible_ticket(
    session: AsyncSession, ticket_id: uuid.UUID, principal: Principal, *, for_update: bool = False
) -> Ticket:
    ticket = await repository.get_ticket(session, ticket_id, for_update=for_update)
    # Someone who may not see a ticket learns nothing of it, not even that it exists.
    if ticket is None or not can_see(principal, ticket):
        raise NotFound("No such ticket.", code="ticket_not_found")
    return ticket


async def notice(session: AsyncSession, ticket: Ticket, now: datetime, language: str | None = None) -> str | None:
    """What to tell the resident of a ticket raised while the station is closed: when it opens, in the
    station's time zone and the reader's language (Accept-Language; zh-CN by default)."""
    if ticket.status != TicketState.NEW.value or ticket.waits_until is None or ticket.waits_until <= now:
        return None
    station = await repository.get_station(session, ticket.station_id)
    return closed_station_notice(
        ticket.waits_until, language or language_var.get(), station.time_zone if station else None
    )


def closed_station_notice(opens_at: datetime, language: str, time_zone: str | None) -> str:
    opens = local_time(opens_at, language, time_zone)
    if language == "en":
        return f"The station is closed now; your request will be taken up when it opens ({opens}, station time)."
    return f"服务站现在休息，您的诉求将在服务站开门后（{opens}）受理。"


def usable_actions(ticket: Ticket) -> list[str]:
    return sorted(action.value for action in allowed_actions(TicketState(ticket.status)))


# --- lifecycle ---------------------------------------------------------------------------------------


def _is_worker(principal: Principal, ticket: Ticket, station: StationCopy) -> bool:
    return principal.is_district_admin or owns(principal, ticket) or works_at(principal, station)


def _authorise(principal: Principal, ticket: Ticket, station: StationCopy, action: TicketAction) -> None:
    if _is_worker(principal, ticket, station):
        return
    resident_actions = {TicketAction.CANCEL, TicketAction.CLOSE, TicketAction.REOPEN}
    if action in resident_actions and principal.has_role(Role.resident) and ticket.resident_id == principal.user_id:
        return
    raise Forbidden("Only the owner, this station's staff or the secretary do this.", code="not_allowed")


async def transition(
    session: AsyncSession,
    ticket: Ticket,
    station: StationCopy,
    action: TicketAction,
    principal: Principal,
    now: datetime,
    policy: SlaPolicy,
    *,
    note: str | None = None,
    completed_by: str | None = None,
    reason: str | None = None,
    result_text: str | None = None,
) -> None:
    """One move of the state machine, on a ticket already locked and checked as visible. Resolving needs
    the result text (办理结果): 422 naming `result_text` when it is missing or blank."""
    _authorise(principal, ticket, station, action)
    if action is TicketAction.REOPEN and ticket.duplicate_of_id is not None:
        # A duplicate went from new straight to closed: the matter lives on in its parent, reopen that one.
        raise Conflict("This ticket is a duplicate: reopen the ticket it duplicates.", code="ticket_is_duplicate")
    state = TicketState(ticket.status)
    target = apply(state, action, at=now, closed_at=ticket.closed_at)  # refusals: 409 / 422 by the kernel
    result = required_result_text(result_text) if target is TicketState.RESOLVED else None
    if action is TicketAction.ACCEPT and not owns(principal, ticket) and not principal.is_district_admin:
        if principal.has_role(*STATION_STAFF) and works_at(principal, station):
            # A colleague at the desk who accepts takes the ticket over: whoever accepts owns it.
            taken = Assignment(
                owner=Owner(OwnerKind.PERSON, principal.user_id),
                level=ResponsibilityLevel(ticket.responsibility_level),
                basis=AssignmentBasis.RECEIVER,
            )
            await set_owner(session, ticket, station, taken, principal.user_id, now, "taken_over_on_accept")
        else:
            raise Forbidden("Only the owner accepts a ticket.", code="not_the_owner")
    change = record(
        session, ticket, "state", state.value, target.value, principal.user_id, now, reason or action.value, note
    )
    change.result_text = result
    ticket.status = target.value
    ticket.updated_at = now
    if principal.has_role(*STATION_STAFF, Role.department):
        _add_handler(ticket, principal.user_id)
    if target is TicketState.ACCEPTED and ticket.accepted_at is None:
        ticket.accepted_at = now
    elif target is TicketState.RESOLVED:
        ticket.resolved_at = now
        ticket.result_text = result
        ticket.resolved_by = principal.user_id if not principal.has_role(Role.resident) else ticket.owner_id
    elif target is TicketState.CANCELLED:
        ticket.cancelled_at = now
    elif target is TicketState.REOPENED:
        ticket.closed_at = None
        ticket.completed_by = None
    sla = await refresh_sla(session, ticket, station, policy, now)
    if action is TicketAction.ACCEPT:
        # The resident is told their matter was taken up (the notification service's SMS).
        await outbox.add(
            session,
            TICKET_ACCEPTED,
            {**ticket_state(ticket, station), "accepted_by": principal.user_id, "accepted_at": now.isoformat()},
            subject=str(ticket.id),
        )
    if target is TicketState.RESOLVED:
        await outbox.add(
            session,
            TICKET_RESOLVED,
            {**ticket_state(ticket, station), "resolved_by": ticket.resolved_by, "resolved_at": now.isoformat()},
            subject=str(ticket.id),
        )
        # Its duplicates' residents hear of it too (ticket_service/handovers; imported here: it uses this module).
        from ticket_service.handovers import service as handovers

        await handovers.parent_resolved(session, ticket, principal.user_id, now)
    elif target is TicketState.CLOSED:
        await _closed(session, ticket, station, principal, now, sla, completed_by)


def required_result_text(raw: str | None) -> str:
    """The result text as kept (trimmed), or 422 naming `result_text`: a matter is not resolved in silence."""
    try:
        return clean_text(raw, required_code="result_text_required")
    except TextRefused as refused:
        raise Unprocessable(refused.message, field="result_text", code=refused.code) from None


async def _closed(
    session: AsyncSession,
    ticket: Ticket,
    station: StationCopy,
    principal: Principal,
    now: datetime,
    sla: TicketSla,
    completed_by: str | None,
) -> None:
    if completed_by is not None and completed_by not in (ticket.handled_by or []):
        known = await stations.station_staff(session, station)
        if known and completed_by not in {staff.id for staff in known}:
            raise Unprocessable(
                "Name someone who worked this ticket or works at the station.",
                field="completed_by",
                code="completed_by_unknown",
            )
    fallback = ticket.owner_id if ticket.owner_kind == "person" else principal.user_id
    ticket.completed_by = completed_by or ticket.resolved_by or fallback
    _add_handler(ticket, ticket.completed_by)
    ticket.closed_at = now
    metrics.count_closed(session, ticket.subdistrict_id)
    acceptance = sla.reading(SlaClockKind.ACCEPTANCE, now)
    resolution = sla.reading(SlaClockKind.RESOLUTION, now)
    await outbox.add(
        session,
        TICKET_CLOSED,
        {
            **ticket_state(ticket, station),
            "completed_by": ticket.completed_by,
            "handled_by": list(ticket.handled_by or []),
            # Only for the evaluation service to mask these names in what is typed about the matter there.
            "resident_names": ticket_names(ticket),
            "accepted_at": _iso(ticket.accepted_at),
            "resolved_at": _iso(ticket.resolved_at),
            "closed_at": now.isoformat(),
            "accepted_on_time": (not acceptance.breached) if ticket.accepted_at is not None else None,
            "resolved_on_time": (not resolution.breached) if ticket.resolved_at is not None else None,
            "acceptance_working_minutes": round(acceptance.elapsed_minutes, 3),
            "resolution_working_minutes": round(resolution.elapsed_minutes, 3),
        },
        subject=str(ticket.id),
    )


# The shortest legal way to "closed" from each state, for the desk's one-tap close.
_CLOSE_PATH: dict[TicketState, tuple[TicketAction, ...]] = {
    TicketState.NEW: (TicketAction.ACCEPT, TicketAction.RESOLVE, TicketAction.CLOSE),
    TicketState.ACCEPTED: (TicketAction.RESOLVE, TicketAction.CLOSE),
    TicketState.IN_PROGRESS: (TicketAction.RESOLVE, TicketAction.CLOSE),
    TicketState.REOPENED: (TicketAction.ACCEPT, TicketAction.RESOLVE, TicketAction.CLOSE),
    TicketState.RESOLVED: (TicketAction.CLOSE,),
}


async def close_ticket(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    data: TicketClose,
    principal: Principal,
    now: datetime,
    policy: SlaPolicy,
) -> Ticket:
    """Close, handling at the desk if needed: each step (accept, resolve, close) is in the history."""
    ticket = await visible_ticket(session, ticket_id, principal, for_update=True)
    station = await _station(session, ticket)
    path = _CLOSE_PATH.get(TicketState(ticket.status), (TicketAction.CLOSE,))
    if TicketAction.RESOLVE in path:
        required_result_text(data.result_text)  # before the desk's accept: nothing half-done
    for action in path:
        reason = "handled_at_desk" if len(path) > 1 and action is not TicketAction.CLOSE else None
        await transition(
            session,
            ticket,
            station,
            action,
            principal,
            now,
            policy,
            note=data.note,
            completed_by=data.completed_by,
            reason=reason,
            result_text=data.result_text,
        )
    return ticket


async def act(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    action: TicketAction,
    principal: Principal,
    now: datetime,
    policy: SlaPolicy,
    *,
    note: str | None = None,
    completed_by: str | None = None,
    result_text: str | None = None,
) -> Ticket:
    ticket = await visible_ticket(session, ticket_id, principal, for_update=True)
    station = await _station(session, ticket)
    await transition(
        session,
        ticket,
        station,
        action,
        principal,
        now,
        policy,
        note=note,
        completed_by=completed_by,
        result_text=result_text,
    )
    return ticket


# --- the responsibility rules by hand ---------------------------------------------------------------


def _require_open(ticket: Ticket) -> None:
    if ticket.status in (TicketState.CLOSED.value, TicketState.CANCELLED.value, TicketState.RESOLVED.value):
        raise Conflict(f"The ticket is {ticket.status}.", code=f"ticket_{ticket.status}")


async def designate_ticket(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    data: DesignateRequest,
    principal: Principal,
    now: datetime,
    policy: SlaPolicy,
) -> Ticket:
    """Rule 2: the owner or the secretary designates a social worker (by name, or skill and workload)."""
    ticket = await visible_ticket(session, ticket_id, principal, for_update=True)
    station = await _station(session, ticket)
    if not (owns(principal, ticket) or is_secretary_of(principal, station) or principal.is_district_admin):
        raise Forbidden("The owner or the community's secretary designates.", code="owner_or_secretary_required")
    _require_open(ticket)
    if ticket.responsibility_level == ResponsibilityLevel.BACKSTOP.value:
        raise Conflict(
            "A backstop ticket is the secretary's to hand on, by the backstop rule.", code="ticket_at_backstop"
        )
    assignment = await ownership.designated(session, ticket, station, data.designee_id, now)
    if assignment.owner_id == ticket.owner_id:
        raise Conflict("This person already owns the ticket.", code="already_owner")
    await set_owner(session, ticket, station, assignment, principal.user_id, now, assignment.basis.value, data.note)
    await refresh_sla(session, ticket, station, policy, now)
    return ticket


async def backstop_ticket(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    data: BackstopRequest,
    principal: Principal,
    now: datetime,
    policy: SlaPolicy,
) -> Ticket:
    """Rule 3: the secretary names a person (or a subdistrict department), or claims it personally."""
    ticket = await visible_ticket(session, ticket_id, principal, for_update=True)
    station = await _station(session, ticket)
    if not (is_secretary_of(principal, station) or principal.is_district_admin):
        raise Forbidden("The community's secretary applies the backstop rule.", code="secretary_required")
    _require_open(ticket)
    if (
        principal.is_district_admin
        and not is_secretary_of(principal, station)
        and not (data.person_id or data.department_id)
    ):
        raise Unprocessable("Name a person or a department.", field="person_id", code="person_or_department_required")
    assignment = await ownership.backstop(
        session,
        ticket,
        station,
        principal,
        now,
        person_id=data.person_id,
        department_id=str(data.department_id) if data.department_id else None,
    )
    if assignment.owner_id == ticket.owner_id and ticket.responsibility_level == ResponsibilityLevel.BACKSTOP.value:
        raise Conflict("This owner already holds the ticket under backstop.", code="already_owner")
    await set_owner(session, ticket, station, assignment, principal.user_id, now, assignment.basis.value, data.note)
    await refresh_sla(session, ticket, station, policy, now)
    return ticket


async def request_onsite_office(
    session: AsyncSession, ticket_id: uuid.UUID, data: OnsiteOfficeRequest, principal: Principal, now: datetime
) -> Ticket:
    ticket = await visible_ticket(session, ticket_id, principal, for_update=True)
    station = await _station(session, ticket)
    if not (owns(principal, ticket) or is_secretary_of(principal, station) or principal.is_district_admin):
        raise Forbidden("The owner or the secretary asks for an on-site office.", code="owner_or_secretary_required")
    _require_open(ticket)
    if ticket.responsibility_level != ResponsibilityLevel.BACKSTOP.value:
        raise Conflict("Only a backstop ticket goes to an on-site office.", code="ticket_not_at_backstop")
    if ticket.onsite_office_status == "requested":
        raise Conflict("An on-site office is already requested.", code="onsite_office_already_requested")
    record(
        session,
        ticket,
        "onsite_office",
        ticket.onsite_office_status,
        "requested",
        principal.user_id,
        now,
        "onsite_office_requested",
        data.title,
    )
    ticket.onsite_office_status = "requested"
    ticket.updated_at = now
    names = ticket_names(ticket)
    await outbox.add(
        session,
        ONSITE_OFFICE_REQUESTED,
        {
            "ticket_id": str(ticket.id),
            "station_id": str(ticket.station_id),
            "community_id": str(station.community_id) if station.community_id else None,
            "subdistrict_id": str(station.subdistrict_id),
            # The deliberation service shows the case to whoever is invited and cannot record reads: the
            # staff's words go with the resident's phones and names masked (the owner relays the contact).
            "title": masked_text(data.title, names),
            "description": masked_text(data.description, names),
            "requested_by": principal.user_id,
            "requested_at": now.isoformat(),
            "service_category": ticket.service_category,
        },
        subject=str(ticket.id),
    )
    return ticket


async def onsite_office_resolved(session: AsyncSession, data: dict[str, Any], at: datetime) -> None:
    """The deliberation service's outcome of an on-site office comes back onto its ticket."""
    try:
        ticket_id = uuid.UUID(str(data.get("ticket_id")))
    except ValueError:
        return  # a case opened without a ticket: nothing of ours
    ticket = await repository.get_ticket(session, ticket_id, for_update=True)
    if ticket is None:
        return
    outcome = str(data.get("outcome") or "")[:2000]
    resolved_at = at
    if isinstance(data.get("resolved_at"), str):
        try:
            parsed = datetime.fromisoformat(data["resolved_at"])
            resolved_at = parsed if parsed.tzinfo is not None else at
        except ValueError:
            pass
    record(
        session,
        ticket,
        "onsite_office",
        ticket.onsite_office_status,
        "resolved",
        SYSTEM,
        resolved_at,
        "onsite_office_resolved",
        outcome or None,
    )
    ticket.onsite_office_status = "resolved"
    ticket.onsite_case_id = str(data.get("case_id") or "")[:64] or None
    ticket.onsite_outcome = outcome or None
    ticket.onsite_resolved_at = resolved_at
    ticket.updated_at = max(ticket.updated_at, resolved_at)


async def record_video_link(
    session: AsyncSession, ticket_id: uuid.UUID, data: VideoLinkCreate, principal: Principal, now: datetime
) -> VideoLinkSession:
    ticket = await visible_ticket(session, ticket_id, principal, for_update=True)
    station = await _station(session, ticket)
    if not _is_worker(principal, ticket, station):
        raise Forbidden("Station staff record a video-link handling.", code="not_allowed")
    if data.ended_at <= data.started_at:
        raise Unprocessable("The call ends after it starts.", field="ended_at", code="end_before_start")
    if data.started_at > now:
        raise Unprocessable("A handling is recorded once it has happened.", field="started_at", code="in_the_future")
    link = VideoLinkSession(
        ticket_id=ticket.id,
        centre=data.centre,
        started_at=data.started_at,
        ended_at=data.ended_at,
        outcome=data.outcome.value,
        document_issued=data.document_issued,
        notes=data.notes,
        recorded_by=principal.user_id,
        recorded_at=now,
    )
    session.add(link)
    _add_handler(ticket, principal.user_id if principal.has_role(*STATION_STAFF) else None)
    ticket.updated_at = now
    await session.flush()
    return link
