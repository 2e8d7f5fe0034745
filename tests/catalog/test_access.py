"""Access exactly as the issue says: public reads; station staff their own station's optional items and
demands; departments their own resources and the requests addressed to them; subdistrict admins their
subdistrict; district admins everything; anyone else 403."""

from __future__ import annotations

import pytest

from shared.ids import stable_id
from tests.catalog.conftest import (
    DEMO_DEPARTMENT_ID,
    DEMO_STATION_ID,
    DEMO_SUBDISTRICT_ID,
    OTHER_STATION_ID,
    OTHER_SUBDISTRICT_ID,
    department,
    district_admin,
    station_staff,
    subdistrict_admin,
)
from tests.conftest import bearer

PUBLIC = [
    "/api/v1/subdistricts",
    "/api/v1/communities",
    "/api/v1/stations",
    f"/api/v1/stations/{DEMO_STATION_ID}",
    f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours",
    f"/api/v1/stations/{DEMO_STATION_ID}/service-list",
    "/api/v1/stations/nearby?latitude=31.23&longitude=121.52",
    "/api/v1/service-categories",
    "/api/v1/service-items",
    "/api/v1/departments",
    "/api/v1/stations.csv",
    f"/wall/stations/{DEMO_STATION_ID}",
    "/hsds/services",
    "/hsds/organizations",
]


@pytest.mark.parametrize("path", PUBLIC)
async def test_public_reads_need_no_token(api, path):
    assert (await api.get(path)).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/resources", "/api/v1/demands", "/api/v1/resource-requests", "/api/v1/staff", "/api/v1/staff.csv"]
)
async def test_other_reads_need_a_role_and_residents_get_403(api, path):
    assert (await api.get(path)).status_code == 401
    assert (await api.get(path, headers=bearer("resident", station_id=DEMO_STATION_ID))).status_code == 403
    assert (await api.get(path, headers=bearer("integration_client"))).status_code == 200


def _item(station_id: str) -> dict:
    return {"station_id": station_id, "category": "culture", "title": "读书会"}


def _demand(station_id: str) -> dict:
    return {"station_id": station_id, "category": "culture", "title": "需要读书会老师"}


@pytest.mark.parametrize(
    ("headers", "station_id", "allowed"),
    [
        (station_staff("receptionist"), DEMO_STATION_ID, True),
        (station_staff("secretary"), DEMO_STATION_ID, True),
        (station_staff("social_worker"), OTHER_STATION_ID, False),
        (subdistrict_admin(), DEMO_STATION_ID, True),
        (subdistrict_admin(), OTHER_STATION_ID, False),
        (subdistrict_admin(OTHER_SUBDISTRICT_ID), OTHER_STATION_ID, True),
        (district_admin(), OTHER_STATION_ID, True),
        (department(), DEMO_STATION_ID, False),
        (bearer("resident", station_id=DEMO_STATION_ID), DEMO_STATION_ID, False),
        (bearer("integration_client"), DEMO_STATION_ID, False),
    ],
)
async def test_who_manages_a_stations_optional_items_and_demands(api, headers, station_id, allowed):
    item = await api.post("/api/v1/service-items", headers=headers, json=_item(station_id))
    demand = await api.post("/api/v1/demands", headers=headers, json=_demand(station_id))
    expected = 201 if allowed else 403
    assert (item.status_code, demand.status_code) == (expected, expected), (item.text, demand.text)


def _resource(department_id: str) -> dict:
    return {
        "title": "测试资源",
        "category": "culture",
        "department_id": department_id,
        "capacity": 1,
        "availability": [{"starts_on": "2026-12-01", "ends_on": "2026-12-31"}],
    }


@pytest.mark.parametrize(
    ("headers", "department_id", "allowed"),
    [
        (department(), DEMO_DEPARTMENT_ID, True),
        (department(), str(stable_id("department", "陆家嘴街道", "justice")), False),
        (subdistrict_admin(), str(stable_id("department", "陆家嘴街道", "justice")), True),
        (subdistrict_admin(), str(stable_id("department", "district", "culture")), False),
        (district_admin(), str(stable_id("department", "district", "culture")), True),
        (station_staff("secretary"), DEMO_DEPARTMENT_ID, False),
        (bearer("integration_client"), DEMO_DEPARTMENT_ID, False),
    ],
)
async def test_who_publishes_resources(api, headers, department_id, allowed):
    response = await api.post("/api/v1/resources", headers=headers, json=_resource(department_id))
    assert response.status_code == (201 if allowed else 403), response.text


async def test_structure_and_staff_are_managed_by_admins_of_the_subdistrict_only(api):
    body = {"name": "新人", "role": "receptionist", "station_id": DEMO_STATION_ID}
    assert (await api.post("/api/v1/staff", headers=station_staff("secretary"), json=body)).status_code == 403
    assert (
        await api.post("/api/v1/staff", headers=subdistrict_admin(OTHER_SUBDISTRICT_ID), json=body)
    ).status_code == 403
    assert (await api.post("/api/v1/staff", headers=subdistrict_admin(), json=body)).status_code == 201
    hours = {"weekly_periods": [{"weekday": 0, "opens": "09:00", "closes": "17:00"}]}
    path = f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours"
    assert (await api.put(path, headers=station_staff("secretary"), json=hours)).status_code == 403
    assert (await api.put(path, headers=subdistrict_admin(OTHER_SUBDISTRICT_ID), json=hours)).status_code == 403
    assert (await api.put(path, headers=subdistrict_admin(), json=hours)).status_code == 200
    community = {"subdistrict_id": DEMO_SUBDISTRICT_ID, "name": "新社区"}
    assert (await api.post("/api/v1/communities", headers=department(), json=community)).status_code == 403
    assert (await api.post("/api/v1/communities", headers=subdistrict_admin(), json=community)).status_code == 201
    assert (
        await api.post("/api/v1/subdistricts", headers=subdistrict_admin(), json={"name": "新区", "kind": "town"})
    ).status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/staff", "/api/v1/staff.csv", "/api/v1/resource-requests"])
@pytest.mark.parametrize(
    "claims",
    [
        {"role": "subdistrict_admin", "subdistrict_id": "not-a-uuid"},
        {"role": "social_worker", "station_id": "站点-1"},
        {"role": "department", "department_id": "12345", "subdistrict_id": DEMO_SUBDISTRICT_ID},
    ],
)
async def test_a_malformed_scope_claim_sees_nothing_and_never_fails(api, path, claims):
    """A token whose scope claim is not an id (another system's key, a typo in the provider's mapping)
    scopes the caller to nothing: an empty answer, not a 500 and not everything."""
    scope = {key: value for key, value in claims.items() if key != "role"}
    response = await api.get(path, headers=bearer(claims["role"], **scope))
    assert response.status_code == 200, response.text
    if path.endswith(".csv"):
        assert len(response.text.strip().splitlines()) == 1  # the header row only
    else:
        assert response.json()["items"] == []
