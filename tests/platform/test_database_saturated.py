"""A database that refuses connections for want of room ("too many clients") is a 503 the client may retry,
as a database that is down is, never a 500 (shared/errors.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from shared.database import Database
from shared.errors import install_problem_handlers
from tests.conftest import POSTGRES_URL, require


@pytest.fixture
async def saturated_role() -> AsyncIterator[str]:
    """A login role PostgreSQL lets no connection in for (CONNECTION LIMIT 0): each connect is refused with
    SQLSTATE 53300, "too many connections", as when a server's slots are all taken."""
    require(POSTGRES_URL, 5432, "PostgreSQL")
    import asyncpg

    role = f"test_saturated_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(POSTGRES_URL + "/postgres")
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
        yield role
    finally:
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()


async def test_a_database_with_no_room_for_a_connection_answers_503_not_500(saturated_role: str) -> None:
    host = POSTGRES_URL.split("@", 1)[1]
    database = Database(f"postgresql+asyncpg://{saturated_role}@{host}/postgres", pool_size=1)
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/count")
    async def count() -> dict[str, int]:
        async with database.sessionmaker() as session:
            return {"count": int(await session.scalar(sa.text("SELECT 1")) or 0)}

    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
            response = await http.get("/count")
    finally:
        await database.dispose()
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "database_unavailable"
    assert response.headers["Retry-After"] == "2"
