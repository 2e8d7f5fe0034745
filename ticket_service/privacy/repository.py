from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.pagination import PageParameters, keyset_page
from ticket_service.privacy.models import ContactRead


async def page_contact_reads(
    session: AsyncSession,
    parameters: PageParameters,
    *,
    reader_id: str | None = None,
    ticket_id: uuid.UUID | None = None,
    resident_id: str | None = None,
    station_id: uuid.UUID | None = None,
    read_from: datetime | None = None,
    read_to: datetime | None = None,
) -> tuple[list[ContactRead], str | None]:
    query = sa.select(ContactRead)
    if reader_id is not None:
        query = query.where(ContactRead.reader_id == reader_id)
    if ticket_id is not None:
        query = query.where(ContactRead.ticket_id == ticket_id)
    if resident_id is not None:
        query = query.where(ContactRead.resident_id == resident_id)
    if station_id is not None:
        query = query.where(ContactRead.station_id == station_id)
    if read_from is not None:
        query = query.where(ContactRead.read_at >= read_from)
    if read_to is not None:
        query = query.where(ContactRead.read_at < read_to)
    return await keyset_page(session, query, ContactRead.id, parameters)
