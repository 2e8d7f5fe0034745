"""On real PostgreSQL: concurrent resource requests never overbook a resource's capacity."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx

from catalog_service.app import create_app, definition
from catalog_service.settings import CatalogSettings
from shared.events import InProcessBus
from shared.migrations import upgrade
from shared.settings import Mode
from tests.conftest import bearer, running


async def test_concurrent_requests_never_overbook_on_postgresql(fresh_databases):
    url = await fresh_databases("catalog")
    settings = CatalogSettings(mode=Mode.embedded, database_url=url)
    await asyncio.to_thread(upgrade, definition.migrations_directory, settings.async_database_url, "catalog")
    bus = InProcessBus()
    app = create_app(settings, bus=bus)
    app.state.clock = lambda: datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    admin = bearer("district_admin")
    await bus.start()
    async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as api:
        subdistrict = (
            await api.post("/api/v1/subdistricts", headers=admin, json={"name": "陆家嘴街道", "kind": "street"})
        ).json()
        station = (
            await api.post(
                "/api/v1/stations",
                headers=admin,
                json={
                    "subdistrict_id": subdistrict["id"],
                    "community_name": "市新居委会",
                    "name": "市新居委会家门口服务站",
                    "address": "福山路",
                    "latitude": 31.23,
                    "longitude": 121.52,
                },
            )
        ).json()
        department = (
            await api.post(
                "/api/v1/departments",
                headers=admin,
                json={
                    "name": "陆家嘴街道社区文化活动中心",
                    "kind": "culture",
                    "subdistrict_id": subdistrict["id"],
                    "service_categories": ["culture"],
                },
            )
        ).json()
        resource = await api.post(
            "/api/v1/resources",
            headers=admin,
            json={
                "title": "沪剧小戏一场",
                "category": "culture",
                "department_id": department["id"],
                "capacity": 3,
                "availability": [{"starts_on": "2026-12-01", "ends_on": "2026-12-31"}],
            },
        )
        assert resource.status_code == 201, resource.text
        staff = bearer("secretary", station_id=station["id"], subdistrict_id=subdistrict["id"])

        async def ask() -> httpx.Response:
            return await api.post(
                "/api/v1/resource-requests",
                headers=staff,
                json={
                    "resource_id": resource.json()["id"],
                    "station_id": station["id"],
                    "requested_date": "2026-12-12",
                    "quantity": 1,
                },
            )

        responses = await asyncio.gather(*(ask() for _ in range(12)))
        codes = sorted(response.status_code for response in responses)
        assert codes == [201] * 3 + [409] * 9, [r.text for r in responses if r.status_code not in (201, 409)]
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"capacity_exceeded"}
        day = (
            await api.get(
                f"/api/v1/resources/{resource.json()['id']}/availability",
                headers=admin,
                params={"from": "2026-12-12", "to": "2026-12-12"},
            )
        ).json()["days"][0]
        assert day["reserved"] == 3 and day["remaining"] == 0
    await bus.stop()
