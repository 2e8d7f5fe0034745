from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVarTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from shared.database import UTCDateTime
from shared.pagination import Order, PageParameters, keyset_page
from shared.sync import Changes, ChangesToken, changes_page
from ticket_service.stations.models import StationCopy
from ticket_service.tickets.lifecycle import OPEN_STATES
from ticket_service.tickets.models import Ticket, TicketChange, VideoLinkSession

OPEN = sorted(state.value for state in OPEN_STATES)


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> StationCopy | None:
    return await session.get(StationCopy, station_id)


async def get_ticket(session: AsyncSession, ticket_id: uuid.UUID, *, for_update: bool = False) -> Ticket | None:
    if for_update:
        # populate_existing: a row read earlier in this session is re-read under the lock.
        return await session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    return await session.get(Ticket, ticket_id)


async def changes(session: AsyncSession, ticket_id: uuid.UUID) -> list[TicketChange]:
    query = sa.select(TicketChange).where(TicketChange.ticket_id == ticket_id).order_by(TicketChange.seq)
    return list(await session.scalars(query))


async def video_links(session: AsyncSession, ticket_id: uuid.UUID) -> list[VideoLinkSession]:
    query = sa.select(VideoLinkSession).where(VideoLinkSession.ticket_id == ticket_id)
    return list(await session.scalars(query.order_by(VideoLinkSession.started_at)))


async def open_ticket_counts(session: AsyncSession, owner_ids: Sequence[str]) -> dict[str, int]:
    if not owner_ids:
        return {}
    query = (
        sa.select(Ticket.owner_id, sa.func.count())
        .where(Ticket.owner_id.in_(list(owner_ids)), Ticket.status.in_(OPEN))
        .group_by(Ticket.owner_id)
    )
    return {owner: count for owner, count in (await session.execute(query)).all() if owner is not None}


async def last_assigned(session: AsyncSession, owner_ids: Sequence[str]) -> dict[str, datetime]:
    if not owner_ids:
        return {}
    query = (
        sa.select(TicketChange.to_value, sa.func.max(TicketChange.at))
        .where(TicketChange.kind == "owner", TicketChange.to_value.in_(list(owner_ids)))
        .group_by(TicketChange.to_value)
    )
    return {owner: at for owner, at in (await session.execute(query)).all() if owner is not None}


@dataclass
class TicketFilters:
    station_id: uuid.UUID | None = None
    statuses: list[str] | None = None
    owner_id: str | None = None
    level: str | None = None
    category: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    overdue: bool | None = None
    # Text search over descriptions (`q`), priorities, and the next due time's window.
    text: str | None = None
    priorities: list[str] | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None


def like_pattern(text: str) -> str:
    """`%text%` with the user's own `%`, `_` and `\\` taken literally (ESCAPE '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class _ShortGramsContain(sa.sql.expression.ColumnElement[bool]):
    """PostgreSQL: the description's characters and pairs (GIN index `ix_ticket_description_grams`) hold a
    one- or two-character query, which pg_trgm's index cannot serve; elsewhere simply true (LIKE decides)."""

    # The gram is a bound parameter of the statement (its value never part of the cached SQL).
    _traverse_internals = [("gram", InternalTraversal.dp_clauseelement)]
    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, text: str) -> None:
        self.gram = sa.literal(text.lower(), sa.Text())


@compiles(_ShortGramsContain)
def _grams_anywhere(element: _ShortGramsContain, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.gram, **kw)} IS NOT NULL)"


@compiles(_ShortGramsContain, "postgresql")
def _grams_postgresql(element: _ShortGramsContain, compiler: SQLCompiler, **kw: Any) -> str:
    description = compiler.process(Ticket.__table__.c.description, **kw)
    gram = compiler.process(element.gram, **kw)
    return f"ticket_search_grams({description}) @> ARRAY[CAST({gram} AS TEXT)]"


def text_search(text: str) -> sa.ColumnElement[bool]:
    """Descriptions containing `text`, case-insensitively: `ILIKE '%text%'` (pg_trgm's GIN index from three
    characters on; the character-pair index below that), `lower(...) LIKE` on SQLite."""
    condition = Ticket.description.ilike(like_pattern(text), escape="\\")
    if len(text) <= 2:
        return sa.and_(_ShortGramsContain(text), condition)
    return condition


Columns = TypeVarTuple("Columns")


def filtered(query: sa.Select[*Columns], filters: TicketFilters, now: datetime) -> sa.Select[*Columns]:
    if filters.station_id is not None:
        query = query.where(Ticket.station_id == filters.station_id)
    if filters.statuses:
        query = query.where(Ticket.status.in_(filters.statuses))
    if filters.owner_id is not None:
        query = query.where(Ticket.owner_id == filters.owner_id)
    if filters.level is not None:
        query = query.where(Ticket.responsibility_level == filters.level)
    if filters.category is not None:
        query = query.where(Ticket.service_category == filters.category)
    if filters.created_from is not None:
        query = query.where(Ticket.created_at >= filters.created_from)
    if filters.created_to is not None:
        query = query.where(Ticket.created_at < filters.created_to)
    if filters.overdue is not None:
        late = _late(now)
        query = query.where(late if filters.overdue else sa.not_(late))
    if filters.text:
        query = query.where(text_search(filters.text))
    if filters.priorities:
        query = query.where(Ticket.priority.in_(filters.priorities))
    if filters.due_before is not None:
        query = query.where(Ticket.due_at < filters.due_before)
    if filters.due_after is not None:
        query = query.where(Ticket.due_at >= filters.due_after)
    return query


# Tickets without a running due time (accepted in time and paused, or finished) sort after every due one.
_NO_DUE_TIME = datetime(2999, 12, 31, tzinfo=UTC)


def _sort_orders() -> dict[str, Order]:
    due = sa.func.coalesce(Ticket.due_at, sa.literal(_NO_DUE_TIME, UTCDateTime()))
    return {
        # UUIDv7 ids are creation order, and every scope has an index on (scope, id).
        "created": [(Ticket.id, False)],
        "-created": [(Ticket.id, True)],
        "updated": [(Ticket.updated_at, False)],
        "-updated": [(Ticket.updated_at, True)],
        "due": [(due, False)],
        "-due": [(due, True)],
    }


SORTS = tuple(_sort_orders())


async def page_tickets(
    session: AsyncSession,
    parameters: PageParameters,
    scope: sa.ColumnElement[bool] | None,
    filters: TicketFilters,
    now: datetime,
    sort: str = "-created",
) -> tuple[list[Ticket], str | None]:
    query = sa.select(Ticket)
    if scope is not None:
        query = query.where(scope)
    order = _sort_orders()[sort]
    return await keyset_page(session, filtered(query, filters, now), Ticket.id, parameters, order=order, sort=sort)


async def ticket_changes(
    session: AsyncSession,
    token: ChangesToken,
    scope: sa.ColumnElement[bool] | None,
    filters: TicketFilters,
    now: datetime,
    caller_keys: list[str] | None,
) -> Changes:
    """Offline sync: the caller's tickets changed since `token`, and what left their view."""
    everything = sa.select(Ticket)
    in_scope = everything.where(scope) if scope is not None else everything
    return await changes_page(
        session, Ticket, filtered(in_scope, filters, now), token, scope=in_scope, caller_keys=caller_keys
    )


def _late(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(Ticket.status.in_(OPEN), sa.or_(Ticket.due_at <= now, Ticket.sla_breached_at.is_not(None)))


async def ticket_counts(
    session: AsyncSession,
    scope: sa.ColumnElement[bool] | None,
    filters: TicketFilters,
    now: datetime,
    awaiting: sa.ColumnElement[bool],
) -> tuple[dict[str, int], int, int, int]:
    """By status, overdue, awaiting the caller, and the total: one query."""
    query = sa.select(Ticket.status, sa.func.count(), sa.func.sum(sa.case((_late(now), 1), else_=0)))
    query = query.add_columns(sa.func.sum(sa.case((awaiting, 1), else_=0)))
    if scope is not None:
        query = query.where(scope)
    rows = (await session.execute(filtered(query, filters, now).group_by(Ticket.status))).all()
    by_status = {status: count for status, count, _, _ in rows}
    overdue = sum(int(late or 0) for _, _, late, _ in rows)
    mine = sum(int(waiting or 0) for _, _, _, waiting in rows)
    return by_status, overdue, mine, sum(by_status.values())


@dataclass(frozen=True)
class GroupCounts:
    group_id: uuid.UUID | None
    open: int
    overdue: int
    breached: int
    total: int


GROUP_COLUMNS = {"station": Ticket.station_id, "subdistrict": Ticket.subdistrict_id}


async def grouped_counts(
    session: AsyncSession,
    scope: sa.ColumnElement[bool] | None,
    filters: TicketFilters,
    now: datetime,
    group_by: str,
) -> list[GroupCounts]:
    """Per station or subdistrict: open, overdue (open and past due or breached), breached (an SLA breach
    reported, whatever the state now) and all matching tickets; one query, groups in id order."""
    column = GROUP_COLUMNS[group_by]
    query = sa.select(
        column,
        sa.func.sum(sa.case((Ticket.status.in_(OPEN), 1), else_=0)),
        sa.func.sum(sa.case((_late(now), 1), else_=0)),
        sa.func.sum(sa.case((Ticket.sla_breached_at.is_not(None), 1), else_=0)),
        sa.func.count(),
    )
    if scope is not None:
        query = query.where(scope)
    rows = (await session.execute(filtered(query, filters, now).group_by(column).order_by(column))).all()
    return [
        GroupCounts(group_id, int(open_ or 0), int(late or 0), int(breached or 0), int(total or 0))
        for group_id, open_, late, breached, total in rows
    ]


@dataclass(frozen=True)
class OpenFigures:
    subdistrict_id: uuid.UUID | None
    status: str
    open: int
    overdue: int
    breached: int


async def open_figures(session: AsyncSession, now: datetime) -> list[OpenFigures]:
    """Open tickets per subdistrict and state: how many, how many overdue (past due or breached, as
    `overdue=true`) and how many with an SLA breach reported (escalated); one grouped query."""
    query = (
        sa.select(
            Ticket.subdistrict_id,
            Ticket.status,
            sa.func.count(),
            sa.func.sum(sa.case((_late(now), 1), else_=0)),
            sa.func.sum(sa.case((Ticket.sla_breached_at.is_not(None), 1), else_=0)),
        )
        .where(Ticket.status.in_(OPEN))
        .group_by(Ticket.subdistrict_id, Ticket.status)
    )
    return [
        OpenFigures(subdistrict_id, status, int(count), int(late or 0), int(breached or 0))
        for subdistrict_id, status, count, late, breached in (await session.execute(query)).all()
    ]


async def due_for_sla_check(session: AsyncSession, now: datetime, limit: int, *, skip_locked: bool) -> list[Ticket]:
    query = (
        sa.select(Ticket)
        .where(Ticket.sla_check_at <= now, Ticket.status.in_(OPEN))
        .order_by(Ticket.sla_check_at)
        .limit(limit)
        .with_for_update(skip_locked=skip_locked)
    )
    return list(await session.scalars(query))
