"""Every query of attachments."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.pagination import PageParameters, keyset_page
from ticket_service.attachments.models import Attachment


async def page_attachments(
    session: AsyncSession, ticket_id: uuid.UUID, parameters: PageParameters
) -> tuple[list[Attachment], str | None]:
    """A ticket's attachments, newest first (ids are time-ordered), removed ones included."""
    query = sa.select(Attachment).where(Attachment.ticket_id == ticket_id)
    return await keyset_page(session, query, Attachment.id, parameters)


async def get_attachment(session: AsyncSession, attachment_id: uuid.UUID) -> Attachment | None:
    return await session.get(Attachment, attachment_id)


async def by_public_token(session: AsyncSession, token: str) -> Attachment | None:
    return await session.scalar(sa.select(Attachment).where(Attachment.public_token == token))


async def held_for(session: AsyncSession, ticket_ids: list[uuid.UUID]) -> list[Attachment]:
    """The attachments of these tickets whose files are still stored."""
    if not ticket_ids:
        return []
    query = sa.select(Attachment).where(Attachment.ticket_id.in_(ticket_ids), Attachment.removed_at.is_(None))
    return list(await session.scalars(query.order_by(Attachment.id)))


async def public_copies(
    session: AsyncSession, ticket_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[datetime, str]]]:
    """Each ticket's public-safe copies still held, oldest first: (uploaded_at, public_token)."""
    if not ticket_ids:
        return {}
    query = (
        sa.select(Attachment.ticket_id, Attachment.uploaded_at, Attachment.public_token)
        .where(
            Attachment.ticket_id.in_(ticket_ids),
            Attachment.public_token.is_not(None),
            Attachment.removed_at.is_(None),
        )
        .order_by(Attachment.ticket_id, Attachment.id)
    )
    found: dict[uuid.UUID, list[tuple[datetime, str]]] = {}
    for ticket_id, uploaded_at, token in (await session.execute(query)).all():
        if token is not None:  # always: the query keeps only published ones
            found.setdefault(ticket_id, []).append((uploaded_at, token))
    return found
