"""Offline sync of the catalogue lists the app caches (`changes=`), on SQLite and on real PostgreSQL:
items created and changed come back once, deleted ones and those out of the list's filters as tombstones;
and each list is newest first."""

from __future__ import annotations

from typing import Any

import httpx

from tests.catalog.conftest import DEMO_STATION_ID, district_admin, station_staff
from tests.catalog.fresh import open_station
from tests.conftest import bearer


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


async def test_service_items_sync_on_a_fresh_catalogue(catalog_api):
    """The same on a catalogue of its own, on SQLite and on real PostgreSQL."""
    station, _, _ = await open_station(catalog_api)
    staff = bearer("social_worker", station_id=station["id"], subdistrict_id=station["subdistrict_id"])
    await _service_items_sync(catalog_api, station["id"], staff)
