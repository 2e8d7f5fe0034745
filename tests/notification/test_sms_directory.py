"""The notification service alone (its own SQLite database, events fed to its consumer): the copies of
stations and staff the notices are worded with, and the notices queued from events, without a phone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from notification_service.app import create_app, definition
from notification_service.residents.models import SmsMessage, SmsStaff, SmsStation
from notification_service.settings import NotificationSettings
from shared.events import EventEnvelope, InProcessBus
from shared.ids import utcnow
from shared.service import run_migrations

STATION_ID = str(uuid.uuid4())
HOURS = {"time_zone": "Asia/Shanghai", "weekly_periods": [{"weekday": 0, "opens": "09:00", "closes": "17:00"}]}


@pytest.fixture
async def notification(tmp_path: Path) -> AsyncIterator[Any]:
    settings = NotificationSettings(
        mode="embedded", database_url=f"sqlite+aiosqlite:///{tmp_path / 'n.db'}", sms_poll_seconds=3600
    )
    await run_migrations(definition, settings)
    bus = InProcessBus()
    app = create_app(settings, bus=bus)
    await bus.start()
    try:
        async with app.router.lifespan_context(app):
            yield app
    finally:
        await bus.stop()


async def _publish(app: Any, event_type: str, data: dict, time: Any = None) -> EventEnvelope:
    envelope = EventEnvelope(type=event_type, source="/tests", data=data, time=time or utcnow())
    await app.state.runtime.bus.publish(envelope)
    return envelope


async def _rows(app: Any, model: type) -> list[Any]:
    async with app.state.runtime.database.sessionmaker() as session:
        return list(await session.scalars(sa.select(model)))


async def test_copies_follow_the_catalogue_and_ignore_late_events(notification: Any) -> None:
    now = utcnow()
    station = {"id": STATION_ID, "community_name": "潍坊一村", "name": "潍坊一村服务站", "opening_hours": HOURS}
    await _publish(notification, "station.created", station, now)
    await _publish(notification, "station.updated", {"id": STATION_ID, "name": "旧名字"}, now - timedelta(hours=1))
    await _publish(notification, "staff.created", {"id": "staff-1", "name": "陆伟"}, now)
    await _publish(notification, "staff.updated", {"id": "staff-1", "name": "旧名"}, now - timedelta(hours=1))
    await _publish(notification, "staff.removed", {"id": "staff-1"}, now + timedelta(minutes=1))
    [station] = await _rows(notification, SmsStation)
    assert station.name == "潍坊一村服务站" and station.opening_hours["weekly_periods"][0]["opens"] == "09:00"
    [staff] = await _rows(notification, SmsStaff)
    assert (staff.name, staff.active) == ("陆伟", False)


async def test_a_notice_is_queued_once_per_event_and_holds_no_phone(notification: Any) -> None:
    await _publish(
        notification, "station.created", {"id": STATION_ID, "community_name": "潍坊一村", "name": "潍坊一村服务站"}
    )
    await _publish(notification, "staff.created", {"id": "staff-1", "name": "陆伟"})
    ticket_id = str(uuid.uuid4())
    accepted = await _publish(
        notification,
        "ticket.accepted",
        {"ticket_id": ticket_id, "station_id": STATION_ID, "community_name": "潍坊一村", "owner_id": "staff-1",
         "accepted_by": "staff-1", "resident_id": None, "status": "accepted"},
    )  # fmt: skip
    await notification.state.runtime.bus.publish(accepted)  # delivered twice
    await _publish(notification, "evaluation.rating_code_issued", {"ticket_id": ticket_id, "station_id": STATION_ID,
                   "invitation_id": str(uuid.uuid4()), "code": "123456",
                   "expires_at": (utcnow() + timedelta(minutes=30)).isoformat()})  # fmt: skip
    messages = sorted(await _rows(notification, SmsMessage), key=lambda message: message.kind)
    assert [message.kind for message in messages] == ["rating_code", "ticket_accepted"]
    code, notice = messages
    assert notice.params == {"station_name": "潍坊一村服务站", "staff_name": "陆伟"}
    assert code.params["code"] == "123456" and code.params["valid_minutes"] == 30
    assert all(message.status == "pending" and message.phone_masked is None for message in messages)
    # A malformed event is refused for good, never retried forever.
    await _publish(notification, "ticket.resolved", {"ticket_id": "not-a-ticket"})
    assert len(notification.state.runtime.bus.dead_letters("notification")) == 1
