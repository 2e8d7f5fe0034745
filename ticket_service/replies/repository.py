"""Every query of notes and public replies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.pagination import PageParameters, keyset_page
from ticket_service.replies.models import TicketMessage
from ticket_service.replies.rules import MessageKind
from ticket_service.tickets.models import TicketChange


async def page_messages(
    session: AsyncSession, ticket_id: uuid.UUID, kind: MessageKind, parameters: PageParameters
) -> tuple[list[TicketMessage], str | None]:
    """A ticket's notes or replies, newest first (by the service's clock, then id)."""
    query = sa.select(TicketMessage).where(TicketMessage.ticket_id == ticket_id, TicketMessage.kind == kind.value)
    return await keyset_page(
        session, query, TicketMessage.id, parameters, order=[(TicketMessage.created_at, True)], sort="-created"
    )


async def latest_replies(session: AsyncSession, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, TicketMessage]:
    """Each ticket's latest public reply (one query; Open311 `status_notes`)."""
    if not ticket_ids:
        return {}
    query = (
        sa.select(TicketMessage)
        .where(TicketMessage.ticket_id.in_(ticket_ids), TicketMessage.kind == MessageKind.reply.value)
        .order_by(TicketMessage.ticket_id, TicketMessage.created_at, TicketMessage.id)
    )
    return {message.ticket_id: message for message in await session.scalars(query)}  # the last one wins


async def last_state_changes(session: AsyncSession, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """When each ticket last changed state (its creation included)."""
    if not ticket_ids:
        return {}
    query = (
        sa.select(TicketChange.ticket_id, sa.func.max(TicketChange.at))
        .where(TicketChange.ticket_id.in_(ticket_ids), TicketChange.kind == "state")
        .group_by(TicketChange.ticket_id)
    )
    return {ticket_id: at for ticket_id, at in (await session.execute(query)).all()}


def public_updates(start: datetime, end: datetime) -> sa.Select[Any]:
    """Open311 updates within a window, oldest first: each state change after the request was made, and
    each public reply. Rows: (id, ticket_id, at, kind, state, text) — `kind` state|reply; `text` the
    resolution's result text or the reply (never a note)."""
    changes = sa.select(
        TicketChange.id.label("id"),
        TicketChange.ticket_id.label("ticket_id"),
        TicketChange.at.label("at"),
        sa.literal("state", sa.String(10)).label("kind"),
        TicketChange.to_value.label("state"),
        TicketChange.result_text.label("text"),
    ).where(
        # Its creation is the request itself.
        TicketChange.kind == "state",
        TicketChange.from_value.is_not(None),
        TicketChange.at >= start,
        TicketChange.at <= end,
    )
    replies = sa.select(
        TicketMessage.id.label("id"),
        TicketMessage.ticket_id.label("ticket_id"),
        TicketMessage.created_at.label("at"),
        sa.literal("reply", sa.String(10)).label("kind"),
        TicketMessage.ticket_status.label("state"),
        TicketMessage.text.label("text"),
    ).where(
        TicketMessage.kind == MessageKind.reply.value,
        TicketMessage.created_at >= start,
        TicketMessage.created_at <= end,
    )
    both = sa.union_all(changes, replies).subquery("public_update")
    return sa.select(both).order_by(both.c.at, both.c.id)
