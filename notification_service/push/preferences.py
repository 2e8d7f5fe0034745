"""A person's notification preferences: quiet hours (workers), SMS notices on or off (residents)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.push import repository
from notification_service.push.models import NotificationPreference
from notification_service.push.quiet_hours import QuietHours
from notification_service.push.schemas import NotificationPreferences, NotificationPreferencesRead, QuietHoursWindow
from shared.conditional import Precondition


async def sms_allowed(session: AsyncSession, resident_id: str) -> bool:
    """False when the resident with this account turned SMS notices off."""
    preference = await repository.get_preference(session, resident_id)
    return preference is None or preference.sms_notices


def quiet_hours_of(preference: NotificationPreference | None) -> QuietHours | None:
    if preference is None or preference.quiet_hours_start is None or preference.quiet_hours_end is None:
        return None
    return QuietHours(preference.quiet_hours_start, preference.quiet_hours_end)


def read(preference: NotificationPreference | None) -> NotificationPreferencesRead:
    if preference is None:
        return NotificationPreferencesRead()
    quiet = quiet_hours_of(preference)
    return NotificationPreferencesRead(
        quiet_hours=QuietHoursWindow(start=quiet.start, end=quiet.end) if quiet else None,
        urgent_during_quiet_hours=preference.urgent_during_quiet_hours,
        sms_notices=preference.sms_notices,
        updated_at=preference.updated_at,
    )


async def replace(
    session: AsyncSession,
    person_id: str,
    data: NotificationPreferences,
    precondition: Precondition | None,
    now: datetime,
) -> NotificationPreference:
    """Stores the person's whole set of choices (PUT); If-Match compares the version read (0: defaults)."""
    quiet: QuietHours | None = None
    if data.quiet_hours is not None:
        # Seconds are dropped: quiet hours are set in minutes. A time with an offset is refused (422).
        quiet = QuietHours(
            data.quiet_hours.start.replace(second=0, microsecond=0),
            data.quiet_hours.end.replace(second=0, microsecond=0),
        )
    preference = await repository.get_preference(session, person_id, lock=True)
    if precondition is not None:
        precondition.require(preference.version if preference is not None else 0)
    if preference is None:
        preference = NotificationPreference(person_id=person_id)
        session.add(preference)
    preference.quiet_hours_start = quiet.start if quiet else None
    preference.quiet_hours_end = quiet.end if quiet else None
    preference.urgent_during_quiet_hours = data.urgent_during_quiet_hours
    preference.sms_notices = data.sms_notices
    preference.updated_at = now
    await session.flush()
    return preference
