"""The demo seed: full district scale, deterministic, idempotent, with an event for every station."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from catalog_service.app import definition
from catalog_service.demo.generate import generate
from catalog_service.demo.places import PLACES, REPORTED_STATIONS
from catalog_service.models import Community, Department, StaffMember, Station, Subdistrict
from catalog_service.seed import seed_demo
from shared.database import Database
from shared.events.tables import outbox_message
from shared.ids import stable_id
from shared.migrations import upgrade


async def _counts(database: Database) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with database.sessionmaker() as session:
        for model in (Subdistrict, Community, Station, StaffMember, Department):
            count = await session.scalar(sa.select(sa.func.count()).select_from(model))
            assert count is not None
            counts[model.__tablename__] = count
        rows = await session.execute(
            sa.select(outbox_message.c.event_type, sa.func.count()).group_by(outbox_message.c.event_type)
        )
        counts.update({event_type: count for event_type, count in rows.all()})
    return counts


async def test_seed_is_full_scale_idempotent_and_announces_every_station(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}"
    upgrade(definition.migrations_directory, url, "catalog")
    database = Database(url)
    try:
        await seed_demo(database, scale="full")
        first = await _counts(database)
        await seed_demo(database, scale="full")
        assert await _counts(database) == first  # running it twice changes nothing
    finally:
        await database.dispose()
    assert first["subdistrict"] == 36 and first["community"] == 1285 and first["station"] == 1285
    assert first["station.created"] == 1285
    assert first["staff.created"] == first["staff_member"] and 8 * 1285 <= first["staff_member"] < 9 * 1285 + 1000
    assert first["department.created"] == first["department"] >= 36 * 7


def test_generation_is_deterministic():
    assert generate() == generate()


def test_stations_lie_inside_pudong_spread_by_subdistrict():
    data = generate()
    for station in data.stations:
        assert 30.85 <= station["latitude"] <= 31.40 and 121.45 <= station["longitude"] <= 121.98
    per_subdistrict = Counter(station["subdistrict_id"] for station in data.stations)
    assert {stable_id("subdistrict", place.name): place.communities for place in PLACES} == dict(per_subdistrict)
    positions = {(s["latitude"], s["longitude"]) for s in data.stations}
    assert len(positions) == 1285  # no two stations on the same spot


def test_report_communities_and_demo_identities_are_included():
    data = generate()
    ids = {station["id"] for station in data.stations}
    for subdistrict, community, *_ in REPORTED_STATIONS:
        assert stable_id("station", subdistrict, community) in ids
    staff = {member["id"]: member for member in data.staff}
    for role, name in (("receptionist", "张接待"), ("social_worker", "陆伟"), ("secretary", "李书记")):
        assert staff[stable_id("staff", "陆家嘴街道", "市新居委会", role)]["name"] == name
    assert stable_id("department", "陆家嘴街道", "civil_affairs") in {d["id"] for d in data.departments}
    roles = Counter(member["role"] for member in data.staff if member["station_id"] is not None)
    assert roles["joint_receptionist"] == roles["receptionist"] * 2 == 2 * 1285


def test_opening_hours_are_plausible():
    data = generate()
    for station in data.stations:
        periods = station["opening_hours"]["weekly_periods"]
        assert all("08:00" <= p["opens"] < p["closes"] <= "20:00" for p in periods)
        assert any(p["weekday"] == 5 for p in periods)  # Saturday mornings everywhere
    demo = next(s for s in data.stations if s["community_name"] == "市新居委会")
    assert {"weekday": 0, "opens": "13:00", "closes": "20:00"} in demo["opening_hours"]["weekly_periods"]


def test_demo_requests_never_exceed_capacity():
    data = generate()
    capacity = {r["id"]: r["capacity"] for r in data.resources}
    booked: Counter[tuple[str, str]] = Counter()
    for request in data.requests:
        if request["status"] not in ("declined", "cancelled"):
            booked[(request["resource_id"], request["requested_date"])] += request["quantity"]
    assert all(total <= capacity[resource_id] for (resource_id, _), total in booked.items())
    assert {r["status"] for r in data.requests} == {
        "requested",
        "accepted",
        "declined",
        "scheduled",
        "delivered",
        "cancelled",
    }
    assert {d["status"] for d in data.demands} == {"open", "matched", "fulfilled", "closed"}


async def test_reported_scale_is_a_subset_with_the_same_ids(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}"
    upgrade(definition.migrations_directory, url, "catalog")
    database = Database(url)
    try:
        await seed_demo(database, scale="reported")
        counts = await _counts(database)
        await seed_demo(database, scale="full")  # grows into the full district without duplicates
        grown = await _counts(database)
    finally:
        await database.dispose()
    assert counts["station"] == counts["station.created"] == len(REPORTED_STATIONS)
    assert grown["station"] == grown["station.created"] == 1285
    assert grown["staff.created"] == grown["staff_member"]
