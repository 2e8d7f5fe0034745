"""What the feed does with the events it takes (registered with notification_service.events.on)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.events import on, on_many
from notification_service.feed import service
from notification_service.feed.drafts import DRAFTERS
from shared.events import EventEnvelope
from shared.ids import utcnow


@on(*DRAFTERS)
async def add_feed_items(session: AsyncSession, event: EventEnvelope) -> None:
    await service.add_from_event(session, event, utcnow())


@on_many("staff.created", "staff.updated", "staff.removed")
async def keep_feed_staff(session: AsyncSession, events: list[EventEnvelope]) -> None:
    await service.keep_staff(session, events)
