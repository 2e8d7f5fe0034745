"""A transaction's events are written in one multi-row insert when it commits, in the order they were added."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from shared.database import Database
from shared.events import EventEnvelope, Outbox
from shared.events.tables import outbox_message


async def _migrated_database(tmp_path: Path) -> Database:
    from catalog_service.app import definition
    from shared.migrations import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}"
    upgrade(definition.migrations_directory, url, "catalog")
    return Database(url)


async def test_a_transactions_events_are_one_insert_in_their_order(tmp_path):
    database = await _migrated_database(tmp_path)
    inserts: list[str] = []

    def count(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "INSERT INTO outbox_message" in statement:
            inserts.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    outbox = Outbox("/test")
    try:
        async with database.transaction() as session:
            written = [await outbox.add(session, "thing.happened", {"n": n}) for n in range(3)]
        assert len(inserts) == 1
        async with database.sessionmaker() as session:
            payloads = (
                await session.execute(
                    sa.select(outbox_message.c.payload).order_by(outbox_message.c.created_at, outbox_message.c.id)
                )
            ).scalars()
            stored = [EventEnvelope.from_json(payload) for payload in payloads]
        assert [envelope.id for envelope in stored] == [envelope.id for envelope in written]
        assert [envelope.data for envelope in stored] == [{"n": 0}, {"n": 1}, {"n": 2}]
    finally:
        await database.dispose()
