"""Issue 13, points 2 and 10: `GET /api/v1/me`, and every seeded person signing in to the demo world."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt
import pytest
import yaml

from catalog_service.demo.logins import RESIDENTS_AT_REPORTED_STATIONS, short_id
from catalog_service.me.capabilities import CAPABILITIES
from shared.auth import Role
from shared.ids import stable_id
from tests.conftest import DEMO_STATION_ID, DEMO_SUBDISTRICT_ID

MATRIX = yaml.safe_load((Path(__file__).parents[1] / "security" / "matrix.yaml").read_text(encoding="utf-8"))
WEIFANG_1 = stable_id("station", "潍坊新村街道", "潍坊一村")
XINCHENG = stable_id("station", "金桥镇", "新城")
JINQIAO_CULTURE = stable_id("department", "金桥镇", "culture")


def test_every_capability_is_what_the_matrix_allows() -> None:
    for capability in CAPABILITIES:
        assert capability.endpoint in MATRIX, f"{capability.name}: {capability.endpoint} is not in the matrix"
        allow = MATRIX[capability.endpoint].get("allow", {})
        allowed = (
            {str(role) for role in Role}
            if allow == "all"
            else {role for role, scope in allow.items() if scope != "none"}
        )
        assert capability.roles == allowed, f"{capability.name} differs from the matrix's {capability.endpoint}"


async def sign_in(client: httpx.AsyncClient, username: str, password: str | None = None) -> httpx.Response:
    return await client.post("/auth/token", data={"username": username, "password": password or f"demo-{username}"})


async def headers_of(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await sign_in(client, username)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def claims(response: httpx.Response) -> dict:
    return jwt.decode(response.json()["access_token"], options={"verify_signature": False})


async def test_who_am_i(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/me")).status_code == 401

    worker = (await client.get("/api/v1/me", headers=await headers_of(client, "social_worker"))).json()
    assert worker["name"] == "陆伟" and worker["roles"] == ["social_worker"] and worker["kind"] == "staff"
    assert worker["station"] == {"id": DEMO_STATION_ID, "name": "市新居委会家门口服务站"}
    assert worker["stations"] == [worker["station"]]
    assert worker["community"]["name"] == "市新居委会"
    assert worker["subdistrict"] == {"id": DEMO_SUBDISTRICT_ID, "name": "陆家嘴街道"}
    assert worker["staff"]["role"] == "social_worker" and worker["staff"]["service_categories"]
    assert "tickets.create" in worker["capabilities"] and "tickets.transition" in worker["capabilities"]
    assert "tickets.designate" not in worker["capabilities"] and "rota.manage" not in worker["capabilities"]

    secretary = (await client.get("/api/v1/me", headers=await headers_of(client, "secretary"))).json()
    assert {"tickets.designate", "tickets.backstop", "rota.manage"} <= set(secretary["capabilities"])

    department = (await client.get("/api/v1/me", headers=await headers_of(client, "department"))).json()
    assert department["kind"] == "department" and department["station"] is None
    assert department["department"]["name"] == "陆家嘴街道民政科"
    assert "ratings.follow_up" in department["capabilities"] and "tickets.create" not in department["capabilities"]

    resident = (await client.get("/api/v1/me", headers=await headers_of(client, "resident"))).json()
    assert resident["id"] == str(stable_id("resident", "demo")) and resident["name"] == "王阿姨"
    assert resident["community"]["name"] == "市新居委会" and resident["staff"] is None
    assert {"tickets.create", "meetings.vote", "meetings.register"} <= set(resident["capabilities"])
    assert "tickets.transition" not in resident["capabilities"]

    admin = (await client.get("/api/v1/me", headers=await headers_of(client, "district_admin"))).json()
    assert admin["kind"] == "administrator" and "catalog.import" in admin["capabilities"]


async def test_seeded_people_sign_in(client: httpx.AsyncClient) -> None:
    # A social worker of 潍坊一村: the seed's first social worker there.
    worker = await sign_in(client, f"sw-{short_id(WEIFANG_1)}-1")
    assert worker.status_code == 200, worker.text
    token = claims(worker)
    assert token["sub"] == str(stable_id("staff", "潍坊新村街道", "潍坊一村", "social_worker"))
    assert token["roles"] == ["social_worker"] and token["station_id"] == str(WEIFANG_1)
    assert token["subdistrict_id"] == str(stable_id("subdistrict", "潍坊新村街道"))
    me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {worker.json()['access_token']}"})).json()
    assert me["station"]["name"] == "潍坊一村家门口服务站" and me["name"] == token["name"]

    # A member of 金桥镇's culture department (a department that owns resources).
    member = await sign_in(client, f"dep-{short_id(JINQIAO_CULTURE)}-2")
    assert member.status_code == 200, member.text
    token = claims(member)
    assert token["roles"] == ["department"] and token["department_id"] == str(JINQIAO_CULTURE)
    assert token["subdistrict_id"] == str(stable_id("subdistrict", "金桥镇")) and "station_id" not in token

    # A resident of another community: 金桥镇/新城, with the id the deliberation seed's meetings use.
    resident = await sign_in(client, f"res-{short_id(XINCHENG)}-3")
    assert resident.status_code == 200, resident.text
    token = claims(resident)
    assert token["sub"] == str(stable_id("resident", "金桥镇", "新城", "3")) and token["roles"] == ["resident"]
    assert token["community_id"] == str(stable_id("community", "金桥镇", "新城")) and token["name"]

    # The named resident 0 of 市新居委会 is the demo `resident`; the eight named users still work.
    first = claims(await sign_in(client, f"res-{short_id(DEMO_STATION_ID)}-0"))
    assert first["sub"] == str(stable_id("resident", "demo")) and first["name"] == "王阿姨"
    for username in ("resident", "receptionist", "secretary", "subdistrict_admin", "integration_client"):
        assert (await sign_in(client, username)).status_code == 200


async def test_enough_residents_for_a_hearing(client: httpx.AsyncClient) -> None:
    # A hearing needs 10 residents of the community checked in (deliberation's default quorum rule).
    people = set()
    for number in range(RESIDENTS_AT_REPORTED_STATIONS):
        token = claims(await sign_in(client, f"res-{short_id(WEIFANG_1)}-{number}"))
        assert token["community_id"] == str(stable_id("community", "潍坊新村街道", "潍坊一村"))
        people.add(token["sub"])
    assert len(people) == RESIDENTS_AT_REPORTED_STATIONS >= 10


@pytest.mark.parametrize(
    ("username", "password"),
    [
        (f"sw-{short_id(WEIFANG_1)}-1", "demo-social_worker"),  # someone else's password
        (f"sw-{short_id(WEIFANG_1)}-9", None),  # no ninth social worker
        (f"res-{short_id(WEIFANG_1)}-{RESIDENTS_AT_REPORTED_STATIONS}", None),  # past the residents
        (f"sec-{short_id(JINQIAO_CULTURE)}-1", None),  # a department is no station
        ("sw-00000000-1", None),
    ],
)
async def test_unknown_logins_are_refused(client: httpx.AsyncClient, username: str, password: str | None) -> None:
    response = await sign_in(client, username, password)
    assert response.status_code == 400 and response.json()["code"] == "invalid_grant"
