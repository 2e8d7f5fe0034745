"""A webhook replay asked for while its delivery is being sent, on real PostgreSQL: the sender records its
outcome only while the row still holds its lease, so the replay keeps its turn even when it commits in the
very instant the sender writes (the replay holds the row; the sender's write waits for it, then finds the
lease gone)."""

from __future__ import annotations

import asyncio

import httpx
import sqlalchemy as sa

from notification_service.app import definition
from notification_service.settings import NotificationSettings
from notification_service.webhooks import service
from notification_service.webhooks.delivery import Deliverer
from notification_service.webhooks.models import WebhookDelivery, WebhookSubscription
from notification_service.webhooks.signing import new_secret
from shared.auth import Principal
from shared.database import Database
from shared.events import EventEnvelope
from shared.ids import utcnow
from shared.service import run_migrations
from tests.conftest import DEMO_SUBDISTRICT_ID, eventually
from tests.notification.conftest import QUICK_WEBHOOK_RETRIES

ADMIN = Principal(user_id="lease-test-admin", roles=frozenset({"district_admin"}))


async def test_a_replay_committed_while_the_sender_records_its_outcome_is_sent_again(fresh_databases) -> None:
    url = await fresh_databases("notification")
    settings = NotificationSettings(database_url=url, webhook_allow_private_targets=True, **QUICK_WEBHOOK_RETRIES)
    await run_migrations(definition, settings)
    database = Database(settings.async_database_url)
    watcher = Database(settings.async_database_url, pool_size=1)
    try:
        async with database.transaction() as session:
            subscription = WebhookSubscription(
                owner_id="lease-client",
                owner_kind="district_admin",
                url="http://127.0.0.1:9/hooks",  # never dialled: the transport below answers
                event_types=["ticket.*"],
                subdistrict_ids=None,
                description="",
                enabled=True,
                secret=new_secret(),
            )
            session.add(subscription)
        event = EventEnvelope(
            "ticket.created", "/doorstep/ticket", {"ticket_id": "t-1", "subdistrict_id": DEMO_SUBDISTRICT_ID}
        )
        async with database.transaction() as session:
            assert await service.record_event(session, event, utcnow()) == 1
        async with database.transaction() as session:
            delivery_id = (await session.execute(sa.select(WebhookDelivery.id))).scalar_one()

        sent: list[str] = []
        replay = database.sessionmaker()
        replay_written = asyncio.Event()

        async def receiver(request: httpx.Request) -> httpx.Response:
            sent.append(request.headers["webhook-id"])
            if len(sent) == 1:  # the operator replays it while it is being sent; the replay is not committed yet
                await replay.begin()
                await service.replay_one(replay, ADMIN, subscription.id, delivery_id, utcnow())
                replay_written.set()
            return httpx.Response(204)

        async def commit_the_replay_once_the_sender_waits_for_it() -> None:
            await replay_written.wait()

            async def sender_waits() -> bool:
                async with watcher.engine.connect() as connection:
                    waiting = await connection.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                        )
                    )
                    return bool(waiting.scalar_one())

            await eventually(sender_waits, timeout=10)
            await replay.commit()
            await replay.close()

        deliverer = Deliverer(database, lambda: settings, utcnow, transport=httpx.MockTransport(receiver))
        tried, _ = await asyncio.gather(deliverer.run_once(), commit_the_replay_once_the_sender_waits_for_it())
        assert tried == 1

        async with database.transaction() as session:
            row = await session.get(WebhookDelivery, delivery_id)
            assert row is not None
            assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 204)  # the try is counted
            assert row.next_attempt_at is not None and row.next_attempt_at <= utcnow()  # the replay's turn
            assert row.first_attempted_at is None  # the replay's retry window starts at its own first try

        assert await deliverer.run_once() == 1
        assert sent == [event.id, event.id]  # the same webhook-id again
        async with database.transaction() as session:
            row = await session.get(WebhookDelivery, delivery_id)
            assert row is not None
            assert (row.status, row.attempts, row.next_attempt_at) == ("delivered", 2, None)
            ended = (await session.execute(sa.select(WebhookSubscription.last_success_at))).scalar_one()
            assert ended is not None
        assert await deliverer.run_once() == 0  # and no more
    finally:
        await watcher.dispose()
        await database.dispose()
