"""Demo data: a year of residents' ratings across the stations the catalogue's demo data holds.

Deterministic (a fixed random seed, stable ids from names, a fixed year) and idempotent: a second run
finds the first ticket and changes nothing. Rows go in with bulk inserts, so it loads in well under a
second on SQLite. No events are written: these are past figures, not news for other services.
"""

from __future__ import annotations

import functools
import random
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from evaluation_service.invitations.models import Invitation
from evaluation_service.invitations.tokens import token_hash
from evaluation_service.ratings.models import Appeal, FollowUp, Rating
from evaluation_service.tickets.models import ClosedTicket
from shared.database import Database
from shared.ids import stable_id

SHANGHAI_OFFSET = timedelta(hours=8)
DEMO_YEAR = 2025  # the last full year before the demo's "now": its annual assessment is the one due
INVITATION_DAYS = 14
SEED = 20250101

# (subdistrict, community, tickets a month, quality): the communities the report names (DOMAIN.md).
STATIONS = [
    ("陆家嘴街道", "市新居委会", 30, 4.5),
    ("陆家嘴街道", "滨江居委会", 24, 4.1),
    ("潍坊新村街道", "潍坊一村", 26, 4.3),
    ("潍坊新村街道", "潍坊四村", 22, 3.8),
    ("周浦镇", "界村", 6, 4.4),  # a village station: some months fall under the minimum sample
    ("金桥镇", "张桥", 14, 4.0),
    ("金桥镇", "永业", 12, 3.6),
    ("金桥镇", "新城", 20, 4.2),
]
CATEGORIES = [
    ("government_affairs", 30),
    ("daily_life", 25),
    ("legal", 12),
    ("health", 12),
    ("party_mass", 6),
    ("culture", 8),
    ("community_management", 7),
]
GOOD_COMMENTS = [
    "社工很耐心，一次就办好了",
    "服务热情周到，谢谢！",
    "家门口就能办，太方便了",
    "晚上下班还能来办，很贴心",
    "视频连线受理中心，当场就拿到了新的医疗记录册",
    "解释得很清楚",
]
POOR_COMMENTS = [
    "等了很久才有人处理",
    "跑了两趟还没办好",
    "态度不太好，希望改进",
    "没说清楚要带什么材料",
]


def _shanghai(year: int, month: int, day: int, minute_of_day: int) -> datetime:
    local = datetime(year, month, day) + timedelta(minutes=minute_of_day)
    return (local - SHANGHAI_OFFSET).replace(tzinfo=UTC)


def _days_in(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _score(rng: random.Random, centre: float, spread: float) -> int:
    return max(1, min(5, round(rng.gauss(centre, spread))))


@functools.cache
def build_rows(year: int = DEMO_YEAR) -> dict[str, list[dict[str, Any]]]:
    """The demo year's rows, table by table. Deterministic; built once per process (treat as read-only)."""
    rng = random.Random(SEED)
    tickets: list[dict[str, Any]] = []
    invitations: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    follow_ups: list[dict[str, Any]] = []
    categories, weights = zip(*CATEGORIES, strict=True)
    for subdistrict, community, monthly, quality in STATIONS:
        station_id = stable_id("station", subdistrict, community)
        community_id = stable_id("community", subdistrict, community)
        subdistrict_id = stable_id("subdistrict", subdistrict)
        department_id = stable_id("department", subdistrict, "civil_affairs")
        staff = {
            role: str(stable_id("staff", subdistrict, community, role))
            for role in ("social_worker", "receptionist", "secretary")
        }
        for month in range(1, 13):
            for number in range(max(1, monthly + rng.randint(-4, 4))):
                ticket_id = stable_id("demo-ticket", subdistrict, community, f"{year}-{month:02d}", str(number))
                level = rng.choices(["first_inquiry", "designated", "backstop"], [75, 17, 8])[0]
                if level == "backstop":
                    completed_by = staff["secretary"] if rng.random() < 0.5 else staff["social_worker"]
                elif level == "designated" or rng.random() < 0.7:
                    completed_by = staff["social_worker"]
                else:
                    completed_by = staff["receptionist"]
                handled = [completed_by] if rng.random() < 0.6 else [staff["receptionist"], completed_by]
                handled = list(dict.fromkeys(handled))
                day = rng.randint(1, _days_in(year, month))
                closed_at = _shanghai(year, month, day, rng.randint(8 * 60 + 30, 19 * 60 + 50))
                created_at = closed_at - timedelta(minutes=rng.randint(20, 60 * 24 * 4))
                accepted_at = created_at + timedelta(minutes=rng.randint(1, 90))
                if accepted_at > closed_at:
                    accepted_at = created_at
                accepted_on_time = rng.random() < 0.93
                resolved_on_time = rng.random() < (0.7 + (quality - 3.5) * 0.2)
                resident_id = (
                    str(stable_id("resident", "demo"))
                    if community == "市新居委会" and number % 9 == 0
                    else str(stable_id("resident", subdistrict, community, str(rng.randint(1, 400))))
                )
                category = rng.choices(categories, weights)[0]
                tickets.append(
                    {
                        "ticket_id": ticket_id,
                        "station_id": station_id,
                        "community_id": community_id,
                        "community_name": community,
                        "subdistrict_id": subdistrict_id,
                        "service_category": category,
                        "responsibility_level": level,
                        "owner_id": completed_by,
                        "completed_by": completed_by,
                        "resident_id": resident_id,
                        "handled_by": handled,
                        "created_at": created_at,
                        "accepted_at": accepted_at,
                        "closed_at": closed_at,
                        "accepted_on_time": accepted_on_time,
                        "resolved_on_time": resolved_on_time,
                        "acceptance_working_minutes": rng.randint(1, 90),
                        "resolution_working_minutes": rng.randint(20, 3000),
                        "recorded_at": closed_at,
                    }
                )
                invitation_id = stable_id("demo-invitation", str(ticket_id))
                rated = rng.random() < 0.66
                submitted_at = closed_at + timedelta(minutes=rng.randint(5, 60 * 24 * 5)) if rated else None
                invitations.append(
                    {
                        "id": invitation_id,
                        "ticket_id": ticket_id,
                        "token_hash": token_hash(secrets.token_urlsafe(32)),  # long expired; never shown
                        "resident_id": resident_id,
                        "social_worker_id": completed_by,
                        "station_id": station_id,
                        "community_id": community_id,
                        "community_name": community,
                        "subdistrict_id": subdistrict_id,
                        "service_category": category,
                        "created_at": closed_at,
                        "expires_at": closed_at + timedelta(days=INVITATION_DAYS),
                        "redeemed_at": submitted_at,
                        "token_issued_at": closed_at,
                        "token_issued_by": completed_by,
                    }
                )
                if not rated:
                    continue
                centre = quality - (0.6 if not resolved_on_time else 0.0)
                attitude = _score(rng, centre + 0.2, 0.8)
                ability = _score(rng, centre, 0.9)
                flagged = attitude <= 2 or ability <= 2
                if flagged:
                    comment = rng.choice(POOR_COMMENTS)
                elif rng.random() < 0.3:
                    comment = rng.choice(GOOD_COMMENTS)
                else:
                    comment = None
                channel = rng.choices(["qr", "link", "in_person"], [45, 25, 30])[0]
                rating_id = stable_id("demo-rating", str(ticket_id))
                ratings.append(
                    {
                        "id": rating_id,
                        "ticket_id": ticket_id,
                        "invitation_id": invitation_id,
                        "attitude": attitude,
                        "ability": ability,
                        "comment": comment,
                        "channel": channel,
                        "submitted_by": completed_by if channel == "in_person" else None,
                        "resident_confirmed": True,
                        "social_worker_id": completed_by,
                        "station_id": station_id,
                        "community_id": community_id,
                        "community_name": community,
                        "subdistrict_id": subdistrict_id,
                        "department_id": department_id,
                        "service_category": category,
                        "ticket_closed_at": closed_at,
                        "follow_up_required": flagged,
                        "submitted_at": submitted_at,
                    }
                )
                if flagged and rng.random() < 0.85:
                    follow_ups.append(
                        {
                            "id": stable_id("demo-follow-up", str(rating_id)),
                            "rating_id": rating_id,
                            "department_id": department_id,
                            "recorded_by": str(department_id),
                            "action": rng.choice(
                                ["contacted_resident", "talked_to_social_worker", "service_corrected"]
                            ),
                            "note": "已电话回访居民，并与社工沟通改进。",
                            "recorded_at": submitted_at + timedelta(days=rng.randint(1, 6)),  # type: ignore[operator]
                        }
                    )
    appeals = _appeals(ratings, follow_ups)
    return {
        "closed_ticket": tickets,
        "invitation": invitations,
        "rating": ratings,
        "follow_up": follow_ups,
        "appeal": appeals,
    }


def _appeals(ratings: list[dict[str, Any]], follow_ups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two disputes at 市新居委会: one the department upheld, one still pending."""
    station_id = stable_id("station", "陆家嘴街道", "市新居委会")
    flagged = [r for r in ratings if r["station_id"] == station_id and r["follow_up_required"]][:2]
    appeals = []
    for index, rating in enumerate(flagged):
        upheld = index == 0
        appeals.append(
            {
                "id": stable_id("demo-appeal", str(rating["id"])),
                "rating_id": rating["id"],
                "ticket_id": rating["ticket_id"],
                "subdistrict_id": rating["subdistrict_id"],
                "raised_by": rating["social_worker_id"],
                "reason": "居民评价的是医院的排队时间，不是本站的服务。" if upheld else "材料清单已当面说明。",
                "raised_at": rating["submitted_at"] + timedelta(days=2),
                "status": "upheld" if upheld else "pending",
                "decided_by": str(rating["department_id"]) if upheld else None,
                "decision_note": "经核实，评价内容与本次服务无关，不计入考核。" if upheld else None,
                "decided_at": rating["submitted_at"] + timedelta(days=5) if upheld else None,
            }
        )
    return appeals


_TABLES: list[tuple[str, Any]] = [
    ("closed_ticket", ClosedTicket.__table__),
    ("invitation", Invitation.__table__),
    ("rating", Rating.__table__),
    ("follow_up", FollowUp.__table__),
    ("appeal", Appeal.__table__),
]


async def seed_demo(database: Database) -> None:
    first = stable_id("demo-ticket", *STATIONS[0][:2], f"{DEMO_YEAR}-01", "0")
    async with database.transaction() as session:
        if await session.get(ClosedTicket, first) is not None:
            return
        rows = build_rows()
        assert rows["closed_ticket"][0]["ticket_id"] == first
        for name, table in _TABLES:
            if rows[name]:
                await session.execute(sa.insert(table), rows[name])
