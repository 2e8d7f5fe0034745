"""Opens an on-site office case when a ticket asks for one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service.events import consumer
from deliberation_service.onsite_office import service
from shared.events import EventEnvelope, PermanentFailure


@consumer.on("onsite_office.requested")
async def onsite_office_requested(session: AsyncSession, event: EventEnvelope) -> None:
    try:
        await service.open_case_from_ticket(session, event.data, now=event.time)
    except (KeyError, ValueError, TypeError) as error:
        raise PermanentFailure(f"onsite_office.requested without usable ids: {error!r}") from error
