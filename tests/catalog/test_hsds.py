"""HSDS 3.1 read API: responses validate against the standard's compiled schemas."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from catalog_service.hsds.mapping import DISTRICT_ORG_ID, STANDARD_SERVICES, TAXONOMY_ID, term_id
from catalog_service.service_lists.categories import standard_item_id
from tests.catalog.conftest import BINJIANG_STATION_ID, DEMO_SUBDISTRICT_ID, problem, station_staff

SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "standards" / "hsds-3.1"
if not SCHEMAS.exists():  # CI lays shared/ beside the clone
    SCHEMAS = Path("/work/shared/standards/hsds-3.1")
STANDARD = len(STANDARD_SERVICES)  # 30 standard items over the 7 categories
PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


@cache
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def valid(instance: dict, name: str) -> None:
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def page_of(body: dict, item_schema: str) -> list[dict]:
    assert PAGE_KEYS <= body.keys()
    assert body["size"] == len(body["contents"])
    for item in body["contents"]:
        valid(item, item_schema)
    return body["contents"]


async def test_root_describes_the_api(api):
    body = (await api.get("/hsds/")).json()
    assert body["version"] == "3.1" and body["openapi_url"].startswith("http")


async def test_services_page_envelope_and_schema(api):
    body = (await api.get("/hsds/services", params={"per_page": 40})).json()
    items = page_of(body, "compiled/service_list.json")
    assert (
        body["total_items"] == STANDARD + 2570
        and body["page_number"] == 1
        and body["first_page"]
        and not body["last_page"]
    )
    assert body["total_pages"] == -(-body["total_items"] // 40) and len(items) == 40
    last = (await api.get("/hsds/services", params={"per_page": 40, "page": body["total_pages"]})).json()
    assert last["last_page"] and not last["empty"]
    beyond = (await api.get("/hsds/services", params={"per_page": 40, "page": body["total_pages"] + 1})).json()
    assert beyond["empty"] and beyond["contents"] == []


async def test_service_filters(api):
    legal = (
        await api.get("/hsds/services", params={"taxonomy_term_id": str(term_id("legal")), "per_page": 500})
    ).json()
    assert legal["total_items"] > 7 and all(
        s["alternate_name"] == "法律服务" for s in page_of(legal, "compiled/service_list.json")
    )
    none = (await api.get("/hsds/services", params={"taxonomy_id": "00000000-0000-0000-0000-000000000000"})).json()
    assert none["total_items"] == 0 and none["empty"]
    ours = (await api.get("/hsds/services", params={"taxonomy_id": str(TAXONOMY_ID)})).json()
    assert ours["total_items"] == STANDARD + 2570
    district = (
        await api.get("/hsds/services", params={"organization_id": str(DISTRICT_ORG_ID), "per_page": 100})
    ).json()
    assert district["total_items"] == STANDARD
    lujiazui = (
        await api.get("/hsds/services", params={"organization_id": DEMO_SUBDISTRICT_ID, "per_page": 100})
    ).json()
    assert lujiazui["total_items"] == 2 * 31  # two optional items at each of its 31 stations
    found = (await api.get("/hsds/services", params={"search": "太极拳"})).json()
    assert found["total_items"] > 0 and all("太极拳" in s["name"] for s in found["contents"])
    recent = (await api.get("/hsds/services", params={"modified_after": "2026-11-02T00:00:00Z"})).json()
    assert recent["total_items"] == 0
    item = {"station_id": BINJIANG_STATION_ID, "category": "health", "title": "新开的健康小屋"}
    await api.post("/api/v1/service-items", headers=station_staff(station_id=BINJIANG_STATION_ID), json=item)
    recent = (await api.get("/hsds/services", params={"modified_after": "2026-11-02T00:00:00Z"})).json()
    assert [s["name"] for s in recent["contents"]] == ["新开的健康小屋"]
    problem(await api.get("/hsds/services", params={"modified_after": "last week"}), 422, field="modified_after")
    problem(await api.get("/hsds/services", params={"per_page": 0}), 422, field="per_page")


async def test_one_service_fully_nested(api):
    standard = (await api.get(f"/hsds/services/{standard_item_id('legal', '法律援助')}")).json()
    valid(standard, "compiled/service.json")
    assert standard["organization"]["id"] == str(DISTRICT_ORG_ID)
    assert len(standard["service_at_locations"]) == 1285
    assert standard["attributes"][0]["taxonomy_term"]["code"] == "legal"
    optional_id = (await api.get("/hsds/services", params={"search": "太极拳", "per_page": 1})).json()["contents"][0][
        "id"
    ]
    optional = (await api.get(f"/hsds/services/{optional_id}")).json()
    valid(optional, "compiled/service.json")
    assert optional["schedules"][0]["freq"] == "WEEKLY" and optional["capacities"][0]["maximum"] == 30
    problem(await api.get("/hsds/services/00000000-0000-0000-0000-000000000000"), 404)


async def test_organizations(api):
    body = (await api.get("/hsds/organizations", params={"per_page": 500})).json()
    orgs = page_of(body, "compiled/organization_list.json")
    assert body["total_items"] == 1 + 36 + 297
    culture = (
        await api.get("/hsds/organizations", params={"taxonomy_term_id": str(term_id("legal")), "per_page": 500})
    ).json()
    assert 37 < culture["total_items"] < body["total_items"]
    search = (await api.get("/hsds/organizations", params={"search": "陆家嘴街道民政科"})).json()
    assert [o["name"] for o in search["contents"]] == ["陆家嘴街道民政科"]
    lujiazui = (await api.get(f"/hsds/organizations/{DEMO_SUBDISTRICT_ID}")).json()
    valid(lujiazui, "compiled/organization.json")
    assert len(lujiazui["locations"]) == 31 and lujiazui["parent_organization_id"] == str(DISTRICT_ORG_ID)
    district = next(o for o in orgs if o["id"] == str(DISTRICT_ORG_ID))
    valid((await api.get(f"/hsds/organizations/{district['id']}")).json(), "compiled/organization.json")


async def test_service_at_locations_page_filters_and_detail(api):
    body = (await api.get("/hsds/service_at_locations", params={"per_page": 100, "page": 3})).json()
    items = page_of(body, "compiled/service_at_location_list.json")
    assert body["total_items"] == 1285 * STANDARD + 2570 and len(items) == 100
    one = (await api.get(f"/hsds/service_at_locations/{items[0]['id']}")).json()
    valid(one, "compiled/service_at_location.json")
    assert one["location"]["addresses"][0]["country"] == "CN"
    assert any(s.get("byday") == "MO,TU,WE,TH,FR" for s in one["location"]["schedules"])
    station = (
        await api.get(
            "/hsds/service_at_locations",
            params={"search": "滨江居委会", "taxonomy_term_id": str(term_id("culture")), "per_page": 100},
        )
    ).json()
    names = {item["service"]["name"] for item in page_of(station, "compiled/service_at_location_list.json")}
    assert {"太极拳晨练班", "社区小图书馆", "文艺活动"} <= names
    optional = next(i for i in station["contents"] if i["service"]["name"] == "太极拳晨练班")
    valid((await api.get(f"/hsds/service_at_locations/{optional['id']}")).json(), "compiled/service_at_location.json")
    lujiazui = (await api.get("/hsds/service_at_locations", params={"organization_id": DEMO_SUBDISTRICT_ID})).json()
    assert lujiazui["total_items"] == 31 * STANDARD + 31 * 2


async def test_taxonomies_and_terms(api):
    body = (await api.get("/hsds/taxonomies")).json()
    for item in page_of(body, "taxonomy.json"):
        assert item["id"] == str(TAXONOMY_ID)
    terms = (await api.get("/hsds/taxonomy_terms", params={"taxonomy_id": str(TAXONOMY_ID)})).json()
    assert [t["code"] for t in page_of(terms, "taxonomy_term.json")][:2] == ["party_mass", "government_affairs"]
    assert terms["total_items"] == 7
    found = (await api.get("/hsds/taxonomy_terms", params={"search": "法律"})).json()
    assert [t["code"] for t in found["contents"]] == ["legal"]


@pytest.mark.parametrize(
    ("path", "schema", "count"),
    [
        ("/hsds/services", "compiled/service_list.json", STANDARD + 2570),
        ("/hsds/organizations", "compiled/organization_list.json", 334),
        ("/hsds/taxonomy_terms", "taxonomy_term.json", 7),
    ],
)
async def test_ndjson_streams_every_result(api, path, schema, count):
    response = await api.get(path, params={"format": "ndjson", "per_page": 5})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines() if line]
    assert len(lines) == count
    for line in lines[:50]:
        valid(line, schema)
