"""What this domain does with the events it takes (registered with notification_service.events.on)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.events import on
from notification_service.push import service
from shared.events import EventEnvelope


@on("staff.removed", "staff.updated")
async def forget_devices_of_departed_staff(session: AsyncSession, event: EventEnvelope) -> None:
    data = event.data if isinstance(event.data, dict) else {}
    staff_id = data.get("id")
    if not isinstance(staff_id, str) or not staff_id:
        return
    if event.type == "staff.removed" or data.get("active") is False:
        await service.forget_devices_of(session, staff_id)
