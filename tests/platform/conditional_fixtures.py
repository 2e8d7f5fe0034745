"""The ticket service alone on SQLite or on real PostgreSQL: the conditional and idempotency tests run on both."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared.settings import Mode
from tests.conftest import POSTGRES_URL, create_database, drop_database, require, running
from tests.templates import migrate_async
from tests.ticket.conftest import MONDAY_0900, Clock, open_station
from ticket_service.app import create_app, definition
from ticket_service.settings import TicketSettings


@pytest.fixture(params=["sqlite", "postgresql"])
async def ticket_app(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Any]:
    database = None
    if request.param == "postgresql":
        require(POSTGRES_URL, 5432, "PostgreSQL")
        database = f"test_ticket_{uuid.uuid4().hex[:10]}"
        url = await create_database(database)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'ticket.db'}"
    settings = TicketSettings(mode=Mode.embedded, database_url=url, sla_checker_enabled=False)
    try:
        await migrate_async(definition, settings)  # on SQLite, a copy of a database migrated once
        app = create_app(settings)
        async with running(app):
            app.state.clock = Clock(MONDAY_0900)
            yield app
    finally:
        if database is not None:
            await drop_database(database)


@pytest.fixture
async def http(ticket_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ticket_app), base_url="http://ticket") as client:
        yield client


@pytest.fixture
async def station(ticket_app: Any):
    return await open_station(ticket_app)
