"""Holidays once (issue 15, point 9): a district- or subdistrict-wide closure or working-day swap in one call."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from hypothesis import given
from hypothesis import strategies as st

from catalog_service.closures.rules import with_day, without_day
from catalog_service.stations.hours import STANDARD_HOURS, normalise
from tests.catalog.conftest import OTHER_STATION_ID, OTHER_SUBDISTRICT_ID, problem
from tests.catalog.fresh import open_station
from tests.conftest import DEMO_STATION_ID, DEMO_SUBDISTRICT_ID, bearer, eventually

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADMIN = bearer("district_admin")
LUJIAZUI_ADMIN = bearer("subdistrict_admin", subdistrict_id=DEMO_SUBDISTRICT_ID)
WEDNESDAY = date(2027, 3, 10)
SATURDAY = date(2027, 3, 13)


def _stamp(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).isoformat()


async def _open_at(http: httpx.AsyncClient, station_id: str, at: str) -> bool:
    response = await http.get(f"/api/v1/stations/{station_id}/opening-hours", params={"at": at})
    assert response.status_code == 200, response.text
    return response.json()["open"]


# --- end to end: the SLA clock of a ticket skips the closed day -----------------------------------------


async def _raise(client: httpx.AsyncClient, station_id: str, subdistrict_id: str) -> dict[str, Any]:
    headers = bearer("receptionist", "closure-desk", station_id=station_id, subdistrict_id=subdistrict_id)
    body = {
        "station_id": station_id,
        "channel": "phone",
        "service_category": "daily_life",
        "description": "楼道灯坏了",
        "resident_name": "赵阿姨",
        "resident_phone": "13700000000",
    }
    response = await client.post("/api/v1/tickets", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_subdistrict_wide_closure_stops_the_sla_clock_that_day_and_spares_other_subdistricts(client, embedded):
    response = await client.put(
        f"/api/v1/opening-hours/exceptions/{WEDNESDAY}",
        headers=LUJIAZUI_ADMIN,
        json={"scope": "subdistrict", "subdistrict_id": DEMO_SUBDISTRICT_ID, "closed": True, "note": "区级活动闭站"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["stations_changed"] == answer["stations_in_scope"] >= 2
    assert not await _open_at(client, DEMO_STATION_ID, _stamp(WEDNESDAY, 10))
    assert await _open_at(client, OTHER_STATION_ID, _stamp(WEDNESDAY, 10))

    # The ticket service's calendars take the closure from the stations' events.
    from ticket_service.stations.calendars import calendar_for
    from ticket_service.stations.models import StationCopy

    ticket_service = embedded.services["ticket"]

    async def copied() -> bool:
        async with ticket_service.state.runtime.database.sessionmaker() as session:
            station = await session.get(StationCopy, __import__("uuid").UUID(DEMO_STATION_ID))
            return station is not None and not calendar_for(station).is_open(
                datetime.fromisoformat(_stamp(WEDNESDAY, 10))
            )

    await eventually(copied)
    # Raised before the stations open on Wednesday: the acceptance clock (working minutes) starts at the
    # next opening: Wednesday outside the subdistrict, Thursday inside it.
    ticket_service.state.clock = lambda: datetime.fromisoformat(_stamp(WEDNESDAY, 6))
    inside = await _raise(client, DEMO_STATION_ID, DEMO_SUBDISTRICT_ID)
    outside = await _raise(client, OTHER_STATION_ID, OTHER_SUBDISTRICT_ID)
    inside_due = datetime.fromisoformat(inside["acceptance_due_at"]).astimezone(SHANGHAI)
    outside_due = datetime.fromisoformat(outside["acceptance_due_at"]).astimezone(SHANGHAI)
    assert outside_due.date() == WEDNESDAY
    assert inside_due.date() == WEDNESDAY + timedelta(days=1)
    assert inside_due.time() == outside_due.time()  # the same hours, one day later

    # Removed in one call: the ticket service's calendar opens again that day.
    removed = await client.delete(
        f"/api/v1/opening-hours/exceptions/{WEDNESDAY}",
        headers=LUJIAZUI_ADMIN,
        params={"scope": "subdistrict", "subdistrict_id": DEMO_SUBDISTRICT_ID},
    )
    assert removed.status_code == 200 and removed.json()["stations_changed"] == answer["stations_changed"]
    assert await _open_at(client, DEMO_STATION_ID, _stamp(WEDNESDAY, 10))


# --- the catalogue alone -----------------------------------------------------------------------------------


async def test_a_district_wide_working_day_swap_opens_all_1285_stations_on_a_saturday_afternoon(catalog, api):
    saturday_afternoon = _stamp(SATURDAY, 15)
    assert not await _open_at(api, DEMO_STATION_ID, saturday_afternoon)
    sample = (await api.get("/api/v1/stations", params={"limit": 50})).json()["items"]
    before = (await api.get(f"/api/v1/stations/{DEMO_STATION_ID}")).headers["ETag"]
    hours = {"scope": "district", "closed": False, "periods": [{"opens": "09:00", "closes": "17:00"}], "note": "调休"}
    catalog.published.clear()
    started = time.monotonic()
    response = await api.put(f"/api/v1/opening-hours/exceptions/{SATURDAY}", headers=ADMIN, json=hours)
    took = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.json()["stations_in_scope"] == response.json()["stations_changed"] == 1285
    assert took < 60, f"one call for the district took {took:.1f} s"
    for station in [*sample, {"id": OTHER_STATION_ID}]:
        assert await _open_at(api, station["id"], saturday_afternoon)
    after = (await api.get(f"/api/v1/stations/{DEMO_STATION_ID}")).headers["ETag"]
    assert after != before  # each station's version moved with its hours

    async def one_event_per_station() -> bool:
        updated = {event.data["id"] for event in catalog.published if event.type == "station.updated"}
        return len(updated) == 1285

    await eventually(one_event_per_station, timeout=60)
    event = next(event for event in catalog.published if event.data["id"] == DEMO_STATION_ID)
    swap = {"day": str(SATURDAY), "periods": [{"opens": "09:00", "closes": "17:00"}], "note": "调休"}
    assert swap in event.data["opening_hours"]["exceptions"]
    again = await api.put(f"/api/v1/opening-hours/exceptions/{SATURDAY}", headers=ADMIN, json=hours)
    assert again.json()["stations_changed"] == 0  # the same call again changes nothing
    removed = await api.delete(
        f"/api/v1/opening-hours/exceptions/{SATURDAY}", headers=ADMIN, params={"scope": "district"}
    )
    assert removed.json()["stations_changed"] == 1285
    assert not await _open_at(api, DEMO_STATION_ID, saturday_afternoon)


async def test_who_may_set_a_day_for_many_stations(api):
    closed = {"scope": "subdistrict", "subdistrict_id": DEMO_SUBDISTRICT_ID, "closed": True}
    path = f"/api/v1/opening-hours/exceptions/{WEDNESDAY}"
    problem(
        await api.put(path, headers=LUJIAZUI_ADMIN, json={**closed, "scope": "district", "subdistrict_id": None}), 403
    )
    other = bearer("subdistrict_admin", subdistrict_id=OTHER_SUBDISTRICT_ID)
    problem(await api.put(path, headers=other, json=closed), 403)
    problem(await api.put(path, headers=bearer("secretary", station_id=DEMO_STATION_ID), json=closed), 403)
    problem(await api.put(path, json=closed), 401)
    problem(
        await api.delete(path, headers=other, params={"scope": "subdistrict", "subdistrict_id": DEMO_SUBDISTRICT_ID}),
        403,
    )
    # Bad input names its field, and nothing is written.
    problem(
        await api.put(path, headers=ADMIN, json={**closed, "subdistrict_id": None}), 422, "subdistrict_id", "required"
    )
    problem(
        await api.put(path, headers=ADMIN, json={**closed, "periods": [{"opens": "09:00", "closes": "12:00"}]}),
        422,
        "periods",
        "closed_with_periods",
    )
    problem(await api.put(path, headers=ADMIN, json={**closed, "closed": False}), 422, "periods", "periods_required")
    bad = {**closed, "closed": False, "periods": [{"opens": "13:00", "closes": "12:00"}]}
    body = problem(await api.put(path, headers=ADMIN, json=bad), 422)
    assert body["field"].startswith("periods[0]"), body
    unknown = {**closed, "subdistrict_id": "00000000-0000-4000-8000-000000000000"}
    problem(await api.put(path, headers=ADMIN, json=unknown), 422, "subdistrict_id", "unknown_subdistrict")
    assert await _open_at(api, DEMO_STATION_ID, _stamp(WEDNESDAY, 10))
    # The subdistrict's own admin may.
    response = await api.put(path, headers=LUJIAZUI_ADMIN, json=closed)
    assert response.status_code == 200, response.text
    assert not await _open_at(api, DEMO_STATION_ID, _stamp(WEDNESDAY, 10))
    assert await _open_at(api, OTHER_STATION_ID, _stamp(WEDNESDAY, 10))


async def test_a_subdistrict_closure_on_sqlite_and_postgresql(catalog_api):
    station, district_admin, subdistrict_admin = await open_station(catalog_api)
    path = f"/api/v1/opening-hours/exceptions/{WEDNESDAY}"
    body = {"scope": "subdistrict", "subdistrict_id": station["subdistrict_id"], "closed": True, "note": "停电"}
    response = await catalog_api.put(path, headers=subdistrict_admin, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["stations_changed"] == 1
    assert not await _open_at(catalog_api, station["id"], _stamp(WEDNESDAY, 10))
    read = await catalog_api.get(f"/api/v1/stations/{station['id']}")
    assert read.json()["opening_hours"]["exceptions"] == [{"day": str(WEDNESDAY), "periods": [], "note": "停电"}]
    assert read.headers["ETag"].startswith('"2-')  # the station's version moved with its hours


# --- the pure rules --------------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))
PERIODS = st.sampled_from([[], [{"opens": "09:00", "closes": "17:00"}], [{"opens": "08:30", "closes": "11:30"}]])


@given(day=DAYS, periods=PERIODS, note=st.sampled_from([None, "国庆节"]), other=DAYS)
def test_setting_then_removing_a_day_restores_the_hours(day, periods, note, other):
    _, base = normalise({**STANDARD_HOURS, "exceptions": [{"day": other.isoformat(), "periods": []}]})
    changed = with_day(base, day, periods, note)
    assert with_day(changed, day, periods, note) == changed  # idempotent: repeating changes nothing
    entries = [item for item in changed["exceptions"] if item["day"] == day.isoformat()]
    assert len(entries) == 1 and entries[0]["periods"] == periods
    restored = without_day(changed, day)
    if day == other:
        assert restored == {**base, "exceptions": []}  # the station's own exception that day was replaced
    else:
        assert restored == base
    assert without_day(base, day if day != other else day + timedelta(days=1)) is None
