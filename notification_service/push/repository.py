"""Every query of push: devices, push rows, preferences."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.push.models import NotificationPreference, PushDevice, PushMessage, PushStatus
from shared.database import affected_rows
from shared.pagination import PageParameters, keyset_page


def _insert(session: AsyncSession) -> Any:
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# --- devices ---------------------------------------------------------------------------------------------


async def device_by_hash(session: AsyncSession, address_hash: str, *, lock: bool = False) -> PushDevice | None:
    query = sa.select(PushDevice).where(PushDevice.address_hash == address_hash)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def add_device(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Inserts unless the address is registered already (a concurrent registration); True when added."""
    statement = _insert(session)(PushDevice).values(**values).on_conflict_do_nothing(index_elements=["address_hash"])
    result = await session.execute(statement)
    return bool(affected_rows(result))


async def own_device(session: AsyncSession, person_id: str, device_id: uuid.UUID) -> PushDevice | None:
    return await session.scalar(
        sa.select(PushDevice).where(PushDevice.id == device_id, PushDevice.person_id == person_id)
    )


async def page_devices(
    session: AsyncSession, person_id: str, parameters: PageParameters
) -> tuple[list[PushDevice], str | None]:
    query = sa.select(PushDevice).where(PushDevice.person_id == person_id)
    return await keyset_page(session, query, PushDevice.id, parameters)


async def devices_of(session: AsyncSession, person_id: str) -> list[PushDevice]:
    return list(await session.scalars(sa.select(PushDevice).where(PushDevice.person_id == person_id)))


async def delete_device(session: AsyncSession, device_id: uuid.UUID) -> None:
    """The device and every push still queued for it."""
    await session.execute(sa.delete(PushMessage).where(PushMessage.device_id == device_id))
    await session.execute(sa.delete(PushDevice).where(PushDevice.id == device_id))


async def get_device(session: AsyncSession, device_id: uuid.UUID) -> PushDevice | None:
    return await session.get(PushDevice, device_id)


async def drop_pending_of(session: AsyncSession, device_id: uuid.UUID) -> None:
    """A device that changed hands takes none of its previous owner's queued pushes with it."""
    await session.execute(
        sa.delete(PushMessage).where(PushMessage.device_id == device_id, PushMessage.status == PushStatus.pending.value)
    )


# --- pushes ----------------------------------------------------------------------------------------------


async def add_messages(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Queues pushes; a (device, feed item) queued before (a redelivered event) is not queued twice."""
    if not rows:
        return 0
    statement = (
        _insert(session)(PushMessage).values(rows).on_conflict_do_nothing(index_elements=["device_id", "feed_item_id"])
    )
    result = await session.execute(statement)
    return affected_rows(result)


async def claim_due(session: AsyncSession, now: datetime, limit: int, *, skip_locked: bool) -> list[PushMessage]:
    """Pending pushes whose time has come, oldest first, locked; another replica skips them."""
    query = (
        sa.select(PushMessage)
        .where(PushMessage.status == PushStatus.pending.value, PushMessage.next_attempt_at <= now)
        .order_by(PushMessage.next_attempt_at, PushMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=skip_locked)
    )
    return list(await session.scalars(query))


async def get_message(session: AsyncSession, message_id: uuid.UUID) -> PushMessage | None:
    return await session.get(PushMessage, message_id)


async def messages_of_person(session: AsyncSession, person_id: str) -> list[PushMessage]:
    query = sa.select(PushMessage).where(PushMessage.person_id == person_id).order_by(PushMessage.id)
    return list(await session.scalars(query))


# --- preferences -----------------------------------------------------------------------------------------


async def get_preference(session: AsyncSession, person_id: str, *, lock: bool = False) -> NotificationPreference | None:
    query = sa.select(NotificationPreference).where(NotificationPreference.person_id == person_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)
