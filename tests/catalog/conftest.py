"""The catalogue service alone, on SQLite seeded with the full demo district (seeded once, copied per test)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from catalog_service.app import create_app, definition
from catalog_service.seed import seed_demo
from catalog_service.settings import CatalogSettings
from shared.database import Database
from shared.events import InProcessBus
from shared.events.tables import outbox_message
from shared.ids import stable_id, utcnow
from shared.migrations import upgrade
from shared.settings import Mode
from tests.catalog.fresh import catalog_api  # noqa: F401 (a fixture: a catalogue of its own, SQLite or PostgreSQL)
from tests.conftest import DEMO_STATION_ID, DEMO_SUBDISTRICT_ID, bearer, running

DEMO_DEPARTMENT_ID = str(stable_id("department", "陆家嘴街道", "civil_affairs"))
DEMO_COMMUNITY_ID = str(stable_id("community", "陆家嘴街道", "市新居委会"))
OTHER_SUBDISTRICT_ID = str(stable_id("subdistrict", "周浦镇"))
OTHER_STATION_ID = str(stable_id("station", "周浦镇", "界村"))
BINJIANG_STATION_ID = str(stable_id("station", "陆家嘴街道", "滨江居委会"))


def settings_for(path: Path) -> CatalogSettings:
    return CatalogSettings(mode=Mode.embedded, database_url=f"sqlite+aiosqlite:///{path}", outbox_poll_seconds=0.05)


@pytest.fixture(scope="session")
async def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("catalog_template") / "catalog.db"
    settings = settings_for(path)
    upgrade(definition.migrations_directory, settings.async_database_url, "catalog")
    database = Database(settings.async_database_url)
    await seed_demo(database, scale="full")  # whatever CATALOG_DEMO_SCALE says
    async with database.engine.begin() as connection:
        # The seed's events count as delivered: each test's relay must not replay 12,000 of them.
        await connection.execute(outbox_message.update().values(published_at=utcnow()))
    async with database.engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    await database.dispose()
    return path


class Catalog:
    def __init__(self, app: Any, bus: InProcessBus, path: Path) -> None:
        self.app = app
        self.bus = bus
        self.path = path
        self.published: list[Any] = []

    @property
    def database(self) -> Database:
        return self.app.state.runtime.database


@pytest.fixture
async def catalog(seeded_template: Path, tmp_path: Path) -> AsyncIterator[Catalog]:
    path = tmp_path / "catalog.db"
    shutil.copyfile(seeded_template, path)
    bus = InProcessBus()
    app = create_app(settings_for(path), bus=bus)
    system = Catalog(app, bus, path)

    async def record(envelope: Any) -> None:
        system.published.append(envelope)

    bus.subscribe("test-recorder", ["#"], record)
    await bus.start()
    async with running(app):
        yield system
    await bus.stop()


@pytest.fixture
async def api(catalog: Catalog) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=catalog.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://catalog") as client:
        yield client


def district_admin() -> dict[str, str]:
    return bearer("district_admin")


def subdistrict_admin(subdistrict_id: str = DEMO_SUBDISTRICT_ID) -> dict[str, str]:
    return bearer("subdistrict_admin", subdistrict_id=subdistrict_id)


def department(department_id: str = DEMO_DEPARTMENT_ID, subdistrict_id: str = DEMO_SUBDISTRICT_ID) -> dict[str, str]:
    return bearer("department", department_id=department_id, subdistrict_id=subdistrict_id)


def station_staff(role: str = "social_worker", station_id: str = DEMO_STATION_ID) -> dict[str, str]:
    return bearer(role, station_id=station_id, subdistrict_id=DEMO_SUBDISTRICT_ID)


def problem(response: httpx.Response, status: int, field: str | None = None, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    if field is not None:
        assert body.get("field") == field, body
    if code is not None:
        assert body.get("code") == code, body
    return body


__all__ = [
    "BINJIANG_STATION_ID",
    "DEMO_COMMUNITY_ID",
    "DEMO_DEPARTMENT_ID",
    "DEMO_STATION_ID",
    "DEMO_SUBDISTRICT_ID",
    "OTHER_STATION_ID",
    "OTHER_SUBDISTRICT_ID",
]
