"""Structure and staff: subdistricts, communities, stations with hours, departments, staff; their events."""

from __future__ import annotations

import sqlalchemy as sa

from catalog_service.stations.models import Station
from shared.events import EventEnvelope
from shared.events.tables import outbox_message
from shared.ids import stable_id
from tests.catalog.conftest import (
    DEMO_COMMUNITY_ID,
    DEMO_DEPARTMENT_ID,
    DEMO_STATION_ID,
    DEMO_SUBDISTRICT_ID,
    OTHER_SUBDISTRICT_ID,
    department,
    district_admin,
    problem,
    station_staff,
    subdistrict_admin,
)
from tests.conftest import bearer

STATION_CONTRACT = {
    "id",
    "name",
    "subdistrict_id",
    "subdistrict_name",
    "community_id",
    "community_name",
    "address",
    "latitude",
    "longitude",
    "phone",
    "opening_hours",
    "time_zone",
}
STAFF_CONTRACT = {
    "id",
    "name",
    "role",
    "station_id",
    "community_id",
    "subdistrict_id",
    "department_id",
    "service_categories",
    "active",
}


async def _events(catalog, event_type: str) -> list[EventEnvelope]:
    async with catalog.database.sessionmaker() as session:
        payloads = (
            await session.scalars(sa.select(outbox_message.c.payload).where(outbox_message.c.event_type == event_type))
        ).all()
    return [EventEnvelope.from_json(payload) for payload in payloads]


def _new_station(**overrides) -> dict:
    body = {
        "subdistrict_id": DEMO_SUBDISTRICT_ID,
        "community_name": "测试居委会",
        "name": "测试居委会家门口服务站",
        "address": "银城中路1号",
        "latitude": 31.236,
        "longitude": 121.503,
        "phone": "021-50000000",
        "opening_hours": {
            "weekly_periods": [
                {"weekday": 0, "opens": "08:30", "closes": "11:30"},
                {"weekday": 0, "opens": "13:00", "closes": "20:00"},
            ],
            "exceptions": [{"day": "2026-12-25", "periods": [], "note": "社区活动"}],
        },
    }
    body.update(overrides)
    return body


async def test_demo_structure_holds_the_district(api):
    subdistricts = (await api.get("/api/v1/subdistricts")).json()["items"]
    assert len(subdistricts) == 36
    station = (await api.get(f"/api/v1/stations/{DEMO_STATION_ID}")).json()
    assert station["community_id"] == DEMO_COMMUNITY_ID
    assert station["community_name"] == "市新居委会"
    community = (await api.get(f"/api/v1/communities/{DEMO_COMMUNITY_ID}")).json()
    assert community["station_id"] == DEMO_STATION_ID


async def test_demo_staff_and_department_have_the_briefing_ids(api):
    for role in ("receptionist", "social_worker", "secretary"):
        staff_id = stable_id("staff", "陆家嘴街道", "市新居委会", role)
        member = (await api.get(f"/api/v1/staff/{staff_id}", headers=district_admin())).json()
        assert member["role"] == role and member["station_id"] == DEMO_STATION_ID
    worker = (
        await api.get(
            f"/api/v1/staff/{stable_id('staff', '陆家嘴街道', '市新居委会', 'social_worker')}", headers=district_admin()
        )
    ).json()
    assert worker["name"] == "陆伟"
    civil_affairs = (await api.get(f"/api/v1/departments/{DEMO_DEPARTMENT_ID}")).json()
    assert civil_affairs["name"] == "陆家嘴街道民政科" and civil_affairs["subdistrict_id"] == DEMO_SUBDISTRICT_ID


async def test_every_subdistrict_has_its_acceptance_centre_and_district_departments_exist(api):
    centres = (
        await api.get("/api/v1/departments", params={"kind": "acceptance_centre", "level": "subdistrict", "limit": 200})
    ).json()
    assert len(centres["items"]) == 36
    assert all("government_affairs" in item["service_categories"] for item in centres["items"])
    district = (await api.get("/api/v1/departments", params={"level": "district", "limit": 200})).json()["items"]
    assert district and all(item["subdistrict_id"] is None for item in district)


async def test_station_created_with_split_hours_and_exception_publishes_the_contract(api, catalog):
    response = await api.post("/api/v1/stations", headers=subdistrict_admin(), json=_new_station())
    assert response.status_code == 201, response.text
    station = response.json()
    assert station["id"] == str(stable_id("station", "陆家嘴街道", "测试居委会"))
    assert station["community_id"] == str(stable_id("community", "陆家嘴街道", "测试居委会"))
    hours = station["opening_hours"]
    assert [p["opens"] for p in hours["weekly_periods"]] == ["08:30", "13:00"]
    assert hours["exceptions"] == [{"day": "2026-12-25", "periods": [], "note": "社区活动"}]
    created = [e for e in await _events(catalog, "station.created") if e.subject == station["id"]]
    assert len(created) == 1
    data = created[0].data
    assert STATION_CONTRACT <= data.keys()
    assert data["subdistrict_name"] == "陆家嘴街道" and data["time_zone"] == "Asia/Shanghai"
    assert data["opening_hours"]["weekly_periods"][1] == {"weekday": 0, "opens": "13:00", "closes": "20:00"}


async def test_station_update_and_hours_change_publish_station_updated(api, catalog):
    response = await api.patch(f"/api/v1/stations/{DEMO_STATION_ID}", headers=district_admin(), json={"phone": "021-1"})
    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "021-1"
    hours = {"weekly_periods": [{"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(5)]}
    response = await api.put(f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours", headers=district_admin(), json=hours)
    assert response.status_code == 200, response.text
    updates = [e for e in await _events(catalog, "station.updated") if e.subject == DEMO_STATION_ID]
    assert len(updates) == 2
    assert updates[-1].data["opening_hours"]["weekly_periods"][0] == {"weekday": 0, "opens": "09:00", "closes": "17:00"}


async def test_dated_exception_closes_a_station_on_that_day_only(api):
    headers = district_admin()
    response = await api.put(
        f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours/exceptions/2026-12-02",
        headers=headers,
        json={"periods": [], "note": "设备检修"},
    )
    assert response.status_code == 200, response.text
    closed = (
        await api.get(f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours", params={"at": "2026-12-02T10:00:00"})
    ).json()
    assert closed["open"] is False and closed["next_opening"].startswith("2026-12-03T08:30")
    usual = (
        await api.get(f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours", params={"at": "2026-12-09T10:00:00"})
    ).json()
    assert usual["open"] is True and usual["closes_at"].startswith("2026-12-09T11:30")
    removed = await api.delete(
        f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours/exceptions/2026-12-02", headers=headers
    )
    assert removed.status_code == 200
    again = (
        await api.get(f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours", params={"at": "2026-12-02T10:00:00"})
    ).json()
    assert again["open"] is True


async def test_overlapping_and_inverted_hours_are_refused_naming_the_field(api):
    overlapping = {
        "weekly_periods": [
            {"weekday": 0, "opens": "08:30", "closes": "12:00"},
            {"weekday": 0, "opens": "11:00", "closes": "14:00"},
        ]
    }
    response = await api.put(
        f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours", headers=district_admin(), json=overlapping
    )
    problem(response, 422, field="opening_hours.weekly_periods[1].opens", code="overlapping_period")
    inverted = {"weekly_periods": [{"weekday": 2, "opens": "20:00", "closes": "08:00"}]}
    response = await api.put(
        f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours", headers=district_admin(), json=inverted
    )
    problem(response, 422, field="opening_hours.weekly_periods[0].closes", code="closes_not_after_opens")
    response = await api.post("/api/v1/stations", headers=district_admin(), json=_new_station(opening_hours=inverted))
    problem(response, 422, field="opening_hours.weekly_periods[0].closes")
    bad_exception = await api.put(
        f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours/exceptions/2026-12-03",
        headers=district_admin(),
        json={"periods": [{"opens": "25:00", "closes": "26:00"}]},
    )
    problem(bad_exception, 422, field="periods[0].opens", code="not_hh_mm")
    hours = (await api.get(f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours")).json()["opening_hours"]
    assert not any(item["day"] == "2026-12-03" for item in hours["exceptions"])


async def test_invalid_coordinates_are_refused_and_nothing_is_written(api, catalog):
    for body, field in (
        (_new_station(latitude=131.2), "latitude"),
        (_new_station(longitude=-200), "longitude"),
        (_new_station(latitude=39.9, longitude=116.4), "latitude"),  # Beijing: not in Pudong
    ):
        problem(await api.post("/api/v1/stations", headers=district_admin(), json=body), 422, field=field)
    async with catalog.database.sessionmaker() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Station)) == 1285


async def test_one_station_per_community(api):
    body = _new_station(community_name="市新居委会")
    problem(await api.post("/api/v1/stations", headers=district_admin(), json=body), 409, code="station_exists")


async def test_subdistrict_admin_cannot_open_a_station_elsewhere(api):
    body = _new_station(subdistrict_id=OTHER_SUBDISTRICT_ID, latitude=31.1, longitude=121.58)
    problem(await api.post("/api/v1/stations", headers=subdistrict_admin(), json=body), 403)
    problem(await api.post("/api/v1/stations", headers=station_staff("secretary"), json=_new_station()), 403)


async def test_departments_with_categories_publish_events_and_refuse_unknown_categories(api, catalog):
    body = {
        "name": "陆家嘴街道退役军人服务站",
        "kind": "veterans",
        "subdistrict_id": DEMO_SUBDISTRICT_ID,
        "service_categories": ["daily_life", "legal"],
    }
    response = await api.post("/api/v1/departments", headers=subdistrict_admin(), json=body)
    assert response.status_code == 201, response.text
    department_id = response.json()["id"]
    created = [e for e in await _events(catalog, "department.created") if e.subject == department_id]
    assert created[0].data["service_categories"] == ["daily_life", "legal"]
    assert {"id", "name", "kind", "subdistrict_id", "service_categories"} <= created[0].data.keys()
    patch = await api.patch(
        f"/api/v1/departments/{department_id}",
        headers=subdistrict_admin(),
        json={"service_categories": ["daily_life", "cooking"]},
    )
    problem(patch, 422, field="service_categories[1]", code="unknown_category")
    district_level = {**body, "subdistrict_id": None, "kind": "veterans_district"}
    problem(await api.post("/api/v1/departments", headers=subdistrict_admin(), json=district_level), 403)
    again = await api.post("/api/v1/departments", headers=subdistrict_admin(), json=body)
    problem(again, 409, code="department_exists")


async def test_staff_directory_roles_events_and_removal(api, catalog):
    body = {
        "name": "王小明",
        "role": "joint_receptionist",
        "station_id": DEMO_STATION_ID,
        "service_categories": ["government_affairs"],
    }
    response = await api.post("/api/v1/staff", headers=subdistrict_admin(), json=body)
    assert response.status_code == 201, response.text
    member = response.json()
    assert member["community_id"] == DEMO_COMMUNITY_ID and member["subdistrict_id"] == DEMO_SUBDISTRICT_ID
    moved = await api.patch(
        f"/api/v1/staff/{member['id']}",
        headers=subdistrict_admin(),
        json={"role": "department_staff", "department_id": DEMO_DEPARTMENT_ID},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["station_id"] is None and moved.json()["department_id"] == DEMO_DEPARTMENT_ID
    removed = await api.delete(f"/api/v1/staff/{member['id']}", headers=subdistrict_admin())
    assert removed.json()["active"] is False
    kinds = {}
    for event_type in ("staff.created", "staff.updated", "staff.removed"):
        found = [e for e in await _events(catalog, event_type) if e.subject == member["id"]]
        assert len(found) == 1, event_type
        assert STAFF_CONTRACT <= found[0].data.keys()
        kinds[event_type] = found[0].data
    assert kinds["staff.removed"]["active"] is False
    assert kinds["staff.updated"]["role"] == "department_staff"


async def test_staff_need_the_right_place_for_their_role(api):
    body = {"name": "缺站点", "role": "social_worker", "service_categories": []}
    problem(await api.post("/api/v1/staff", headers=district_admin(), json=body), 422, field="station_id")
    body = {"name": "错类别", "role": "social_worker", "station_id": DEMO_STATION_ID, "service_categories": ["x"]}
    problem(await api.post("/api/v1/staff", headers=district_admin(), json=body), 422, field="service_categories[0]")
    body = {
        "name": "部门",
        "role": "department_staff",
        "department_id": DEMO_DEPARTMENT_ID,
        "station_id": DEMO_STATION_ID,
    }
    problem(await api.post("/api/v1/staff", headers=district_admin(), json=body), 422, field="station_id")


async def test_staff_directory_is_scoped_to_the_caller(api):
    own = (await api.get("/api/v1/staff", headers=station_staff(), params={"limit": 200})).json()["items"]
    assert len(own) == 8 and {m["station_id"] for m in own} == {DEMO_STATION_ID}
    dept = (await api.get("/api/v1/staff", headers=department())).json()["items"]
    assert dept and {m["department_id"] for m in dept} == {DEMO_DEPARTMENT_ID}
    problem(await api.get("/api/v1/staff"), 401)
    problem(await api.get("/api/v1/staff", headers=bearer("resident", station_id=DEMO_STATION_ID)), 403)
