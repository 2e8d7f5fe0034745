"""The SMS outbox on PostgreSQL: the migration, one message per event, and replicas that never claim the
same message twice (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import sqlalchemy as sa

from notification_service.app import definition
from notification_service.residents import repository
from notification_service.residents.models import SmsMessage
from notification_service.settings import NotificationSettings
from shared.database import Database
from shared.ids import new_id, utcnow
from shared.service import run_migrations


def _message(event_id: str) -> dict:
    now = utcnow() - timedelta(seconds=1)
    return {
        "id": new_id(),
        "event_id": event_id,
        "ticket_id": uuid.uuid4(),
        "station_id": uuid.uuid4(),
        "community_id": None,
        "resident_id": None,
        "kind": "ticket_resolved",
        "params": {"station_name": "市新居委会家门口服务站"},
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


async def test_two_senders_never_claim_the_same_message(fresh_databases: Callable[[str], Awaitable[str]]) -> None:
    url = await fresh_databases("notification")
    settings = NotificationSettings(mode="distributed", database_url=url)
    await run_migrations(definition, settings)
    database = Database(settings.async_database_url)
    try:
        async with database.transaction() as session:
            for index in range(10):
                assert await repository.add_message(session, _message(f"event-{index}"))
            assert not await repository.add_message(session, _message("event-3"))  # a redelivered event
        assert await _count(database) == 10

        now = utcnow()
        async with database.sessionmaker() as first, database.sessionmaker() as second:
            async with first.begin(), second.begin():
                mine = await repository.claim_due(first, now, 6, skip_locked=True)
                theirs = await repository.claim_due(second, now, 10, skip_locked=True)  # not blocked, not shared
                assert len(mine) == 6 and len(theirs) == 4
                assert {row.id for row in mine}.isdisjoint({row.id for row in theirs})
    finally:
        await database.dispose()


async def _count(database: Database) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(SmsMessage)) or 0)
