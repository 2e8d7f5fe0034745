"""Use cases of the SLA policies and of a ticket's priority. They never commit: the caller's transaction does."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.conditional import Precondition
from shared.database import Database
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from ticket_service.access import reads_sla_policies, sets_priority, sets_sla_policies
from ticket_service.events import TICKET_PRIORITY_CHANGED, outbox
from ticket_service.sla_policies import repository
from ticket_service.sla_policies.models import SlaPolicyRow
from ticket_service.sla_policies.rules import Budgets, PolicySource, Priority, applicable_budgets, default_budgets
from ticket_service.sla_policies.schemas import SlaPolicyRead, SlaPolicyUpdate, TicketPriorityChange
from ticket_service.stations import repository as stations
from ticket_service.tickets.catalogue import CATEGORY_BY_CODE
from ticket_service.tickets.lifecycle import TicketState
from ticket_service.tickets.models import Ticket
from ticket_service.tickets.sla import SlaPolicy

logger = logging.getLogger("ticket.sla_policies")

FINISHED = frozenset({TicketState.RESOLVED.value, TicketState.CLOSED.value, TicketState.CANCELLED.value})


def fallback_budgets(policy: SlaPolicy) -> Budgets:
    """The settings' global budgets (TICKET_SLA_ACCEPT_MINUTES / _RESOLVE_MINUTES): `normal`, and the fallback."""
    return Budgets(policy.accept_minutes, policy.resolve_minutes, PolicySource.default)


def _budgets(row: SlaPolicyRow) -> Budgets:
    source = PolicySource.configured if row.configured_by else PolicySource.default
    return Budgets(row.accept_minutes, row.resolve_minutes, source)


async def budgets_for(session: AsyncSession, service_category: str, priority: Priority, policy: SlaPolicy) -> Budgets:
    """Which budgets a ticket of this category and priority runs on (its row, else the settings')."""
    row = await repository.get_policy(session, service_category, Priority(priority).value)
    configured = {(row.service_category, row.priority): _budgets(row)} if row is not None else {}
    return applicable_budgets(configured, service_category, priority, fallback_budgets(policy))


async def seed_defaults(database: Database, policy: SlaPolicy, now: datetime) -> None:
    """A row for every category and priority, from the settings (rows a district admin set stay as set)."""
    fallback = fallback_budgets(policy)
    defaults = [
        (category, priority.value, default_budgets(fallback, priority))
        for category in sorted(CATEGORY_BY_CODE)
        for priority in Priority
    ]
    try:
        async with database.transaction() as session:
            await repository.seed_defaults(session, defaults, now)
    except Exception:
        # Not migrated yet, say: tickets then run on the settings' budgets (the same figures) until a restart.
        logger.exception("sla policy defaults not seeded; the settings' budgets apply")


# --- reading and setting ------------------------------------------------------------------------------


def _read(row: SlaPolicyRow) -> SlaPolicyRead:
    return SlaPolicyRead(
        service_category=row.service_category,
        priority=Priority(row.priority),
        accept_minutes=row.accept_minutes,
        resolve_minutes=row.resolve_minutes,
        source=PolicySource.configured if row.configured_by else PolicySource.default,
        configured_by=row.configured_by,
        updated_at=row.updated_at,
        version=row.version,
    )


def _default_read(service_category: str, priority: Priority, policy: SlaPolicy) -> SlaPolicyRead:
    budgets = default_budgets(fallback_budgets(policy), priority)
    return SlaPolicyRead(
        service_category=service_category,
        priority=priority,
        accept_minutes=budgets.accept_minutes,
        resolve_minutes=budgets.resolve_minutes,
        source=PolicySource.default,
        configured_by=None,
        updated_at=None,
        version=0,  # no row yet: If-Match "0" (or *) creates it
    )


def _require_reader(principal: Principal) -> None:
    if not reads_sla_policies(principal):
        raise Forbidden("The district's staff read the SLA policies.", code="role_required")


def _require_category(service_category: str) -> None:
    if service_category not in CATEGORY_BY_CODE:
        raise NotFound("No such service category.", code="unknown_category")


async def list_policies(session: AsyncSession, principal: Principal, policy: SlaPolicy) -> list[SlaPolicyRead]:
    """Every category and priority, each as its row or (not seeded yet) the settings' default."""
    _require_reader(principal)
    rows = {(row.service_category, row.priority): row for row in await repository.all_policies(session)}
    return [
        _read(rows[(category, priority.value)])
        if (category, priority.value) in rows
        else _default_read(category, priority, policy)
        for category in sorted(CATEGORY_BY_CODE)
        for priority in Priority
    ]


async def get_policy(
    session: AsyncSession, service_category: str, priority: Priority, principal: Principal, policy: SlaPolicy
) -> SlaPolicyRead:
    _require_reader(principal)
    _require_category(service_category)
    row = await repository.get_policy(session, service_category, priority.value)
    return _read(row) if row is not None else _default_read(service_category, priority, policy)


async def put_policy(
    session: AsyncSession,
    service_category: str,
    priority: Priority,
    data: SlaPolicyUpdate,
    principal: Principal,
    now: datetime,
    precondition: Precondition | None,
) -> SlaPolicyRead:
    """A district admin sets the budgets; tickets raised (or re-prioritised) from now on run on them."""
    _require_reader(principal)
    if not sets_sla_policies(principal):
        raise Forbidden("District administrators set the SLA policies.", code="district_admin_required")
    _require_category(service_category)
    if data.accept_minutes > data.resolve_minutes:
        raise Unprocessable(
            "Accepting cannot take longer than resolving.", field="accept_minutes", code="accept_after_resolve"
        )
    row = await repository.get_policy(session, service_category, priority.value, for_update=True)
    if precondition is not None:
        precondition.require(row.version if row is not None else 0)
    if row is None:
        row = SlaPolicyRow(service_category=service_category, priority=priority.value, version=1)
        session.add(row)
    row.accept_minutes = float(data.accept_minutes)
    row.resolve_minutes = float(data.resolve_minutes)
    row.configured_by = principal.user_id
    row.updated_at = now
    await session.flush()
    return _read(row)


# --- a ticket's priority ------------------------------------------------------------------------------


async def change_priority(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    data: TicketPriorityChange,
    principal: Principal,
    now: datetime,
    policy: SlaPolicy,
) -> Ticket:
    """Sets the priority: the clocks keep the minutes used and run on to the new priority's budgets."""
    from ticket_service.tickets import service as tickets  # the tickets' use cases import this module

    ticket = await tickets.visible_ticket(session, ticket_id, principal, for_update=True)
    station = await stations.get_station(session, ticket.station_id)
    assert station is not None  # a ticket's station exists: foreign key
    if not sets_priority(principal, ticket, station):
        raise Forbidden("The station's staff or the secretary set a ticket's priority.", code="not_allowed")
    if ticket.status in FINISHED:
        raise Conflict(f"The ticket is {ticket.status}.", code=f"ticket_{ticket.status}")
    if ticket.priority == data.priority.value:
        raise Conflict(f"The ticket is already {data.priority.value}.", code="priority_unchanged")
    previous = ticket.priority
    budgets = await budgets_for(session, ticket.service_category, data.priority, policy)
    tickets.record(
        session,
        ticket,
        "priority",
        previous,
        data.priority.value,
        principal.user_id,
        now,
        "priority_changed",
        data.note,
    )
    ticket.priority = data.priority.value
    ticket.sla_accept_minutes = budgets.accept_minutes
    ticket.sla_resolve_minutes = budgets.resolve_minutes
    await tickets.refresh_sla(session, ticket, station, policy, now)
    await outbox.add(
        session,
        TICKET_PRIORITY_CHANGED,
        {
            **tickets.ticket_state(ticket, station),
            "previous_priority": previous,
            "changed_by": principal.user_id,
            "changed_at": now.isoformat(),
        },
        subject=str(ticket.id),
    )
    return ticket
