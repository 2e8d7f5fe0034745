"""What this domain does with the events it takes (registered with notification_service.events.on).

Every event: those a subscription wants become delivery rows in the event's inbox transaction, so an
event is either recorded for every subscriber or redelivered to the service (outbox-style).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.events import on
from notification_service.webhooks import service
from shared.events import EventEnvelope
from shared.ids import utcnow

# The app's clock (app.state.clock in tests), installed by workers(app): handlers get no request.
clock: Callable[[], datetime] = utcnow


@on("#")
async def deliver_to_subscribers(session: AsyncSession, event: EventEnvelope) -> None:
    await service.record_event(session, event, clock())
