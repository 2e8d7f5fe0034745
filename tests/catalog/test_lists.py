"""The three lists: service list, resource list, demand list, and resource requests under capacity."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from catalog_service.resource_requests.models import ResourceRequest
from catalog_service.service_lists.categories import STANDARD_CATEGORIES, standard_item_id
from shared.events import EventEnvelope
from shared.events.tables import outbox_message
from shared.ids import stable_id
from tests.catalog.conftest import (
    BINJIANG_STATION_ID,
    DEMO_DEPARTMENT_ID,
    DEMO_STATION_ID,
    DEMO_SUBDISTRICT_ID,
    OTHER_STATION_ID,
    department,
    district_admin,
    problem,
    station_staff,
    subdistrict_admin,
)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Wednesday


def fix_clock(catalog, now: datetime = NOW) -> None:
    catalog.app.state.clock = lambda: now


def resource_body(**overrides) -> dict:
    body = {
        "title": "沪剧小戏一场（测试）",
        "category": "culture",
        "department_id": DEMO_DEPARTMENT_ID,
        "description": "晚会节目",
        "capacity": 2,
        "unit": "场",
        "lead_time_days": 3,
        "availability": [{"starts_on": "2026-11-01", "ends_on": "2027-03-31", "weekdays": [4, 5, 6]}],
    }
    body.update(overrides)
    return body


async def new_resource(api, **overrides) -> dict:
    response = await api.post("/api/v1/resources", headers=department(), json=resource_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def new_demand(api, station_id: str = DEMO_STATION_ID, headers=None, **overrides) -> dict:
    body = {"station_id": station_id, "category": "culture", "title": "迎新晚会需要一个戏剧节目", "urgency": "high"}
    body.update(overrides)
    response = await api.post("/api/v1/demands", headers=headers or station_staff(), json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def ask(
    api, resource_id: str, day: str = "2026-12-04", demand_id: str | None = None, quantity: int = 1, headers=None
):
    body = {"resource_id": resource_id, "station_id": DEMO_STATION_ID, "requested_date": day, "quantity": quantity}
    if demand_id:
        body["demand_id"] = demand_id
    return await api.post("/api/v1/resource-requests", headers=headers or station_staff(), json=body)


# -- service list ---------------------------------------------------------------------------------


async def test_every_station_lists_the_seven_standard_categories_and_its_optional_items(api):
    service_list = (await api.get(f"/api/v1/stations/{BINJIANG_STATION_ID}/service-list")).json()
    assert [c["code"] for c in service_list["categories"]] == [c.code for c in STANDARD_CATEGORIES]
    legal = next(c for c in service_list["categories"] if c["code"] == "legal")
    assert [i["name"] for i in legal["standard_items"]][:2] == ["人民调解室", "法律服务室"]
    culture = next(c for c in service_list["categories"] if c["code"] == "culture")
    assert {i["title"] for i in culture["optional_items"]} == {"太极拳晨练班", "社区小图书馆"}  # the riverside station


async def test_station_staff_add_optional_items_with_schedule_and_capacity(api):
    body = {
        "station_id": DEMO_STATION_ID,
        "category": "health",
        "title": "中医推拿体验",
        "description": "社区卫生服务中心中医师",
        "schedule": {"weekly_periods": [{"weekday": 4, "opens": "14:00", "closes": "16:00"}]},
        "capacity": 12,
    }
    response = await api.post("/api/v1/service-items", headers=station_staff(), json=body)
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["capacity"] == 12 and item["schedule"]["weekly_periods"][0]["opens"] == "14:00"
    listed = (await api.get(f"/api/v1/stations/{DEMO_STATION_ID}/service-list")).json()
    health = next(c for c in listed["categories"] if c["code"] == "health")
    assert "中医推拿体验" in [i["title"] for i in health["optional_items"]]
    patched = await api.patch(f"/api/v1/service-items/{item['id']}", headers=station_staff(), json={"capacity": 20})
    assert patched.json()["capacity"] == 20
    deleted = await api.delete(f"/api/v1/service-items/{item['id']}", headers=station_staff())
    assert deleted.status_code == 204


async def test_standard_items_cannot_be_removed(api):
    item_id = standard_item_id("legal", "法律援助")
    problem(
        await api.delete(f"/api/v1/service-items/{item_id}", headers=district_admin()),
        409,
        code="standard_item_not_removable",
    )


async def test_optional_items_of_another_station_are_out_of_reach(api):
    body = {"station_id": OTHER_STATION_ID, "category": "culture", "title": "越权"}
    problem(await api.post("/api/v1/service-items", headers=station_staff(), json=body), 403)
    problem(await api.post("/api/v1/service-items", json=body), 401)
    item = (await api.get("/api/v1/service-items", params={"station_id": OTHER_STATION_ID})).json()["items"][0]
    problem(await api.delete(f"/api/v1/service-items/{item['id']}", headers=station_staff()), 403)


async def test_bad_optional_items_name_the_field(api):
    base = {"station_id": DEMO_STATION_ID, "title": "x"}
    problem(
        await api.post("/api/v1/service-items", headers=station_staff(), json={**base, "category": "karaoke"}),
        422,
        field="category",
        code="unknown_category",
    )
    bad_schedule = {
        **base,
        "category": "culture",
        "schedule": {"weekly_periods": [{"weekday": 1, "opens": "10:00", "closes": "09:00"}]},
    }
    problem(
        await api.post("/api/v1/service-items", headers=station_staff(), json=bad_schedule),
        422,
        field="schedule.weekly_periods[0].closes",
    )
    problem(
        await api.post(
            "/api/v1/service-items", headers=station_staff(), json={**base, "category": "culture", "capacity": 0}
        ),
        422,
        field="capacity",
    )


# -- resource list ---------------------------------------------------------------------------------


async def test_resource_search_by_text_category_provider_date_and_subdistrict(api):
    headers = station_staff()
    found = (await api.get("/api/v1/resources", headers=headers, params={"q": "沪剧", "limit": 200})).json()["items"]
    assert found and all("沪剧" in r["title"] for r in found)
    health = (await api.get("/api/v1/resources", headers=headers, params={"category": "health", "limit": 200})).json()
    assert health["items"] and {r["category"] for r in health["items"]} == {"health"}
    mine = (await api.get("/api/v1/resources", headers=headers, params={"provider_id": DEMO_DEPARTMENT_ID})).json()[
        "items"
    ]
    assert {r["title"] for r in mine} == {"助老志愿服务队上门", "社区治理专家指导"}
    by_name = (await api.get("/api/v1/resources", headers=headers, params={"provider": "区图书馆"})).json()["items"]
    assert [r["title"] for r in by_name] == ["区图书馆流动图书箱"] or all("图书" in r["title"] for r in by_name)
    # 社区治理专家指导 runs Monday to Friday: not on a Sunday, yes on a Monday.
    sunday = (
        await api.get(
            "/api/v1/resources", headers=headers, params={"provider_id": DEMO_DEPARTMENT_ID, "date": "2026-12-06"}
        )
    ).json()["items"]
    assert {r["title"] for r in sunday} == {"助老志愿服务队上门"}
    monday = (
        await api.get(
            "/api/v1/resources", headers=headers, params={"provider_id": DEMO_DEPARTMENT_ID, "date": "2026-12-07"}
        )
    ).json()["items"]
    assert len(monday) == 2 and all(r["remaining_on_date"] is not None for r in monday)
    usable = (
        await api.get(
            "/api/v1/resources",
            headers=headers,
            params={"subdistrict_id": DEMO_SUBDISTRICT_ID, "category": "culture", "limit": 200},
        )
    ).json()["items"]
    assert all(r["district_wide"] or DEMO_SUBDISTRICT_ID in r["allowed_subdistrict_ids"] for r in usable)
    assert any(r["district_wide"] for r in usable) and any(not r["district_wide"] for r in usable)


async def test_resources_are_for_readers_with_a_role(api):
    from tests.conftest import bearer

    problem(await api.get("/api/v1/resources"), 401)
    problem(await api.get("/api/v1/resources", headers=bearer("resident")), 403)


async def test_department_publishes_its_own_resources_only(api):
    resource = await new_resource(api)
    assert resource["provider_name"] == "陆家嘴街道民政科" and resource["allowed_subdistrict_ids"] == [
        DEMO_SUBDISTRICT_ID
    ]
    assert resource["availability"] == [{"starts_on": "2026-11-01", "ends_on": "2027-03-31", "weekdays": [4, 5, 6]}]
    other = str(stable_id("department", "陆家嘴街道", "justice"))
    problem(await api.post("/api/v1/resources", headers=department(), json=resource_body(department_id=other)), 403)
    problem(
        await api.patch(f"/api/v1/resources/{resource['id']}", headers=department(other), json={"capacity": 9}), 403
    )
    problem(await api.post("/api/v1/resources", headers=station_staff(), json=resource_body()), 403)


async def test_bad_resources_name_the_field(api):
    cases = [
        (resource_body(category="magic"), "category"),
        (resource_body(availability=[{"starts_on": "2026-12-10", "ends_on": "2026-12-01"}]), "availability[0].ends_on"),
        (
            resource_body(availability=[{"starts_on": "2026-12-01", "ends_on": "2026-12-10", "weekdays": [7]}]),
            "availability[0].weekdays[0]",
        ),
        (resource_body(availability=[]), "availability"),
        (resource_body(capacity=0), "capacity"),
        (
            resource_body(allowed_subdistrict_ids=[str(stable_id("subdistrict", "nowhere"))]),
            "allowed_subdistrict_ids[0]",
        ),
    ]
    for body, field in cases:
        problem(await api.post("/api/v1/resources", headers=department(), json=body), 422, field=field)


# -- demands and requests -------------------------------------------------------------------------------


async def test_the_gala_story_open_matched_fulfilled_with_events(api, catalog):
    fix_clock(catalog)
    resource = await new_resource(api)
    demand = await new_demand(api)
    assert demand["status"] == "open"
    response = await ask(api, resource["id"], demand_id=demand["id"])
    assert response.status_code == 201, response.text
    request = response.json()
    assert request["status"] == "requested" and request["provider_department_id"] == DEMO_DEPARTMENT_ID
    assert (await api.get(f"/api/v1/demands/{demand['id']}", headers=station_staff())).json()["status"] == "matched"
    provider = department()
    accepted = await api.post(f"/api/v1/resource-requests/{request['id']}/accept", headers=provider)
    assert accepted.json()["status"] == "accepted"
    wrong_day = await api.post(
        f"/api/v1/resource-requests/{request['id']}/schedule",
        headers=provider,
        json={"scheduled_at": "2026-12-05T19:00:00"},
    )
    problem(wrong_day, 422, field="scheduled_at", code="not_on_requested_date")
    scheduled = await api.post(
        f"/api/v1/resource-requests/{request['id']}/schedule",
        headers=provider,
        json={"scheduled_at": "2026-12-04T19:00:00"},
    )
    assert scheduled.json()["scheduled_at"].startswith("2026-12-04T11:00")  # 19:00 in Shanghai
    delivered = await api.post(f"/api/v1/resource-requests/{request['id']}/deliver", headers=provider)
    assert delivered.json()["status"] == "delivered"
    final = (await api.get(f"/api/v1/demands/{demand['id']}", headers=station_staff())).json()
    assert final["status"] == "fulfilled" and final["requests"][0]["status"] == "delivered"
    async with catalog.database.sessionmaker() as session:
        rows = (
            await session.execute(
                sa.select(outbox_message.c.event_type, outbox_message.c.payload).where(
                    outbox_message.c.event_type.like("resource_request.%")
                )
            )
        ).all()
    mine = [t for t, p in rows if EventEnvelope.from_json(p).subject == request["id"]]
    assert mine == [f"resource_request.{s}" for s in ("created", "accepted", "scheduled", "delivered")]


async def test_capacity_is_never_exceeded_and_declines_release_it(api, catalog):
    fix_clock(catalog)
    resource = await new_resource(api, capacity=2)
    first = (await ask(api, resource["id"])).json()
    await ask(api, resource["id"])
    full = await ask(api, resource["id"])
    body = problem(full, 409, field="quantity", code="capacity_exceeded")
    assert body["remaining"] == 0
    problem(await ask(api, resource["id"], day="2026-12-05", quantity=3), 409, field="quantity")
    declined = await api.post(
        f"/api/v1/resource-requests/{first['id']}/decline", headers=department(), json={"reason": "演员生病"}
    )
    assert declined.json()["status"] == "declined"
    assert (await ask(api, resource["id"])).status_code == 201
    day = (
        await api.get(
            f"/api/v1/resources/{resource['id']}/availability",
            headers=station_staff(),
            params={"from": "2026-12-04", "to": "2026-12-04"},
        )
    ).json()["days"][0]
    assert day == {"day": "2026-12-04", "available": True, "reserved": 2, "remaining": 0}
    problem(
        await api.patch(f"/api/v1/resources/{resource['id']}", headers=department(), json={"capacity": 1}),
        409,
        field="capacity",
        code="capacity_below_bookings",
    )


async def test_concurrent_requests_on_sqlite_never_overbook(api, catalog):
    fix_clock(catalog)
    resource = await new_resource(api, capacity=3)
    responses = await asyncio.gather(*(ask(api, resource["id"], day="2026-12-11") for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 5
    async with catalog.database.sessionmaker() as session:
        total = await session.scalar(
            sa.select(sa.func.sum(ResourceRequest.quantity)).where(
                ResourceRequest.resource_id == uuid.UUID(resource["id"])
            )
        )
    assert total == 3


async def test_requests_respect_lead_time_windows_and_allowed_subdistricts(api, catalog):
    fix_clock(catalog)
    resource = await new_resource(api, lead_time_days=14)
    problem(await ask(api, resource["id"], day="2026-12-04"), 422, field="requested_date", code="lead_time_not_met")
    problem(await ask(api, resource["id"], day="2026-12-09"), 422, field="requested_date", code="not_available_on_date")
    zhoupu_culture = str(stable_id("resource", str(stable_id("department", "周浦镇", "culture")), "沪剧小戏一场"))
    problem(
        await ask(api, zhoupu_culture, day="2026-12-11"), 422, field="resource_id", code="not_offered_to_subdistrict"
    )


async def test_request_transitions_are_checked_and_only_the_provider_answers(api, catalog):
    fix_clock(catalog)
    resource = await new_resource(api)
    request = (await ask(api, resource["id"])).json()
    problem(
        await api.post(f"/api/v1/resource-requests/{request['id']}/deliver", headers=department()),
        409,
        code="cannot_deliver_requested",
    )
    problem(await api.post(f"/api/v1/resource-requests/{request['id']}/accept", headers=station_staff()), 403)
    other = department(str(stable_id("department", "陆家嘴街道", "justice")))
    problem(await api.post(f"/api/v1/resource-requests/{request['id']}/accept", headers=other), 404)
    assert (
        await api.post(f"/api/v1/resource-requests/{request['id']}/accept", headers=subdistrict_admin())
    ).status_code == 200
    cancelled = await api.post(f"/api/v1/resource-requests/{request['id']}/cancel", headers=station_staff(), json={})
    assert cancelled.json()["status"] == "cancelled"
    problem(await api.post(f"/api/v1/resource-requests/{request['id']}/accept", headers=department()), 409)


async def test_declining_the_only_request_reopens_the_demand_and_closing_ends_it(api, catalog):
    fix_clock(catalog)
    resource = await new_resource(api)
    demand = await new_demand(api)
    request = (await ask(api, resource["id"], demand_id=demand["id"])).json()
    await api.post(f"/api/v1/resource-requests/{request['id']}/decline", headers=department(), json={"reason": "没空"})
    assert (await api.get(f"/api/v1/demands/{demand['id']}", headers=station_staff())).json()["status"] == "open"
    closed = await api.post(
        f"/api/v1/demands/{demand['id']}/close", headers=station_staff(), json={"reason": "居民自行解决"}
    )
    assert closed.json()["status"] == "closed"
    problem(await ask(api, resource["id"], demand_id=demand["id"]), 409, field="demand_id", code="demand_not_open")
    problem(await api.patch(f"/api/v1/demands/{demand['id']}", headers=station_staff(), json={"title": "改"}), 409)


async def test_a_demand_of_another_station_cannot_be_served(api, catalog):
    fix_clock(catalog)
    resource = await new_resource(api)
    theirs = await new_demand(api, station_id=OTHER_STATION_ID, headers=district_admin())
    problem(await ask(api, resource["id"], demand_id=theirs["id"]), 422, field="demand_id")
    problem(
        await api.post(
            "/api/v1/demands",
            headers=station_staff(),
            json={"station_id": OTHER_STATION_ID, "category": "culture", "title": "x"},
        ),
        403,
    )


async def test_demo_demands_and_requests_come_in_every_state(api):
    headers = district_admin()
    for status in ("open", "matched", "fulfilled", "closed"):
        page = (await api.get("/api/v1/demands", headers=headers, params={"status": status, "limit": 1})).json()
        assert page["items"], status
    for status in ("requested", "accepted", "declined", "scheduled", "delivered", "cancelled"):
        page = (
            await api.get("/api/v1/resource-requests", headers=headers, params={"status": status, "limit": 1})
        ).json()
        assert page["items"], status
    mine = (await api.get("/api/v1/demands", headers=station_staff(), params={"station_id": DEMO_STATION_ID})).json()
    assert {d["status"] for d in mine["items"]} == {"open", "matched", "fulfilled", "closed"}


async def test_requests_are_visible_to_the_asking_station_and_the_provider_only(api):
    provider = (await api.get("/api/v1/resource-requests", headers=department(), params={"limit": 200})).json()["items"]
    assert provider and {r["provider_department_id"] for r in provider} == {DEMO_DEPARTMENT_ID}
    asking = (await api.get("/api/v1/resource-requests", headers=station_staff(), params={"limit": 200})).json()[
        "items"
    ]
    assert asking and {r["station_id"] for r in asking} == {DEMO_STATION_ID}
    elsewhere = station_staff(station_id=OTHER_STATION_ID)
    assert all(
        r["station_id"] == OTHER_STATION_ID
        for r in (await api.get("/api/v1/resource-requests", headers=elsewhere)).json()["items"]
    )
    problem(await api.get(f"/api/v1/resource-requests/{asking[0]['id']}", headers=elsewhere), 404)
