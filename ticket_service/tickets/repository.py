from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVarTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import class_mapper, make_transient_to_detached
from sqlalchemy.sql import operators
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from shared.database import UTCDateTime, table_of
from shared.pagination import Order, PageParameters, decode_cursor, encode_cursor, keyset_page
from shared.sync import Changes, ChangesToken, changes_page, touch
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


def _row_values(row: Ticket | TicketChange) -> dict[str, Any]:
    """Every column's value of a new (transient) row: as set, else the column's Python default, which is
    then set on the row too, so that it is fully loaded when it joins the session."""
    values: dict[str, Any] = {}
    for attribute in class_mapper(type(row)).column_attrs:
        column = attribute.columns[0]
        if attribute.key in row.__dict__:
            value = row.__dict__[attribute.key]
        else:
            default = getattr(column, "default", None)
            if default is None:
                value = None
            elif default.is_scalar:
                value = default.arg
            else:
                value = default.arg(None)  # a callable default (new_id, utcnow, list), wrapped to take a context
            setattr(row, attribute.key, value)
        values[column.key] = value
    return values


_INSERT_TICKET = sa.insert(table_of(Ticket))
# Many rows with RETURNING: sent as one multi-row INSERT ("insertmanyvalues"), compiled once and cached (an
# `insert().values([...])` is compiled anew at every execution: SQLAlchemy does not cache multi-VALUES).
_INSERT_CHANGES = sa.insert(table_of(TicketChange)).returning(table_of(TicketChange).c.id)


async def insert_ticket(session: AsyncSession, ticket: Ticket, changes: Sequence[TicketChange]) -> None:
    """A new ticket and its first history rows, with two Core inserts (the history in one multi-row insert)
    and no unit of work. The ticket then joins the session as a loaded, unchanged row (version 1): later
    changes in this transaction are ordinary versioned ORM updates. The history rows stay outside the
    session (the history is read from the table). The offline sync stamps the ticket at commit (touch)."""
    ticket_row = _row_values(ticket)
    change_rows = [_row_values(change) for change in changes]
    connection = await session.connection()
    await connection.execute(_INSERT_TICKET, ticket_row)
    if change_rows:
        await connection.execute(_INSERT_CHANGES, change_rows)
    make_transient_to_detached(ticket)
    session.add(ticket)
    touch(session, Ticket, [ticket.id])


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


# What a list item shows (TicketRead, masked): a list reads these columns and no others (no ORM entities).
LIST_COLUMNS = tuple(
    Ticket.__table__.c[name]
    for name in (
        "id", "station_id", "community_id", "subdistrict_id", "channel", "service_category", "service_item",
        "description", "resident_id", "resident_name", "resident_phone", "location_address", "latitude",
        "longitude", "media_urls", "status", "owner_id", "owner_kind", "responsibility_level", "received_by",
        "completed_by", "handled_by", "created_at", "updated_at", "accepted_at", "resolved_at", "closed_at",
        "waits_until", "acceptance_due_at", "resolution_due_at", "acceptance_working_minutes",
        "resolution_working_minutes", "sla_breached_at", "priority", "external_due_at", "due_at", "due_at_source",
        "sla_accept_minutes", "sla_resolve_minutes", "onsite_office_status", "onsite_outcome", "result_text",
        "personal_data_removed_at", "transferred_from_station_id", "duplicate_of_id", "duplicate_ids",
        "backstop_requested_at", "backstop_requested_by",
    )
)  # fmt: skip


def _scope_branches(scope: sa.ColumnElement[bool] | None) -> list[sa.ColumnElement[bool] | None]:
    """A scope's alternatives (`a OR b OR c`: a department's own, its subdistrict's, its person's), each
    walked on its own index; a single condition (or none: district admins) is one branch."""
    if isinstance(scope, sa.BooleanClauseList) and scope.operator is operators.or_:
        return list(scope.clauses)
    return [scope]


async def page_ticket_rows(
    session: AsyncSession,
    parameters: PageParameters,
    scope: sa.ColumnElement[bool] | None,
    filters: TicketFilters,
    now: datetime,
    sort: str = "-created",
) -> tuple[list[sa.Row[Any]], str | None]:
    """One page of a ticket list as plain rows of LIST_COLUMNS, keyset-paged in `sort` (the cursor is
    `keyset_page`'s: the sort's values and the id).

    Two steps, so that each is an index walk that stops after the page: the page's keys (sort values and
    id) per branch of the caller's scope, each branch ordered and limited on its own (`ORDER BY id DESC
    LIMIT 51` on the scope's `(scope, id)` index, an index-only scan; the subdistrict's overdue tickets on
    the partial index of open tickets), merged and cut to the page; then the page's 51 rows by primary key.
    A scope's OR in one query would read every matching row of every branch and sort them."""
    order = list(_sort_orders()[sort])
    descending = order[0][1]
    expressions = [expression for expression, _ in order]
    if expressions[-1] is not Ticket.id:
        expressions.append(Ticket.id)  # the id breaks ties, in the primary direction
    after: sa.ColumnElement[bool] | None = None
    if parameters.cursor is not None:
        kinds: list[type] = [uuid.UUID if expression is Ticket.id else datetime for expression in expressions]
        values = decode_cursor(parameters.cursor, sort, kinds)
        mine = sa.tuple_(*expressions)
        theirs = sa.tuple_(
            *(sa.literal(value, expression.type) for expression, value in zip(expressions, values, strict=True))
        )
        after = mine < theirs if descending else mine > theirs
    labels = [f"sort_key_{index}" for index in range(len(expressions))]

    def ordered(columns: Sequence[Any]) -> list[Any]:
        return [column.desc() if descending else column.asc() for column in columns]

    parts = []
    for branch in _scope_branches(scope):
        part = sa.select(*(expression.label(label) for expression, label in zip(expressions, labels, strict=True)))
        if branch is not None:
            part = part.where(branch)
        if after is not None:
            part = part.where(after)
        part = filtered(part, filters, now).order_by(*ordered(expressions)).limit(parameters.limit + 1)
        parts.append(part)
    if len(parts) == 1:
        keys = parts[0].subquery("page_keys")
    else:
        # Each branch's page wrapped (SQLite takes no parenthesised LIMIT in a UNION); UNION drops a ticket
        # two branches found.
        merged = sa.union(*(sa.select(part.subquery(f"branch_{index}")) for index, part in enumerate(parts)))
        union = merged.subquery("branches")
        key_columns = [union.c[label] for label in labels]
        keys = sa.select(*key_columns).order_by(*ordered(key_columns)).limit(parameters.limit + 1).subquery("page_keys")
    sort_keys = [keys.c[label] for label in labels]
    query = (
        sa.select(*LIST_COLUMNS, *sort_keys)
        .join_from(Ticket.__table__, keys, Ticket.__table__.c.id == sort_keys[-1])
        .order_by(*ordered(sort_keys))
    )
    rows = list((await session.execute(query)).all())
    next_cursor = None
    if len(rows) > parameters.limit:
        rows = rows[: parameters.limit]
        next_cursor = encode_cursor(sort, [rows[-1]._mapping[label] for label in labels])
    return rows, next_cursor


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
