"""Events that update tickets: the on-site office's outcome from the deliberation service."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import EventEnvelope
from ticket_service.events import consumer
from ticket_service.tickets import service


@consumer.on("onsite_office.resolved")
async def onsite_office_resolved(session: AsyncSession, event: EventEnvelope) -> None:
    await service.onsite_office_resolved(session, event.data, event.time)
