"""Offline sync of the catalogue lists the app caches (`changes=`), on SQLite and on real PostgreSQL:
items created and changed come back once, deleted ones and those out of the list's filters as tombstones;
and each list is newest first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx

from catalog_service.app import create_app, definition
from catalog_service.settings import CatalogSettings
from shared.events import InProcessBus
from shared.migrations import upgrade
from shared.settings import Mode
from tests.catalog.conftest import DEMO_STATION_ID, district_admin, station_staff
from tests.conftest import bearer, running


async def _sync(api: httpx.AsyncClient, path: str, token: str, headers: dict, **params: Any) -> tuple[dict, dict, str]:
    response = await api.get(path, headers=headers, params={**params, "changes": token})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    items = {item["id"]: item for item in body["items"]}
    return items, {stone["id"]: stone["reason"] for stone in body["tombstones"]}, body["changes"]


async def _service_items_sync(api: httpx.AsyncClient, station_id: str, staff: dict) -> None:
    cached, _, token = await _sync(api, "/api/v1/service-items", "0", staff, station_id=station_id)
    created = await api.post(
        "/api/v1/service-items",
        headers=staff,
        json={"station_id": station_id, "category": "culture", "title": "读书会"},
    )
    assert created.status_code == 201, created.text
    item = created.json()
    newest = (await api.get("/api/v1/service-items", params={"station_id": station_id, "limit": 1})).json()
    assert newest["items"][0]["id"] == item["id"]  # newest first

    items, tombstones, token = await _sync(api, "/api/v1/service-items", token, staff, station_id=station_id)
    assert list(items) == [item["id"]] and tombstones == {}
    assert await _sync(api, "/api/v1/service-items", token, staff, station_id=station_id) == ({}, {}, token)

    patched = await api.patch(f"/api/v1/service-items/{item['id']}", headers=staff, json={"title": "周末读书会"})
    assert patched.status_code == 200, patched.text
    items, tombstones, token = await _sync(api, "/api/v1/service-items", token, staff, station_id=station_id)
    assert items[item["id"]]["title"] == "周末读书会" and tombstones == {}

    deleted = await api.delete(f"/api/v1/service-items/{item['id']}", headers=staff)
    assert deleted.status_code == 204, deleted.text
    items, tombstones, _ = await _sync(api, "/api/v1/service-items", token, staff, station_id=station_id)
    assert items == {} and tombstones == {item["id"]: "deleted"}


async def test_service_items_sync_on_sqlite(api):
    await _service_items_sync(api, DEMO_STATION_ID, station_staff())


async def test_a_removed_staff_member_leaves_the_station_apps_staff_list(api):
    staff = station_staff()
    cached, _, token = await _sync(api, "/api/v1/staff", "0", staff, station_id=DEMO_STATION_ID)
    assert cached
    member = next(iter(cached))
    removed = await api.delete(f"/api/v1/staff/{member}", headers=district_admin())
    assert removed.status_code == 200, removed.text
    items, tombstones, _ = await _sync(api, "/api/v1/staff", token, staff, station_id=DEMO_STATION_ID)
    assert items == {} and tombstones == {member: "out_of_scope"}  # inactive: out of the default list


async def test_service_items_sync_on_postgresql(fresh_databases):
    url = await fresh_databases("catalog")
    settings = CatalogSettings(mode=Mode.embedded, database_url=url)
    await asyncio.to_thread(upgrade, definition.migrations_directory, settings.async_database_url, "catalog")
    bus = InProcessBus()
    app = create_app(settings, bus=bus)
    app.state.clock = lambda: datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    admin = bearer("district_admin")
    await bus.start()
    try:
        async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as api:
            subdistrict = await api.post(
                "/api/v1/subdistricts", headers=admin, json={"name": "陆家嘴街道", "kind": "street"}
            )
            assert subdistrict.status_code == 201, subdistrict.text
            station = await api.post(
                "/api/v1/stations",
                headers=admin,
                json={
                    "subdistrict_id": subdistrict.json()["id"],
                    "community_name": "市新居委会",
                    "name": "市新居委会家门口服务站",
                    "address": "福山路",
                    "latitude": 31.23,
                    "longitude": 121.52,
                },
            )
            assert station.status_code == 201, station.text
            station_id = station.json()["id"]
            staff = bearer("social_worker", station_id=station_id, subdistrict_id=subdistrict.json()["id"])
            await _service_items_sync(api, station_id, staff)
    finally:
        await bus.stop()
