"""The offline sync's change numbers on PostgreSQL are taken inside COMMIT (shared/sync.py, migration 0013).

Every writer of tickets queues for the counter's row lock. When the number was taken by a statement before
COMMIT, a transaction done with its work but whose COMMIT the service had not yet sent (its event loop busy
with other requests) held that lock, and every other desk's new ticket waited for it. Now the lock is taken
in the server while it commits, and the numbers still follow the order of the commits.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import sqlalchemy as sa

from shared.sync import NUMBERING_FUNCTION
from tests.ticket.conftest import open_station, raise_ticket
from ticket_service.tickets.models import Ticket


async def _number(app: Any, ticket_id: str) -> int:
    async with app.state.runtime.database.sessionmaker() as session:
        number = await session.scalar(sa.select(Ticket.change_sequence).where(Ticket.id == uuid.UUID(ticket_id)))
    assert number is not None
    return number


async def test_a_transaction_ready_to_commit_does_not_hold_up_another_desks_new_ticket(pg_app: Any) -> None:
    station = await open_station(pg_app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=pg_app), base_url="http://ticket") as http:
        first = await raise_ticket(http, station)
        database = pg_app.state.runtime.database
        async with database.sessionmaker() as session:
            # A change of the first ticket, carried up to the point where the service would send COMMIT:
            # flushed, and every before-commit step (outbox rows, the offline sync's numbering) done.
            ticket = await session.get(Ticket, uuid.UUID(first["id"]))
            assert ticket is not None
            ticket.description = "楼道灯不亮，请派人修理（补充：三楼）"
            await session.flush()
            await session.run_sync(lambda sync_session: sync_session.dispatch.before_commit(sync_session))

            # Meanwhile another desk raises a ticket: it commits without waiting for the first transaction.
            second = await asyncio.wait_for(raise_ticket(http, station), timeout=10)

            await session.commit()

        # The numbers follow the commits: the second ticket committed first.
        assert 0 < await _number(pg_app, second["id"]) < await _number(pg_app, first["id"])


async def test_every_commit_gets_its_own_number_in_the_database(pg_app: Any) -> None:
    station = await open_station(pg_app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=pg_app), base_url="http://ticket") as http:
        tickets = await asyncio.gather(*(raise_ticket(http, station) for _ in range(12)))
    numbers = [await _number(pg_app, ticket["id"]) for ticket in tickets]
    assert len(set(numbers)) == len(numbers) and min(numbers) > 0
    async with pg_app.state.runtime.database.sessionmaker() as session:
        counter = await session.scalar(sa.text("SELECT value FROM change_counter WHERE name = 'changes'"))
        installed = await session.scalar(sa.text(f"SELECT to_regproc('{NUMBERING_FUNCTION}') IS NOT NULL"))
    assert installed
    assert counter == max(numbers)
