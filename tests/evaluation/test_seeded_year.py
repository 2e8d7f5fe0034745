"""The demo's seeded year of ratings, as the people who read the reports would see it.

The seed runs twelve months back from 25 November 2026 over the catalogue's stations and staff (here the
report's 8 stations in 4 subdistricts; one test builds the whole district's 1,285 stations).
"""

from __future__ import annotations

import math
import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from evaluation_service.directory.models import StaffCopy, StationCopy
from evaluation_service.invitations.models import Invitation
from evaluation_service.ratings.models import Appeal, FollowUp, Rating
from evaluation_service.reports.scoring import SHANGHAI
from evaluation_service.seed import build_rows, demo_departments, demo_stations
from evaluation_service.tickets.models import ClosedTicket
from shared.ids import stable_id
from tests.conftest import bearer
from tests.evaluation.conftest import (
    SEEDED_MONTHS,
    SEEDED_NOW,
    SEEDED_YEAR,
    Harness,
    department,
    harness_for,
    table_rows,
)

ADMIN = bearer("district_admin")
SUBDISTRICTS = {str(stable_id("subdistrict", name)) for name in ("陆家嘴街道", "潍坊新村街道", "周浦镇", "金桥镇")}


async def _report(harness: Harness, level: str, year: int = SEEDED_YEAR, **params) -> list[dict]:
    response = await harness.client.get(
        f"/api/v1/evaluations/reports/{level}", params={"year": year, **params}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _month(moment) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y-%m}"


async def test_every_subdistrict_has_ratings_in_each_of_the_last_twelve_months(seeded):
    by_month: dict[str, Counter] = defaultdict(Counter)
    # A year's report holds the ratings of the tickets closed in it, charted by the month they came in.
    for year in (SEEDED_YEAR - 1, SEEDED_YEAR):
        for item in await _report(seeded, "subdistricts", year):
            for point in item["trend"]:
                by_month[item["id"]][point["month"]] += point["count"]
    assert set(by_month) == SUBDISTRICTS
    for subdistrict, months in by_month.items():
        assert all(months[month] > 0 for month in SEEDED_MONTHS), (subdistrict, months)
        assert {month for month, count in months.items() if count} <= set(SEEDED_MONTHS)
    # Nothing before the twelve months, nothing after "now".
    assert await _report(seeded, "subdistricts", SEEDED_YEAR - 2) == []
    closed = [t["closed_at"] for t in await table_rows(seeded, ClosedTicket)]
    assert min(closed) >= SEEDED_NOW.astimezone(SHANGHAI).replace(year=2025, month=12, day=1, hour=0, minute=0)
    assert max(closed) < SEEDED_NOW


async def test_every_station_rates_but_not_every_resident_answers(seeded):
    stations = await _report(seeded, "stations")
    assert len(stations) == 8
    for station in stations:
        summary = station["summary"]
        assert summary["count"] > 0
        assert 0.4 < summary["response_rate"] < 0.9, station["name"]
        assert summary["response_rate"] == pytest.approx(summary["count"] / summary["closed_tickets"], abs=1e-4)
    # The last days' invitations are still open: their residents may yet rate.
    open_ones = [
        i for i in await table_rows(seeded, Invitation) if i["redeemed_at"] is None and i["expires_at"] > SEEDED_NOW
    ]
    assert open_ones
    assert all(i["created_at"] > SEEDED_NOW - timedelta(days=14) for i in open_ones)


async def test_scores_are_mostly_good_and_the_few_low_ones_are_flagged_and_mostly_followed_up(seeded):
    subdistricts = await _report(seeded, "subdistricts")
    attitude: Counter[int] = Counter()
    for item in subdistricts:
        attitude.update({int(score): n for score, n in item["summary"]["attitude_distribution"].items()})
        assert 0 < item["summary"]["follow_up_count"] < 0.25 * item["summary"]["count"]
        assert 3.3 < item["summary"]["mean_attitude"] < 4.8
    assert (attitude[4] + attitude[5]) / sum(attitude.values()) > 0.6
    assert attitude[1] + attitude[2] > 0
    ratings = await table_rows(seeded, Rating)
    assert all(r["follow_up_required"] == (min(r["attitude"], r["ability"]) <= 2) for r in ratings)
    followed = {f["rating_id"] for f in await table_rows(seeded, FollowUp)}
    flagged = [r for r in ratings if r["follow_up_required"]]
    assert followed <= {r["id"] for r in flagged}
    assert len(followed) > len(flagged) / 2
    # The department sees what is still open in its inbox: low scores without a follow-up yet.
    inbox = await seeded.client.get("/api/v1/ratings", params={"follow_up": "open", "limit": 200}, headers=department())
    assert inbox.status_code == 200
    items = inbox.json()["items"]
    assert items and all(min(i["attitude"], i["ability"]) <= 2 for i in items)
    assert not {uuid.UUID(i["id"]) for i in items} & followed


async def test_no_mean_under_the_minimum_sample_for_social_workers_either(seeded):
    workers = await _report(seeded, "social-workers")
    thin = [w for w in workers if w["summary"]["count"] < 5]
    enough = [w for w in workers if w["summary"]["count"] >= 5]
    assert enough
    assert all(w["summary"]["mean_attitude"] is None and not w["summary"]["sample_sufficient"] for w in thin)
    assert all(w["summary"]["mean_attitude"] is not None for w in enough)
    months = [p for w in workers for p in w["trend"] if 0 < p["count"] < 5]
    assert months and all(p["mean_attitude"] is None and p["mean_ability"] is None for p in months)


def _component(score: float | None, weight: float) -> tuple[float, float] | None:
    return None if score is None else (score, weight)


def _expected_score(ratings: list[dict], tickets: list[dict], owned: list[dict]) -> float:
    """The default formula, computed here from the stored rows: 0.6 residents, 0.15 accepted on time,
    0.15 resolved on time, 0.1 backstop cases (12 a year for full marks); parts without evidence left out."""
    resident = None
    if len(ratings) >= 5:
        mean = sum(r["attitude"] + r["ability"] for r in ratings) / (2 * len(ratings))
        resident = (mean - 1) / 4 * 100
    accepted = [t for t in owned if t["accepted_on_time"] is not None]
    resolved = [t for t in tickets if t["resolved_on_time"] is not None]
    parts = [
        _component(resident, 0.6),
        _component(100 * sum(t["accepted_on_time"] for t in accepted) / len(accepted) if accepted else None, 0.15),
        _component(100 * sum(t["resolved_on_time"] for t in resolved) / len(resolved) if resolved else None, 0.15),
        (min(100.0, 100 * sum(t["responsibility_level"] == "backstop" for t in tickets) / 12), 0.1),
    ]
    present = [p for p in parts if p is not None]
    total = math.fsum(weight for _, weight in present)
    return round(math.fsum(score * weight / total for score, weight in present), 2)


async def test_the_annual_assessment_ranks_social_workers_as_the_formula_says(seeded):
    response = await seeded.client.get("/api/v1/performance-assessments", params={"year": SEEDED_YEAR}, headers=ADMIN)
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 32  # 4 social workers at each of the 8 stations; desk staff and secretaries are not assessed
    upheld = {a["rating_id"] for a in await table_rows(seeded, Appeal) if a["status"] == "upheld"}
    in_year = [
        t for t in await table_rows(seeded, ClosedTicket) if t["closed_at"].astimezone(SHANGHAI).year == SEEDED_YEAR
    ]
    ratings = [
        r
        for r in await table_rows(seeded, Rating)
        if r["ticket_closed_at"].astimezone(SHANGHAI).year == SEEDED_YEAR and r["id"] not in upheld
    ]
    expected = {
        item["staff_id"]: _expected_score(
            [r for r in ratings if r["social_worker_id"] == item["staff_id"]],
            [t for t in in_year if t["completed_by"] == item["staff_id"]],
            [t for t in in_year if t["owner_id"] == item["staff_id"]],
        )
        for item in items
    }
    for item in items:
        assert item["score"] == pytest.approx(expected[item["staff_id"]], abs=0.01), item["staff_id"]
    ranked = [i["staff_id"] for i in sorted(items, key=lambda i: (-i["score"], i["staff_id"]))]
    assert ranked == sorted(expected, key=lambda staff_id: (-expected[staff_id], staff_id))
    assert len({i["score"] for i in items}) > 20  # people differ: the ranking means something
    assert len({i["grade"] for i in items}) >= 2
    # Residents' judgement alone: the ranking follows the residents' mean score.
    residents_only = await seeded.client.get(
        "/api/v1/performance-assessments",
        params={
            "year": SEEDED_YEAR,
            "resident_weight": 1,
            "acceptance_on_time_weight": 0,
            "resolution_on_time_weight": 0,
            "backstop_weight": 0,
        },
        headers=ADMIN,
    )
    rated = [i for i in residents_only.json()["items"] if i["score"] is not None]
    assert rated
    for item in rated:
        summary = item["ratings"]
        mean = (summary["mean_attitude"] + summary["mean_ability"]) / 2
        assert item["score"] == pytest.approx((mean - 1) / 4 * 100, abs=0.01)


async def test_the_whole_district_gets_a_year_of_ratings(tmp_path: Path):
    """At the catalogue's full scale: all 36 subdistricts and 1,285 stations, from the copies its events leave."""
    from catalog_service.demo.generate import generate

    data = generate()
    subdistrict_names = {row["id"]: row["name"] for row in data.subdistricts}
    async with harness_for(f"sqlite+aiosqlite:///{tmp_path / 'district.db'}") as harness:
        async with harness.database.transaction() as session:
            await session.execute(
                sa.insert(StationCopy),
                [
                    {
                        "id": row["id"],
                        "name": row["name"],
                        "community_id": row["community_id"],
                        "community_name": row["community_name"],
                        "subdistrict_id": row["subdistrict_id"],
                        "subdistrict_name": subdistrict_names[row["subdistrict_id"]],
                        "updated_at": SEEDED_NOW,
                    }
                    for row in data.stations
                ],
            )
            await session.execute(
                sa.insert(StaffCopy),
                [
                    {
                        "id": str(row["id"]),
                        "name": row["name"],
                        "role": row["role"],
                        "station_id": row["station_id"],
                        "subdistrict_id": row["subdistrict_id"],
                        "active": True,
                        "updated_at": SEEDED_NOW,
                    }
                    for row in data.staff
                ],
            )
        async with harness.database.sessionmaker() as session:
            stations = await demo_stations(session)
            departments, reviewers = await demo_departments(session)
    rows = build_rows(stations, departments, reviewers, SEEDED_NOW, 14)
    assert len(stations) == 1285
    social_workers = {str(row["id"]) for row in data.staff if row["role"] == "social_worker"}
    rated = {r["social_worker_id"] for r in rows["rating"]}
    assert rated <= {str(row["id"]) for row in data.staff if row["station_id"] is not None}
    assert len(rated & social_workers) > 0.9 * len(social_workers)
    months_by_station: dict[uuid.UUID, set[str]] = defaultdict(set)
    for ticket in rows["closed_ticket"]:
        months_by_station[ticket["station_id"]].add(_month(ticket["closed_at"]))
    assert len(months_by_station) == 1285
    # Every full month; this month has run 25 days, and a small village station may not have closed one yet.
    assert all(months >= set(SEEDED_MONTHS[:-1]) for months in months_by_station.values())
    rated_months: dict[uuid.UUID, set[str]] = defaultdict(set)
    for rating in rows["rating"]:
        rated_months[rating["subdistrict_id"]].add(_month(rating["submitted_at"]))
    assert len(rated_months) == 36
    assert all(months == set(SEEDED_MONTHS) for months in rated_months.values())
    assert 0.5 < len(rows["rating"]) / len(rows["closed_ticket"]) < 0.8
    assert len({r["station_id"] for r in rows["rating"]}) == 1285
