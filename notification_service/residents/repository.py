"""Every query of residents' SMS notices."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.residents.models import SmsMessage, SmsOptOut, SmsStaff, SmsStation
from shared.database import affected_rows
from shared.pagination import PageParameters, keyset_page
from shared.upserts import Upsert, upsert_newer


def _insert(session: AsyncSession) -> Any:
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def add_message(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Queues a message unless its event already queued one (a redelivery); True when added."""
    statement = _insert(session)(SmsMessage).values(**values).on_conflict_do_nothing(index_elements=["event_id"])
    result = await session.execute(statement)
    return bool(affected_rows(result))


async def claim_due(session: AsyncSession, now: datetime, limit: int, *, skip_locked: bool) -> list[SmsMessage]:
    """Pending messages whose attempt is due, oldest first, locked; another replica skips them."""
    query = (
        sa.select(SmsMessage)
        .where(SmsMessage.status == "pending", SmsMessage.next_attempt_at <= now)
        .order_by(SmsMessage.next_attempt_at, SmsMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=skip_locked)
    )
    return list(await session.scalars(query))


async def get_message(session: AsyncSession, message_id: uuid.UUID) -> SmsMessage | None:
    return await session.get(SmsMessage, message_id)


async def page_messages(
    session: AsyncSession,
    parameters: PageParameters,
    *,
    ticket_id: uuid.UUID,
    station_ids: list[uuid.UUID] | None,
    community_id: uuid.UUID | None,
) -> tuple[list[SmsMessage], str | None]:
    """A ticket's messages, newest first; `station_ids`/`community_id` None: no scope filter."""
    query = sa.select(SmsMessage).where(SmsMessage.ticket_id == ticket_id)
    scope: list[sa.ColumnElement[bool]] = []
    if station_ids is not None:
        scope.append(SmsMessage.station_id.in_(station_ids))
    if community_id is not None:
        scope.append(SmsMessage.community_id == community_id)
    if station_ids is not None or community_id is not None:
        query = query.where(sa.or_(*scope) if scope else sa.false())
    return await keyset_page(session, query, SmsMessage.id, parameters)


async def is_opted_out(session: AsyncSession, phone_hash: str) -> bool:
    return await session.get(SmsOptOut, phone_hash) is not None


async def add_opt_out(session: AsyncSession, phone_hash: str, keyword: str, at: datetime) -> None:
    statement = (
        _insert(session)(SmsOptOut)
        .values(phone_hash=phone_hash, keyword=keyword, opted_out_at=at)
        .on_conflict_do_nothing(index_elements=["phone_hash"])
    )
    await session.execute(statement)


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> SmsStation | None:
    return await session.get(SmsStation, station_id)


async def stations_by_ids(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, SmsStation]:
    if not ids:
        return {}
    rows = await session.scalars(sa.select(SmsStation).where(SmsStation.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def get_staff(session: AsyncSession, staff_id: str) -> SmsStaff | None:
    return await session.get(SmsStaff, staff_id)


async def upsert_staff_many(session: AsyncSession, upserts: list[Upsert]) -> None:
    """Many rows per statement, in the events' order; an event older than the copy (late delivery)
    changes nothing."""
    await upsert_newer(session, SmsStaff, upserts)
