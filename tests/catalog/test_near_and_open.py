"""Near and open: the 15-minute walk, "open now" / "open at", coverage reports."""

from __future__ import annotations

from datetime import UTC, datetime

from catalog_service.demo.places import PLACES
from catalog_service.stations.geography import haversine_metres
from tests.catalog.conftest import DEMO_STATION_ID, DEMO_SUBDISTRICT_ID, problem, station_staff
from tests.conftest import bearer

LUJIAZUI = {"latitude": 31.2298, "longitude": 121.5201}  # the demo station


async def test_stations_within_a_fifteen_minute_walk_nearest_first(api):
    response = await api.get("/api/v1/stations/nearby", params=LUJIAZUI)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == {
        "max_minutes": 15.0,
        "detour_factor": 1.25,
        "speed_kmh": 5.0,
        "straight_line_metres": 1000.0,
    }
    items = body["items"]
    assert items[0]["station"]["id"] == DEMO_STATION_ID and items[0]["distance_metres"] == 0
    distances = [item["distance_metres"] for item in items]
    assert distances == sorted(distances) and len(items) > 3
    for item in items:
        station = item["station"]
        straight = haversine_metres(
            LUJIAZUI["latitude"], LUJIAZUI["longitude"], station["latitude"], station["longitude"]
        )
        assert straight <= 1000.0 + 0.1
        assert abs(item["walking_minutes"] - straight * 1.25 * 60 / 5000) < 0.01


async def test_slower_walkers_reach_fewer_stations(api):
    usual = (await api.get("/api/v1/stations/nearby", params=LUJIAZUI)).json()["items"]
    slow = (await api.get("/api/v1/stations/nearby", params={**LUJIAZUI, "speed_kmh": 2.5})).json()
    assert slow["model"]["straight_line_metres"] == 500.0
    assert 0 < len(slow["items"]) < len(usual)
    assert all(item["walking_minutes"] <= 15 for item in slow["items"])
    winding = (await api.get("/api/v1/stations/nearby", params={**LUJIAZUI, "detour_factor": 2.0})).json()
    assert len(winding["items"]) < len(usual)


async def test_the_walk_search_answers_anywhere_in_pudong_and_nowhere_else(api):
    for place in PLACES:
        response = await api.get(
            "/api/v1/stations/nearby", params={"latitude": place.latitude, "longitude": place.longitude}
        )
        assert response.status_code == 200
        assert response.json()["items"], place.name  # every subdistrict's centre is within a walk of a station
    beijing = await api.get("/api/v1/stations/nearby", params={"latitude": 39.9, "longitude": 116.4})
    assert beijing.json()["items"] == []


async def test_open_at_respects_split_periods_weekends_and_exceptions(api):
    wednesday = await api.get("/api/v1/stations/nearby", params={**LUJIAZUI, "open_at": "2026-12-09T10:00:00"})
    items = wednesday.json()["items"]
    assert items and all(item["open"] for item in items)
    lunch = await api.get("/api/v1/stations/nearby", params={**LUJIAZUI, "open_at": "2026-12-09T12:00:00+08:00"})
    assert lunch.json()["items"] == []  # between the morning and the afternoon periods
    sunday = await api.get("/api/v1/stations/nearby", params={**LUJIAZUI, "open_at": "2026-12-13T10:00:00"})
    assert sunday.json()["items"] == []
    service_day = await api.get("/api/v1/stations/nearby", params={**LUJIAZUI, "open_at": "2026-12-06T10:00:00"})
    assert service_day.json()["items"]  # a dated exception opens them on that Sunday
    national_day = await api.get("/api/v1/stations", params={"open_at": "2026-10-01T10:00:00"})
    assert national_day.json()["items"] == []


async def test_open_now_uses_the_clock(api, catalog):
    catalog.app.state.clock = lambda: datetime(2026, 12, 9, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
    open_now = (
        await api.get(
            "/api/v1/stations", params={"open_now": "true", "subdistrict_id": DEMO_SUBDISTRICT_ID, "limit": 200}
        )
    ).json()["items"]
    assert len(open_now) == 31
    catalog.app.state.clock = lambda: datetime(2026, 12, 9, 13, 0, tzinfo=UTC)  # 21:00: every station closed
    assert (await api.get("/api/v1/stations", params={"open_now": "true"})).json()["items"] == []
    hours = (await api.get(f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours")).json()
    assert hours["open"] is False and hours["next_opening"].startswith("2026-12-10T08:30")


async def test_bad_walk_parameters_name_the_field(api):
    problem(
        await api.get("/api/v1/stations/nearby", params={"latitude": 200, "longitude": 121.5}), 422, field="latitude"
    )
    problem(
        await api.get("/api/v1/stations/nearby", params={"latitude": 31.2, "longitude": "east"}), 422, field="longitude"
    )
    problem(
        await api.get("/api/v1/stations/nearby", params={**LUJIAZUI, "detour_factor": 0.5}), 422, field="detour_factor"
    )
    problem(await api.get("/api/v1/stations/nearby", params={**LUJIAZUI, "speed_kmh": 0}), 422, field="speed_kmh")
    problem(await api.get("/api/v1/stations", params={"open_at": "yesterday"}), 422, field="open_at")


async def test_subdistrict_coverage_report_over_a_grid(api):
    response = await api.get(
        f"/api/v1/coverage/subdistricts/{DEMO_SUBDISTRICT_ID}",
        headers=station_staff(),
        params={"spacing_metres": 300, "worst_count": 5},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["area"] == "陆家嘴街道" and report["point_count"] > 50
    assert report["covered_count"] <= report["point_count"]
    assert 0.8 <= report["covered_share"] <= 1.0
    minutes = [point["walking_minutes"] for point in report["worst_served"]]
    assert len(minutes) == 5 and minutes == sorted(minutes, reverse=True)
    slow = (
        await api.get(
            f"/api/v1/coverage/subdistricts/{DEMO_SUBDISTRICT_ID}",
            headers=station_staff(),
            params={"spacing_metres": 300, "speed_kmh": 2},
        )
    ).json()
    assert slow["covered_share"] < report["covered_share"]
    problem(await api.get(f"/api/v1/coverage/subdistricts/{DEMO_SUBDISTRICT_ID}", headers=bearer("resident")), 403)


async def test_coverage_of_uploaded_points_names_the_worst_served(api):
    points = [
        {**LUJIAZUI, "label": "福山路"},
        {"latitude": 31.2330, "longitude": 121.5080, "label": "陆家嘴环路"},
        {"latitude": 31.3900, "longitude": 121.9700, "label": "长江口"},
    ]
    response = await api.post("/api/v1/coverage", headers=station_staff(), json={"points": points, "worst_count": 1})
    report = response.json()
    assert report["point_count"] == 3 and report["covered_count"] == 2
    assert abs(report["covered_share"] - 2 / 3) < 0.001
    assert report["worst_served"][0]["label"] == "长江口" and report["worst_served"][0]["walking_minutes"] > 15
    problem(
        await api.post(
            "/api/v1/coverage", headers=station_staff(), json={"points": [{"latitude": 91, "longitude": 0}]}
        ),
        422,
        field="points.0.latitude",
    )


async def test_coverage_of_an_uploaded_csv_reports_every_bad_line(api):
    good = "address,latitude,longitude\n福山路,31.2298,121.5201\n长江口,31.39,121.97\n"
    response = await api.post(
        "/api/v1/coverage.csv", headers={**station_staff(), "content-type": "text/csv"}, content=good
    )
    assert response.status_code == 200, response.text
    assert response.json()["point_count"] == 2 and response.json()["worst_served"][0]["label"] == "长江口"
    bad = "address,latitude,longitude\n福山路,31.2298,121.5201\n坏,abc,121.5\n更坏,31.2,999\n"
    body = problem(
        await api.post("/api/v1/coverage.csv", headers={**station_staff(), "content-type": "text/csv"}, content=bad),
        422,
        code="invalid_rows",
    )
    assert [(e["line"], e["field"]) for e in body["errors"]] == [(3, "latitude"), (4, "longitude")]
