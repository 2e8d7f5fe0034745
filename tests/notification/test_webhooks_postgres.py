"""Webhook deliveries on real PostgreSQL: the migration, and replicas sharing due deliveries (SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import sqlalchemy as sa

from notification_service.app import definition
from notification_service.settings import NotificationSettings
from notification_service.webhooks import service
from notification_service.webhooks.delivery import Deliverer
from notification_service.webhooks.models import WebhookDelivery, WebhookSubscription
from notification_service.webhooks.signing import new_secret
from shared.database import Database
from shared.events import EventEnvelope
from shared.ids import utcnow
from shared.service import run_migrations
from tests.conftest import DEMO_SUBDISTRICT_ID
from tests.notification.conftest import QUICK_WEBHOOK_RETRIES, WebhookReceiver

EVENTS = 60


async def test_two_replicas_share_the_due_deliveries_and_send_each_once(
    fresh_databases, webhook_receiver: WebhookReceiver
) -> None:
    url = await fresh_databases("notification")
    settings = NotificationSettings(
        database_url=url, webhook_allow_private_targets=True, webhook_batch_size=7, **QUICK_WEBHOOK_RETRIES
    )
    await run_migrations(definition, settings)
    database = Database(settings.async_database_url)
    try:
        async with database.transaction() as session:
            session.add(
                WebhookSubscription(
                    owner_id="pg-client",
                    owner_kind="integration_client",
                    url=webhook_receiver.url,
                    event_types=["ticket.*"],
                    subdistrict_ids=[DEMO_SUBDISTRICT_ID],
                    description="",
                    enabled=True,
                    secret=new_secret(),
                )
            )
        for number in range(EVENTS):  # each event in its own transaction, as the inbox handles them
            event = EventEnvelope(
                "ticket.created",
                "/doorstep/ticket",
                {"ticket_id": f"t-{number}", "subdistrict_id": DEMO_SUBDISTRICT_ID},
            )
            async with database.transaction() as session:
                assert await service.record_event(session, event, utcnow()) == 1

        replicas = [Deliverer(database, lambda: settings, utcnow) for _ in range(2)]

        async def drain(deliverer: Deliverer) -> int:
            sent = 0
            for _ in range(100):  # bounded
                tried = await deliverer.run_once()
                if tried == 0:
                    break
                sent += tried
            return sent

        shares = await asyncio.gather(*(drain(replica) for replica in replicas))
        assert sum(shares) == EVENTS
        ids = Counter(headers["webhook-id"] for headers, _ in webhook_receiver.received)
        assert len(ids) == EVENTS and set(ids.values()) == {1}  # none twice: a taken row is leased
        assert {json.loads(body)["data"]["ticket_id"] for _, body in webhook_receiver.received} == {
            f"t-{number}" for number in range(EVENTS)
        }
        async with database.transaction() as session:
            statuses = (await session.execute(sa.select(WebhookDelivery.status))).scalars().all()
        assert set(statuses) == {"delivered"}
    finally:
        await database.dispose()
