"""Reports over the demo's seeded year: per social worker, station, community, subdistrict."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from datetime import timedelta

import pytest
import sqlalchemy as sa

from evaluation_service.ratings.models import Appeal, Rating
from evaluation_service.reports.scoring import SHANGHAI
from evaluation_service.seed import REPORTED, seed_demo
from evaluation_service.tickets.models import ClosedTicket
from shared.ids import stable_id
from tests.conftest import DEMO_STATION_ID, DEMO_SUBDISTRICT_ID, bearer
from tests.evaluation.conftest import (
    OTHER_SUBDISTRICT_ID,
    RECEPTIONIST,
    SECRETARY,
    SEEDED_NOW,
    SEEDED_YEAR,
    SOCIAL_WORKER,
    Harness,
    catalogue_events,
    copy_directory,
    department,
    harness_for,
    resident,
    staff,
    table_rows,
)

ADMIN = bearer("district_admin")
DEMO_YEAR = SEEDED_YEAR
VILLAGE_STATION_ID = str(stable_id("station", "周浦镇", "界村"))


def _in_year(moment, year: int = SEEDED_YEAR) -> bool:
    return moment.astimezone(SHANGHAI).year == year


async def _expected(harness: Harness, group_key: str, year: int = SEEDED_YEAR) -> dict[str, dict]:
    """Straight from the stored rows, without the service's code: counts, sums and closed tickets of the
    tickets closed in ``year``."""
    upheld = {a["rating_id"] for a in await table_rows(harness, Appeal) if a["status"] == "upheld"}
    ticket_key = {"social_worker_id": "completed_by"}.get(group_key, group_key)
    result: dict[str, dict] = defaultdict(lambda: {"count": 0, "attitude": 0, "ability": 0, "closed": 0, "low": 0})
    for ticket in await table_rows(harness, ClosedTicket):
        if _in_year(ticket["closed_at"], year):
            result[str(ticket[ticket_key])]["closed"] += 1
    for rating in await table_rows(harness, Rating):
        if rating["id"] in upheld or not _in_year(rating["ticket_closed_at"], year):
            continue
        item = result[str(rating[group_key])]
        item["count"] += 1
        item["attitude"] += rating["attitude"]
        item["ability"] += rating["ability"]
        item["low"] += rating["attitude"] <= 2 or rating["ability"] <= 2
    return result


@pytest.mark.parametrize(
    ("level", "group_key"),
    [
        ("stations", "station_id"),
        ("communities", "community_id"),
        ("subdistricts", "subdistrict_id"),
        ("social-workers", "social_worker_id"),
    ],
)
async def test_each_level_counts_means_and_response_rate_match_the_seeded_ratings(seeded, level, group_key):
    response = await seeded.client.get(
        f"/api/v1/evaluations/reports/{level}", params={"year": DEMO_YEAR}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    report = response.json()
    expected = await _expected(seeded, group_key)
    assert {item["id"] for item in report["items"]} == set(expected)
    for item in report["items"]:
        want = expected[item["id"]]
        summary = item["summary"]
        assert summary["count"] == want["count"]
        assert summary["closed_tickets"] == want["closed"]
        assert summary["response_rate"] == pytest.approx(want["count"] / want["closed"], abs=1e-4)
        assert summary["follow_up_count"] == want["low"]
        assert sum(summary["attitude_distribution"].values()) == want["count"]
        if want["count"] >= 5:
            assert summary["mean_attitude"] == pytest.approx(want["attitude"] / want["count"], abs=1e-4)
            assert summary["mean_ability"] == pytest.approx(want["ability"] / want["count"], abs=1e-4)
        else:
            assert summary["mean_attitude"] is None and summary["mean_ability"] is None
        assert [p["month"] for p in item["trend"]][:12] == [f"{DEMO_YEAR}-{m:02d}" for m in range(1, 13)]
        assert sum(p["count"] for p in item["trend"]) == want["count"]


async def test_names_come_from_the_catalogue_copies(seeded):
    await seeded.publish(
        "station.created",
        {
            "id": DEMO_STATION_ID,
            "name": "市新居委会家门口服务站（新址）",
            "subdistrict_id": DEMO_SUBDISTRICT_ID,
            "subdistrict_name": "陆家嘴街道",
            "community_id": str(stable_id("community", "陆家嘴街道", "市新居委会")),
            "community_name": "市新居委会",
        },
    )
    stations = (
        await seeded.client.get("/api/v1/evaluations/reports/stations", params={"year": DEMO_YEAR}, headers=ADMIN)
    ).json()
    names = {i["id"]: i["name"] for i in stations["items"]}
    assert names[DEMO_STATION_ID] == "市新居委会家门口服务站（新址）"
    assert names[VILLAGE_STATION_ID] == "界村家门口服务站"
    subdistricts = (
        await seeded.client.get("/api/v1/evaluations/reports/subdistricts", params={"year": DEMO_YEAR}, headers=ADMIN)
    ).json()
    assert {i["name"] for i in subdistricts["items"]} == {"陆家嘴街道", "潍坊新村街道", "周浦镇", "金桥镇"}


async def test_without_catalogue_copies_the_seed_uses_the_reports_stations_and_names_from_tickets(tmp_path):
    async with harness_for(f"sqlite+aiosqlite:///{tmp_path / 'e.db'}") as harness:
        await seed_demo(harness.database, now=SEEDED_NOW)
        stations = set(await _all(harness, ClosedTicket.station_id))
        workers = set(await _all(harness, Rating.social_worker_id))
        communities = (
            await harness.client.get(
                "/api/v1/evaluations/reports/communities", params={"year": DEMO_YEAR}, headers=ADMIN
            )
        ).json()
    assert stations == {stable_id("station", *names) for names in REPORTED}
    assert SOCIAL_WORKER in workers  # the catalogue's id for the demo station's social worker
    assert {i["name"] for i in communities["items"]} == {community for _, community in REPORTED}


async def test_no_mean_is_shown_for_a_month_under_the_minimum_sample(seeded):
    report = (
        await seeded.client.get(
            "/api/v1/evaluations/reports/stations",
            params={"year": DEMO_YEAR, "station_id": VILLAGE_STATION_ID},
            headers=ADMIN,
        )
    ).json()
    [village] = report["items"]
    small = [p for p in village["trend"] if 0 < p["count"] < 5]
    assert small, "the village station has thin months in the demo year"
    assert all(p["mean_attitude"] is None and p["mean_ability"] is None for p in small)
    assert all(p["mean_attitude"] is not None for p in village["trend"] if p["count"] >= 5)
    assert village["summary"]["mean_attitude"] is not None  # the whole year is above the minimum


async def test_the_minimum_sample_is_configurable(seeded_template, tmp_path):
    copy_directory(seeded_template, tmp_path)
    async with harness_for(f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}", minimum_sample=10_000) as harness:
        report = (
            await harness.client.get(
                "/api/v1/evaluations/reports/subdistricts", params={"year": DEMO_YEAR}, headers=ADMIN
            )
        ).json()
        assert report["minimum_sample"] == 10_000
        assert all(item["summary"]["mean_attitude"] is None for item in report["items"])
        assert all(item["summary"]["count"] > 0 for item in report["items"])  # counts are still shown


async def test_a_rating_whose_appeal_was_upheld_is_left_out(seeded):
    [upheld] = [a for a in await table_rows(seeded, Appeal) if a["status"] == "upheld"]
    [rating] = [r for r in await table_rows(seeded, Rating) if r["id"] == upheld["rating_id"]]
    year = rating["ticket_closed_at"].astimezone(SHANGHAI).year
    stored = [
        r
        for r in await table_rows(seeded, Rating)
        if str(r["station_id"]) == DEMO_STATION_ID and _in_year(r["ticket_closed_at"], year)
    ]
    report = (
        await seeded.client.get(
            "/api/v1/evaluations/reports/stations",
            params={"year": year, "station_id": DEMO_STATION_ID},
            headers=ADMIN,
        )
    ).json()
    assert report["items"][0]["summary"]["count"] == len(stored) - 1
    assert [a["status"] for a in await table_rows(seeded, Appeal) if a["rating_id"] != rating["id"]] == ["pending"]


async def test_a_department_sees_its_own_subdistrict_only(seeded):
    report = (
        await seeded.client.get(
            "/api/v1/evaluations/reports/stations", params={"year": DEMO_YEAR}, headers=department()
        )
    ).json()
    assert report["items"] and {i["id"] for i in report["items"]} == {
        str(stable_id("station", "陆家嘴街道", "市新居委会")),
        str(stable_id("station", "陆家嘴街道", "滨江居委会")),
    }
    other = await seeded.client.get(
        "/api/v1/evaluations/reports/stations",
        params={"year": DEMO_YEAR, "subdistrict_id": OTHER_SUBDISTRICT_ID},
        headers=department(),
    )
    assert other.status_code == 403


async def test_station_staff_see_their_station_and_residents_see_nothing(seeded):
    mine = (
        await seeded.client.get(
            "/api/v1/evaluations/reports/social-workers",
            params={"year": DEMO_YEAR},
            headers=staff(SECRETARY, "secretary"),
        )
    ).json()
    ids = {i["id"] for i in mine["items"]}
    completed_here = {
        t["completed_by"]
        for t in await table_rows(seeded, ClosedTicket)
        if str(t["station_id"]) == DEMO_STATION_ID and _in_year(t["closed_at"])
    }
    assert SOCIAL_WORKER in ids and ids == completed_here  # everyone at the station who closed a ticket
    assert (await seeded.client.get("/api/v1/evaluations/reports/subdistricts", headers=staff())).status_code == 403
    assert (await seeded.client.get("/api/v1/evaluations/reports/stations", headers=resident())).status_code == 403


async def test_the_seed_is_deterministic_idempotent_and_each_station_stands_alone(seeded, tmp_path):
    ids = set(await _all(seeded, Rating.id))
    scores = sorted(await _all(seeded, Rating.id, Rating.attitude, Rating.ability))
    await seed_demo(seeded.database, now=SEEDED_NOW + timedelta(days=40))  # a later restart adds nothing
    assert set(await _all(seeded, Rating.id)) == ids
    # Another database with only the demo station: that station's rows are the same as with all eight.
    async with harness_for(f"sqlite+aiosqlite:///{tmp_path / 'alone.db'}") as alone:
        for event_type, data in catalogue_events():
            if event_type != "station.created" or data["id"] == DEMO_STATION_ID:
                await alone.publish(event_type, data, time=SEEDED_NOW - timedelta(days=30))
        await seed_demo(alone.database, now=SEEDED_NOW)
        alone_scores = sorted(await _all(alone, Rating.id, Rating.attitude, Rating.ability))
        assert set(await _all(alone, Rating.station_id)) == {uuid.UUID(DEMO_STATION_ID)}
    here = set(await _all(seeded, Rating.id, Rating.station_id))
    assert alone_scores == [s for s in scores if (s[0], uuid.UUID(DEMO_STATION_ID)) in here]
    assert len(alone_scores) > 200


async def _all(harness: Harness, *columns) -> list:
    async with harness.database.sessionmaker() as session:
        rows = (await session.execute(sa.select(*columns))).all()
    return [row[0] if len(columns) == 1 else tuple(row) for row in rows]


async def test_the_annual_assessment_combines_residents_and_ticket_figures(seeded):
    response = await seeded.client.get(
        "/api/v1/performance-assessments",
        params={"year": DEMO_YEAR, "subdistrict_id": DEMO_SUBDISTRICT_ID},
        headers=ADMIN,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["formula"]["resident_weight"] == 0.6
    worker = next(i for i in body["items"] if i["staff_id"] == SOCIAL_WORKER)
    closed = [t for t in await table_rows(seeded, ClosedTicket) if _in_year(t["closed_at"])]
    tickets = [t for t in closed if t["completed_by"] == SOCIAL_WORKER]
    owned = [t for t in closed if t["owner_id"] == SOCIAL_WORKER]
    figures = worker["ticket_figures"]
    assert figures["resolved_count"] == len(tickets)
    assert figures["resolved_on_time_count"] == sum(t["resolved_on_time"] for t in tickets)
    assert figures["accepted_count"] == len(owned)
    assert figures["accepted_on_time_count"] == sum(t["accepted_on_time"] for t in owned)
    assert figures["backstop_handled_count"] == sum(t["responsibility_level"] == "backstop" for t in tickets)
    components = {c["name"]: c for c in worker["components"]}
    assert set(components) == {"resident", "acceptance_on_time", "resolution_on_time", "backstop"}
    assert worker["score"] == pytest.approx(sum(c["points"] for c in worker["components"]), abs=0.01)
    assert components["acceptance_on_time"]["score"] == pytest.approx(
        100 * figures["accepted_on_time_count"] / figures["accepted_count"], abs=1e-3
    )
    assert worker["grade"] in {"excellent", "good", "adequate", "poor"}
    assert len(worker["trend"]) >= 12


async def test_the_formula_weights_are_configurable_and_checked(seeded):
    params = {"year": DEMO_YEAR, "station_id": DEMO_STATION_ID}
    default = (
        await seeded.client.get(f"/api/v1/performance-assessments/{SOCIAL_WORKER}", params=params, headers=ADMIN)
    ).json()
    residents_only = (
        await seeded.client.get(
            f"/api/v1/performance-assessments/{SOCIAL_WORKER}",
            params={
                **params,
                "resident_weight": 1,
                "acceptance_on_time_weight": 0,
                "resolution_on_time_weight": 0,
                "backstop_weight": 0,
            },
            headers=ADMIN,
        )
    ).json()
    [before], [after] = default["items"], residents_only["items"]
    resident_component = next(c for c in before["components"] if c["name"] == "resident")
    assert after["score"] == pytest.approx(resident_component["score"], abs=0.01)
    assert after["score"] != before["score"]
    bad = await seeded.client.get(
        "/api/v1/performance-assessments", params={**params, "resident_weight": 0.9}, headers=ADMIN
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "weights"


async def test_the_assessment_as_csv(seeded):
    response = await seeded.client.get(
        "/api/v1/performance-assessments", params={"year": DEMO_YEAR, "format": "csv"}, headers=ADMIN
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    json_items = (
        await seeded.client.get("/api/v1/performance-assessments", params={"year": DEMO_YEAR}, headers=ADMIN)
    ).json()["items"]
    assert len(rows) == len(json_items) >= 8
    by_id = {row["staff_id"]: row for row in rows}
    for item in json_items:
        assert float(by_id[item["staff_id"]]["score"]) == pytest.approx(item["score"])
        assert by_id[item["staff_id"]]["grade"] == item["grade"]


async def test_names_that_a_spreadsheet_would_run_are_text_in_the_assessment_csv(seeded):
    # (a leading tab or CR never reaches this CSV: the service's copies of names are stripped)
    planted = ['=HYPERLINK("http://evil.example","点这里")', "+1", "-2", "@SUM(A1:A9)", "=cmd|' /C calc'!A0"]
    await seeded.publish(
        "station.created",
        {
            "id": DEMO_STATION_ID,
            "name": planted[0],
            "subdistrict_id": DEMO_SUBDISTRICT_ID,
            "subdistrict_name": "陆家嘴街道",
            "community_name": "市新居委会",
        },
    )
    assessed = (
        await seeded.client.get(
            "/api/v1/performance-assessments", params={"year": DEMO_YEAR, "station_id": DEMO_STATION_ID}, headers=ADMIN
        )
    ).json()["items"]
    for item, name in zip(assessed, planted[1:], strict=False):
        await seeded.publish(
            "staff.created",
            {
                "id": item["staff_id"],
                "name": name,
                "role": "social_worker",
                "station_id": DEMO_STATION_ID,
                "active": True,
            },
        )
    response = await seeded.client.get(
        "/api/v1/performance-assessments",
        params={"year": DEMO_YEAR, "format": "csv", "station_id": DEMO_STATION_ID},
        headers=ADMIN,
    )
    assert response.status_code == 200, response.text
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert len(rows) == len(assessed) == 4
    cells = [cell for row in rows for cell in row]
    assert [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))] == []
    names = {row[header.index("name")] for row in rows}
    assert names == {"'" + name for name in planted[1:5]}
    assert {row[header.index("station_name")] for row in rows} == {"'" + planted[0]}


async def test_the_printable_report_has_charts_without_script_and_escapes_names(seeded):
    await seeded.publish(
        "station.created",
        {
            "id": DEMO_STATION_ID,
            "name": "市新<img src=x onerror=alert(1)>服务站",
            "subdistrict_id": DEMO_SUBDISTRICT_ID,
            "subdistrict_name": "陆家嘴街道",
            "community_name": "市新居委会",
        },
    )
    for staff_id, name, role in (
        (SOCIAL_WORKER, "陆伟<b>", "social_worker"),
        (SECRETARY, "李书记", "secretary"),
        (RECEPTIONIST, "张接待", "receptionist"),
    ):
        await seeded.publish(
            "staff.created",
            {"id": staff_id, "name": name, "role": role, "station_id": DEMO_STATION_ID, "active": True},
        )
    response = await seeded.client.get(
        "/api/v1/performance-assessments",
        params={"year": DEMO_YEAR, "format": "html", "station_id": DEMO_STATION_ID},
        headers=ADMIN,
    )
    assert response.status_code == 200
    page = response.text
    assert f"{DEMO_YEAR}年度社工绩效考核" in page
    assert "陆伟&lt;b&gt;" in page
    assert "李书记" not in page and "张接待" not in page  # only social workers are assessed
    assessed = (
        await seeded.client.get(
            "/api/v1/performance-assessments", params={"year": DEMO_YEAR, "station_id": DEMO_STATION_ID}, headers=ADMIN
        )
    ).json()["items"]
    assert len(assessed) == 4  # the station's four social workers
    assert page.count("<svg") == 3 * len(assessed)  # each: components, distribution, monthly trend
    assert "<script" not in page.lower() and "<img" not in page and "<b>" not in page
    assert "市新&lt;img src=x onerror=alert(1)&gt;服务站" in page
    assert "@media print" in page
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


async def test_a_social_worker_sees_only_their_own_assessment(seeded):
    own = await seeded.client.get("/api/v1/performance-assessments", params={"year": DEMO_YEAR}, headers=staff())
    assert [i["staff_id"] for i in own.json()["items"]] == [SOCIAL_WORKER]
    other = await seeded.client.get(
        f"/api/v1/performance-assessments/{stable_id('staff', '陆家嘴街道', '市新居委会', 'receptionist')}",
        params={"year": DEMO_YEAR},
        headers=staff(),
    )
    assert other.status_code == 403
    assert (await seeded.client.get("/api/v1/performance-assessments", headers=resident())).status_code == 403


async def test_review_meeting_ratings_per_project_and_station(harness):
    project, other_project = str(uuid.uuid4()), str(uuid.uuid4())
    for project_id, scores in ((project, [5, 4, 4]), (project, [5, 5, 3]), (other_project, [2, 3])):
        await harness.publish(
            "review.completed",
            {
                "project_id": project_id,
                "station_id": DEMO_STATION_ID,
                "community_id": str(uuid.uuid4()),
                "subdistrict_id": DEMO_SUBDISTRICT_ID,
                "meeting_id": str(uuid.uuid4()),
                "ratings": [{"resident_id": f"r{i}", "score": s} for i, s in enumerate(scores)],
                "mean": sum(scores) / len(scores),
                "accepted": True,
            },
        )
    by_project = (
        await harness.client.get("/api/v1/evaluations/reviews", params={"group_by": "project"}, headers=ADMIN)
    ).json()
    items = {i["id"]: i for i in by_project["items"]}
    assert items[project]["count"] == 6 and items[project]["meetings"] == 2
    assert items[project]["mean"] == pytest.approx(26 / 6, abs=1e-4)
    assert items[other_project]["mean"] is None  # 2 scores: under the minimum sample
    assert items[other_project]["distribution"] == {"1": 0, "2": 1, "3": 1, "4": 0, "5": 0}
    by_station = (
        await harness.client.get("/api/v1/evaluations/reviews", params={"group_by": "station"}, headers=department())
    ).json()
    assert [(i["id"], i["count"]) for i in by_station["items"]] == [(DEMO_STATION_ID, 8)]
    assert "r0" not in str(by_project) and "resident" not in str(by_project)


async def test_a_review_with_an_impossible_score_is_dead_lettered(harness):
    await harness.publish(
        "review.completed",
        {
            "project_id": str(uuid.uuid4()),
            "station_id": DEMO_STATION_ID,
            "meeting_id": str(uuid.uuid4()),
            "ratings": [{"score": 9}],
        },
    )
    assert len(harness.dead_letters()) == 1
