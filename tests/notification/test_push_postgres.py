"""Push on real PostgreSQL: the migration, quiet hours stored as times, a redelivered feed item queued once,
and two replicas sharing the due pushes (SKIP LOCKED) so each goes out once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from notification_service.app import definition
from notification_service.push import preferences, service
from notification_service.push.models import NotificationPreference, PushDevice, PushMessage
from notification_service.push.provider import VendorHttpProvider
from notification_service.push.schemas import NotificationPreferences, QuietHoursWindow
from notification_service.settings import NotificationSettings
from shared.database import Database
from shared.ids import new_id
from shared.service import run_migrations
from tests.notification.push_receiver import VendorReceiver

DEVICES = 30
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
async def pg_vendor_receiver() -> AsyncIterator[VendorReceiver]:
    receiver = VendorReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


async def test_two_replicas_share_the_due_pushes_and_send_each_once(fresh_databases, pg_vendor_receiver) -> None:
    url = await fresh_databases("notification_push")
    settings = NotificationSettings(
        database_url=url,
        push_batch_size=4,
        push_vendor_urls={"huawei": pg_vendor_receiver.url},
        push_vendor_tokens={"huawei": pg_vendor_receiver.token},
    )
    await run_migrations(definition, settings)
    database = Database(settings.async_database_url)
    try:
        async with database.transaction() as session:
            for number in range(DEVICES):
                session.add(
                    PushDevice(
                        person_id="pg-worker",
                        platform="huawei",
                        address=f"pg-token-{number:04d}",
                        address_hash=f"{number:064d}",
                        label="",
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
            await preferences.replace(
                session,
                "pg-worker",
                NotificationPreferences(quiet_hours=QuietHoursWindow(start="22:00", end="07:00")),
                None,
                NOW,
            )
        item = new_id()
        for _ in range(2):  # the feed's event redelivered: the same item queues nothing more
            async with database.transaction() as session:
                await service.enqueue(
                    session,
                    person_id="pg-worker",
                    feed_item_id=item,
                    title="工单待受理",
                    body="",
                    url=None,
                    urgent=False,
                    now=NOW,
                )
        async with database.sessionmaker() as session:
            assert await session.scalar(sa.select(sa.func.count()).select_from(PushMessage)) == DEVICES
            stored = await session.get(NotificationPreference, "pg-worker")
            assert stored is not None
            assert str(stored.quiet_hours_start) == "22:00:00"

        replicas = [
            service.Pusher(database, lambda: settings, VendorHttpProvider(settings), lambda: NOW) for _ in range(2)
        ]
        shares = await asyncio.gather(*(replica.run_once() for replica in replicas))
        for replica in replicas:
            await replica.provider.aclose()
        assert sum(shares) == DEVICES
        tokens = Counter(body["token"] for _, body in pg_vendor_receiver.received)
        assert len(tokens) == DEVICES and set(tokens.values()) == {1}
        async with database.sessionmaker() as session:
            statuses = set((await session.scalars(sa.select(PushMessage.status))).all())
        assert statuses == {"sent"}
    finally:
        await database.dispose()
