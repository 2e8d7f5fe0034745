"""A catalogue of its own for a test, on SQLite or on real PostgreSQL, migrated and empty, and a station
opened on it: for tests that must see both databases behave the same."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from catalog_service.app import create_app as create_catalog
from catalog_service.app import definition as catalog_definition
from catalog_service.settings import CatalogSettings
from shared.events import InProcessBus
from shared.settings import Mode
from tests.conftest import POSTGRES_URL, bearer, create_database, drop_database, require, running
from tests.templates import migrate_async


async def database_url(kind: str, tmp_path: Path, service: str, created: list[str]) -> str:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / f'{service}.db'}"
    require(POSTGRES_URL, 5432, "PostgreSQL")
    name = f"test_{service}_{uuid.uuid4().hex[:10]}"
    created.append(name)
    return await create_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
async def catalog_api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    created: list[str] = []
    try:
        url = await database_url(request.param, tmp_path, "catalog", created)
        settings = CatalogSettings(mode=Mode.embedded, database_url=url)
        await migrate_async(catalog_definition, settings)  # SQLite: a copy of a database migrated once
        bus = InProcessBus()
        app = create_catalog(settings, bus=bus)
        await bus.start()
        try:
            async with (
                running(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as api,
            ):
                yield api
        finally:
            await bus.stop()
    finally:
        for name in created:
            await drop_database(name)


async def open_station(api: httpx.AsyncClient) -> tuple[dict, dict[str, str], dict[str, str]]:
    """A station and its two editors: the district admin and the subdistrict's own admin."""
    district_admin = bearer("district_admin")
    subdistrict = await api.post(
        "/api/v1/subdistricts", headers=district_admin, json={"name": "陆家嘴街道", "kind": "street"}
    )
    assert subdistrict.status_code == 201, subdistrict.text
    station = await api.post(
        "/api/v1/stations",
        headers=district_admin,
        json={
            "subdistrict_id": subdistrict.json()["id"],
            "community_name": "市新居委会",
            "name": "市新居委会家门口服务站",
            "address": "福山路",
            "latitude": 31.23,
            "longitude": 121.52,
            "phone": "021-5888 0000",
        },
    )
    assert station.status_code == 201, station.text
    subdistrict_admin = bearer("subdistrict_admin", subdistrict_id=subdistrict.json()["id"])
    return station.json(), district_admin, subdistrict_admin
