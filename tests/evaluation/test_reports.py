"""Reports over the demo's seeded year: per social worker, station, community, subdistrict."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from evaluation_service.ratings.models import Rating
from evaluation_service.reports.scoring import SHANGHAI
from evaluation_service.seed import DEMO_YEAR, build_rows, seed_demo
from evaluation_service.tickets.models import ClosedTicket
from shared.ids import stable_id
from tests.conftest import DEMO_STATION_ID, DEMO_SUBDISTRICT_ID, bearer
from tests.evaluation.conftest import (
    OTHER_SUBDISTRICT_ID,
    RECEPTIONIST,
    SECRETARY,
    SOCIAL_WORKER,
    Harness,
    department,
    harness_for,
    resident,
    staff,
)

ADMIN = bearer("district_admin")
VILLAGE_STATION_ID = str(stable_id("station", "周浦镇", "界村"))


@pytest.fixture
async def seeded(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness_for(f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}") as harness:
        await seed_demo(harness.database)
        yield harness


def _expected(group_key: str) -> dict[str, dict]:
    """Straight from the seed's rows, without the service's code: counts, sums and closed tickets."""
    rows = build_rows()
    upheld = {a["rating_id"] for a in rows["appeal"] if a["status"] == "upheld"}
    ticket_key = {"social_worker_id": "completed_by"}.get(group_key, group_key)
    result: dict[str, dict] = defaultdict(lambda: {"count": 0, "attitude": 0, "ability": 0, "closed": 0, "low": 0})
    for ticket in rows["closed_ticket"]:
        result[str(ticket[ticket_key])]["closed"] += 1
    for rating in rows["rating"]:
        if rating["id"] in upheld:
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
    expected = _expected(group_key)
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
            "name": "市新居委会家门口服务站",
            "subdistrict_id": DEMO_SUBDISTRICT_ID,
            "subdistrict_name": "陆家嘴街道",
            "community_id": str(stable_id("community", "陆家嘴街道", "市新居委会")),
            "community_name": "市新居委会",
        },
    )
    stations = (
        await seeded.client.get("/api/v1/evaluations/reports/stations", params={"year": DEMO_YEAR}, headers=ADMIN)
    ).json()
    assert {i["id"]: i["name"] for i in stations["items"]}[DEMO_STATION_ID] == "市新居委会家门口服务站"
    communities = (
        await seeded.client.get("/api/v1/evaluations/reports/communities", params={"year": DEMO_YEAR}, headers=ADMIN)
    ).json()
    assert "界村" in {i["name"] for i in communities["items"]}  # known from the tickets when not from the catalogue


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


async def test_the_minimum_sample_is_configurable(tmp_path):
    async with harness_for(f"sqlite+aiosqlite:///{tmp_path / 'e.db'}", minimum_sample=10_000) as harness:
        await seed_demo(harness.database)
        report = (
            await harness.client.get(
                "/api/v1/evaluations/reports/subdistricts", params={"year": DEMO_YEAR}, headers=ADMIN
            )
        ).json()
        assert report["minimum_sample"] == 10_000
        assert all(item["summary"]["mean_attitude"] is None for item in report["items"])
        assert all(item["summary"]["count"] > 0 for item in report["items"])  # counts are still shown


async def test_a_rating_whose_appeal_was_upheld_is_left_out(seeded):
    rows = build_rows()
    [upheld] = [a for a in rows["appeal"] if a["status"] == "upheld"]
    total = await seeded.scalar(
        sa.select(sa.func.count()).select_from(Rating).where(Rating.station_id == uuid.UUID(DEMO_STATION_ID))
    )
    report = (
        await seeded.client.get(
            "/api/v1/evaluations/reports/stations",
            params={"year": DEMO_YEAR, "station_id": DEMO_STATION_ID},
            headers=ADMIN,
        )
    ).json()
    assert report["items"][0]["summary"]["count"] == total - 1
    assert upheld["rating_id"]


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
    assert SOCIAL_WORKER in ids and len(ids) == 3  # the station's social worker, receptionist, secretary
    assert (await seeded.client.get("/api/v1/evaluations/reports/subdistricts", headers=staff())).status_code == 403
    assert (await seeded.client.get("/api/v1/evaluations/reports/stations", headers=resident())).status_code == 403


async def test_the_seed_is_deterministic_idempotent_and_spans_the_district_for_a_year(tmp_path):
    first, second = build_rows(), build_rows()
    assert first is second  # built once per process
    async with harness_for(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}") as harness:
        await seed_demo(harness.database)
        await seed_demo(harness.database)
        count = await harness.scalar(sa.select(sa.func.count()).select_from(Rating))
        ids = set(await _all(harness, Rating.id))
        months = {t.astimezone(SHANGHAI).month for t in await _all(harness, ClosedTicket.closed_at)}
        subdistricts = set(await _all(harness, Rating.subdistrict_id))
    async with harness_for(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}") as other:
        await seed_demo(other.database)
        assert set(await _all(other, Rating.id)) == ids
        scores = sorted(await _all(other, Rating.id, Rating.attitude, Rating.ability))
    assert count == len(first["rating"]) > 1000
    assert months == set(range(1, 13))
    assert len(subdistricts) == 4
    assert scores == sorted((r["id"], r["attitude"], r["ability"]) for r in first["rating"])
    assert str(stable_id("staff", "陆家嘴街道", "市新居委会", "social_worker")) in {
        r["social_worker_id"] for r in first["rating"]
    }


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
    rows = build_rows()
    tickets = [t for t in rows["closed_ticket"] if t["completed_by"] == SOCIAL_WORKER]
    owned = [t for t in rows["closed_ticket"] if t["owner_id"] == SOCIAL_WORKER]
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
    assert page.count("<svg") == 3  # components, distribution, monthly trend
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
