from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.invitations.models import Invitation
from shared.pagination import PageParameters, keyset_page


async def page_invitations(
    session: AsyncSession,
    parameters: PageParameters,
    *,
    ticket_id: uuid.UUID | None = None,
    station_id: uuid.UUID | None = None,
    resident_id: str | None = None,
) -> tuple[list[Invitation], str | None]:
    query = sa.select(Invitation)
    if ticket_id is not None:
        query = query.where(Invitation.ticket_id == ticket_id)
    if station_id is not None:
        query = query.where(Invitation.station_id == station_id)
    if resident_id is not None:
        query = query.where(Invitation.resident_id == resident_id)
    return await keyset_page(session, query, Invitation.id, parameters)
