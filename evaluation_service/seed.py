"""Demo data: the last twelve months of residents' ratings at every station the catalogue told us of.

The stations and their staff are this service's own copies of the catalogue (the embedded launcher delivers
the catalogue's events before this runs), so the data follows the catalogue's scale: the 1,285 stations of
all 36 subdistricts at full scale, the report's 8 with CATALOG_DEMO_SCALE=reported. With no copies at all
(the service on its own) it uses the report's 8 stations under the catalogue's ids.

Each closed ticket gets the ticket service's figures (accepted and resolved on time or not, backstop or not,
who completed it), an invitation and, for most, a rating: mostly 4s and 5s, a few of 2 or lower, which the
department followed up (the most recent still open). Tickets of the last days are not all rated yet.

Deterministic: each station draws from its own random generator, seeded with the station's id, so its rows
are the same whichever other stations exist; dates run back twelve months from the moment it is seeded.
Idempotent per station: a station whose first ticket is stored is left alone. Rows go in with multi-row
inserts and no events (past figures, not news for other services).
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
import math
import random
import secrets
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.directory.models import DepartmentCopy, StaffCopy, StationCopy
from evaluation_service.invitations.models import Invitation
from evaluation_service.ratings.models import Appeal, FollowUp, Rating
from evaluation_service.ratings.routing import DepartmentChoice, department_for
from evaluation_service.reports.periods import month_start
from evaluation_service.reports.scoring import SHANGHAI, YearMonth
from evaluation_service.settings import current_settings
from evaluation_service.tickets.models import ClosedTicket
from shared.database import Database
from shared.ids import stable_id, utcnow
from shared.settings import Mode

logger = logging.getLogger("evaluation.seed")

SEED = 20250101
MONTHS = 12
# The ticket service's default SLA budgets (working minutes): the on-time flags agree with the minutes.
ACCEPT_MINUTES = 30
RESOLVE_MINUTES = 3 * 8 * 60
_CHUNK = 5000
OPENS = time(8, 30)

DEMO_STATION = ("陆家嘴街道", "市新居委会")
DEMO_RESIDENT_ID = str(stable_id("resident", "demo"))
# The report's stations keep the volume (tickets a month) and quality (1-5) the demo's story tells.
REPORTED: dict[tuple[str, str], tuple[int, float]] = {
    ("陆家嘴街道", "市新居委会"): (30, 4.5),
    ("陆家嘴街道", "滨江居委会"): (24, 4.1),
    ("潍坊新村街道", "潍坊一村"): (26, 4.3),
    ("潍坊新村街道", "潍坊四村"): (22, 3.8),
    ("周浦镇", "界村"): (8, 4.4),  # a village station: some months fall under the minimum sample
    ("金桥镇", "张桥"): (14, 4.0),
    ("金桥镇", "永业"): (12, 3.6),
    ("金桥镇", "新城"): (20, 4.2),
}
_REPORTED_BY_ID = {stable_id("station", *names): figures for names, figures in REPORTED.items()}
CATEGORIES = {
    "government_affairs": 30,
    "daily_life": 25,
    "legal": 12,
    "health": 12,
    "party_mass": 6,
    "culture": 8,
    "community_management": 7,
}
CHANNELS = {"qr": 40, "link": 20, "resident_app": 10, "in_person": 30}
LEVELS = {"first_inquiry": 75, "designated": 17, "backstop": 8}
# Minutes from closing to the rating, by channel: in person at once, the link at home days later.
DELAYS = {"in_person": (1, 20), "qr": (2, 180), "resident_app": (30, 60 * 24 * 3), "link": (60, 60 * 24 * 6)}
GOOD_COMMENTS = (
    "社工很耐心，一次就办好了",
    "服务热情周到，谢谢！",
    "家门口就能办，太方便了",
    "晚上下班还能来办，很贴心",
    "视频连线受理中心，当场就拿到了新的医疗记录册",
    "解释得很清楚",
)
POOR_COMMENTS = ("等了很久才有人处理", "跑了两趟还没办好", "态度不太好，希望改进", "没说清楚要带什么材料")
FOLLOW_UP_ACTIONS = ("contacted_resident", "talked_to_social_worker", "service_corrected", "training_arranged")
FOLLOW_UP_NOTES = ("已电话回访居民，并与社工沟通改进。", "已约谈社工，居民反映的问题已当面解决。")

Rows = dict[str, list[dict[str, Any]]]
TABLES = (
    ("closed_ticket", ClosedTicket.__table__),
    ("invitation", Invitation.__table__),
    ("rating", Rating.__table__),
    ("follow_up", FollowUp.__table__),
    ("appeal", Appeal.__table__),
)


@dataclass(frozen=True, slots=True)
class Team:
    social_workers: tuple[str, ...]
    desk: tuple[str, ...]  # receptionists: first inquiries they close themselves
    secretary: str | None


@dataclass(frozen=True, slots=True)
class DemoStation:
    id: uuid.UUID
    community_id: uuid.UUID | None
    community_name: str
    subdistrict_id: uuid.UUID
    subdistrict_name: str | None
    team: Team


class Weighted:
    """Keys to draw with the given weights."""

    def __init__(self, weights: Mapping[Any, float]) -> None:
        self.keys = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]


_UUID7 = 0x7 << 76 | 0b10 << 62  # version 7, RFC 4122 variant
_LOW62 = (1 << 62) - 1


class Draws:
    """One station's seeded generator, with draws several times cheaper than random.Random's helpers
    (the full district makes about a million of them)."""

    __slots__ = ("random", "gauss", "_bits")

    def __init__(self, station_id: uuid.UUID) -> None:
        generator = random.Random(f"{SEED}/{station_id}")
        self.random = generator.random
        self.gauss = generator.gauss
        self._bits = generator.getrandbits

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def choice(self, items: Sequence[Any]) -> Any:
        return items[int(self.random() * len(items))]

    def weighted(self, table: Weighted) -> Any:
        return table.keys[bisect.bisect(table.cumulative, self.random() * table.total)]

    def uuid(self) -> UUID:
        return uuid.UUID(int=self._bits(128), version=4)

    def uuid7(self, moment: datetime) -> UUID:  # `UUID`: in this class `uuid` names the method above
        """A time-ordered id for ``moment``, as the services make them (the inbox pages in id order)."""
        bits = self._bits(74)
        return uuid.UUID(int=int(moment.timestamp() * 1000) << 80 | _UUID7 | (bits >> 62) << 64 | (bits & _LOW62))

    def score(self, centre: float, spread: float) -> int:
        return max(1, min(5, round(self.gauss(centre, spread))))


_LEVELS, _CATEGORIES, _CHANNELS = Weighted(LEVELS), Weighted(CATEGORIES), Weighted(CHANNELS)


def first_ticket_id(station_id: uuid.UUID) -> uuid.UUID:
    """The station's first demo ticket: its presence means the station is seeded."""
    return Draws(station_id).uuid()


def _months(now: datetime) -> list[tuple[YearMonth, datetime, datetime]]:
    """The last twelve calendar months in Shanghai, this one included: (month, first instant, end)."""
    month = YearMonth.of(now)
    months = []
    for _ in range(MONTHS):
        months.append(month)
        month = YearMonth(month.year - 1, 12) if month.month == 1 else YearMonth(month.year, month.month - 1)
    return [(m, month_start(m), min(month_start(m.following()), now)) for m in reversed(months)]


def _routes(station: DemoStation, departments: Sequence[DepartmentChoice]) -> dict[str, uuid.UUID | None]:
    """Where each category's ratings go (the catalogue's civil-affairs department when none is known)."""
    local = [d for d in departments if d.subdistrict_id == station.subdistrict_id]
    fallback = stable_id("department", station.subdistrict_name, "civil_affairs") if station.subdistrict_name else None
    return {c: department_for(local, station.subdistrict_id, c) or fallback for c in CATEGORIES}


def station_rows(
    station: DemoStation,
    departments: Sequence[DepartmentChoice],
    reviewers: Sequence[str],
    now: datetime,
    valid_days: int,
) -> Rows:
    """One station's year: closed tickets, invitations, ratings and the department's follow-ups."""
    rng = Draws(station.id)
    first_id = rng.uuid()  # drawn first, so it does not depend on the dates
    team = station.team
    village = station.community_name.endswith("村")
    monthly, quality = _REPORTED_BY_ID.get(station.id) or (
        rng.between(2, 4) if village else rng.between(3, 8),
        min(4.7, max(3.4, rng.gauss(4.15, 0.3))),
    )
    response = 0.66 if station.id in _REPORTED_BY_ID else 0.5 + rng.random() * 0.3
    # People differ: how residents judge them, how often they are late, how much of the work they take.
    skill = {member: rng.gauss(0.0, 0.3) for member in (*team.social_workers, *team.desk, team.secretary) if member}
    late_to_accept = {member: 0.01 + rng.random() * 0.14 for member in skill}
    late_to_resolve = {
        member: min(0.6, max(0.02, 0.3 - (quality - 3.5) * 0.2 + rng.gauss(0, 0.06))) for member in skill
    }
    share = Weighted({member: 0.6 + rng.random() * 0.8 for member in team.social_workers})
    residents: dict[int, str] = {}
    is_demo_station = station.id == stable_id("station", *DEMO_STATION)
    routes = _routes(station, departments)
    rows: Rows = {"closed_ticket": [], "invitation": [], "rating": [], "follow_up": []}
    for month, start, end in _months(now):
        span = (end - start).total_seconds()
        full = (month_start(month.following()) - start).total_seconds()
        days = math.ceil(span / 86400)
        count = round(max(1, monthly + rng.between(-(monthly // 4) - 1, monthly // 4 + 1)) * span / full)
        for _ in range(count):
            ticket_id = first_id if not rows["closed_ticket"] else None
            level = rng.weighted(_LEVELS)
            worker = rng.weighted(share)
            if level == "backstop":
                completed_by = team.secretary if team.secretary and rng.random() < 0.5 else worker
            elif level == "first_inquiry" and team.desk and rng.random() < 0.3:
                completed_by = rng.choice(team.desk)
            else:
                completed_by = worker
            handled = [completed_by]
            if team.desk and rng.random() < 0.4:
                handled.insert(0, rng.choice(team.desk))
            handled = list(dict.fromkeys(handled))
            # A day of the month (so far), closed while the station is open: 08:30 to 20:00.
            day = start.astimezone(SHANGHAI).date() + timedelta(days=int(rng.random() * days))
            closed_at = datetime.combine(day, OPENS, SHANGHAI).astimezone(UTC) + timedelta(minutes=rng.between(0, 680))
            if closed_at >= now:
                continue
            created_at = closed_at - timedelta(minutes=rng.between(20, 60 * 24 * 4))
            ticket_id = ticket_id or rng.uuid7(created_at)
            accepted_on_time = rng.random() >= late_to_accept[completed_by]
            accept_minutes = rng.between(1, ACCEPT_MINUTES) if accepted_on_time else rng.between(31, 240)
            accepted_at = min(created_at + timedelta(minutes=accept_minutes), closed_at)
            resolved_on_time = rng.random() >= late_to_resolve[completed_by]
            resolve_minutes = rng.between(10, RESOLVE_MINUTES) if resolved_on_time else rng.between(1441, 4800)
            category = rng.weighted(_CATEGORIES)
            if is_demo_station and rng.random() < 0.1:
                resident_id = DEMO_RESIDENT_ID  # the demo resident's app lists their own invitations
            else:
                number = int(rng.random() * (40 + monthly * 8))
                if number not in residents:
                    residents[number] = str(rng.uuid())
                resident_id = residents[number]
            place = {
                "station_id": station.id,
                "community_id": station.community_id,
                "community_name": station.community_name,
                "subdistrict_id": station.subdistrict_id,
                "service_category": category,
            }
            rows["closed_ticket"].append(
                {
                    "ticket_id": ticket_id,
                    **place,
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
                    "acceptance_working_minutes": accept_minutes,
                    "resolution_working_minutes": resolve_minutes,
                    "recorded_at": closed_at,
                }
            )
            channel = rng.weighted(_CHANNELS)
            submitted_at = closed_at + timedelta(minutes=rng.between(*DELAYS[channel]))
            expires_at = closed_at + timedelta(days=valid_days)
            rated = rng.random() < response and submitted_at < min(now, expires_at)
            invitation_id = rng.uuid7(closed_at)
            rows["invitation"].append(
                {
                    "id": invitation_id,
                    "ticket_id": ticket_id,
                    # A random value no token hashes to that anyone holds: staff ask for a fresh token to show.
                    "token_hash": secrets.token_hex(32),
                    "resident_id": resident_id,
                    "social_worker_id": completed_by,
                    **place,
                    "created_at": closed_at,
                    "expires_at": expires_at,
                    "redeemed_at": submitted_at if rated else None,
                    "token_issued_at": closed_at if rated and channel in ("qr", "link") else None,
                    "token_issued_by": completed_by if rated and channel in ("qr", "link") else None,
                }
            )
            if not rated:
                continue
            centre = quality + skill[completed_by] - (0.0 if resolved_on_time else 0.6)
            attitude = rng.score(centre + 0.2, 0.8)
            ability = rng.score(centre, 0.9)
            flagged = attitude <= 2 or ability <= 2
            comment = (
                rng.choice(POOR_COMMENTS) if flagged else rng.choice(GOOD_COMMENTS) if rng.random() < 0.3 else None
            )
            rating_id = rng.uuid7(submitted_at)
            department_id = routes[category]
            rows["rating"].append(
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
                    **place,
                    "department_id": department_id,
                    "ticket_closed_at": closed_at,
                    "follow_up_required": flagged,
                    "submitted_at": submitted_at,
                }
            )
            recorded_at = submitted_at + timedelta(days=rng.between(1, 6), minutes=rng.between(0, 600))
            if flagged and rng.random() < 0.85 and recorded_at < now:
                rows["follow_up"].append(
                    {
                        "id": rng.uuid7(recorded_at),
                        "rating_id": rating_id,
                        "department_id": department_id,
                        "recorded_by": rng.choice(reviewers) if reviewers else str(department_id or "department"),
                        "action": rng.choice(FOLLOW_UP_ACTIONS),
                        "note": rng.choice(FOLLOW_UP_NOTES),
                        "recorded_at": recorded_at,
                    }
                )
    return rows


def appeals(ratings: Sequence[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Two disputes at the demo station: one the department upheld, one still pending."""
    station_id = stable_id("station", *DEMO_STATION)
    disputed = [
        r
        for r in ratings
        if r["station_id"] == station_id and r["follow_up_required"] and r["submitted_at"] + timedelta(days=5) < now
    ][:2]
    rows = []
    for index, rating in enumerate(disputed):
        upheld = index == 0
        rows.append(
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
    return rows


def build_rows(
    stations: Sequence[DemoStation],
    departments: Sequence[DepartmentChoice],
    reviewers: dict[uuid.UUID, list[str]],
    now: datetime,
    valid_days: int,
) -> Rows:
    """Every table's rows for ``stations``. Pure: the same arguments give the same rows."""
    rows: Rows = {name: [] for name, _ in TABLES}
    for station in stations:
        for name, items in station_rows(
            station, departments, reviewers.get(station.subdistrict_id, ()), now, valid_days
        ).items():
            rows[name].extend(items)
    rows["appeal"] = appeals(rows["rating"], now)
    return rows


def _fallback_team(station_id: uuid.UUID, subdistrict: str | None, community: str) -> Team:
    """The catalogue's ids for a station's first social worker, receptionist and secretary."""

    def member(role: str) -> str:
        names = (subdistrict, community, role) if subdistrict else (str(station_id), role)
        return str(stable_id("staff", *names))

    return Team((member("social_worker"),), (member("receptionist"),), member("secretary"))


async def demo_stations(session: AsyncSession) -> list[DemoStation]:
    """The stations and active station staff this service knows from the catalogue; the report's stations
    when it knows none."""
    copies: Sequence[tuple[uuid.UUID, uuid.UUID | None, str, uuid.UUID, str | None]] = (
        await session.execute(
            sa.select(
                StationCopy.id,
                StationCopy.community_id,
                StationCopy.community_name,
                StationCopy.subdistrict_id,
                StationCopy.subdistrict_name,
            ).order_by(StationCopy.id)
        )
    ).all()
    if not copies:
        copies = [
            (
                stable_id("station", *names),
                stable_id("community", *names),
                names[1],
                stable_id("subdistrict", names[0]),
                names[0],
            )
            for names in REPORTED
        ]
    roles: dict[uuid.UUID, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    staff = await session.execute(
        sa.select(StaffCopy.id, StaffCopy.role, StaffCopy.station_id)
        .where(StaffCopy.station_id.is_not(None), StaffCopy.active.is_(True))
        .order_by(StaffCopy.id)
    )
    for staff_id, role, station_id in staff.all():
        if station_id is not None:  # always: the query keeps staff placed at a station
            roles[station_id][role or ""].append(staff_id)
    stations = []
    for station_id, community_id, community_name, subdistrict_id, subdistrict_name in copies:
        known = roles.get(station_id, {})
        fallback = _fallback_team(station_id, subdistrict_name, community_name)
        team = Team(
            social_workers=tuple(known.get("social_worker", ())) or fallback.social_workers,
            desk=(*known.get("receptionist", ()), *known.get("joint_receptionist", ())) or fallback.desk,
            secretary=next(iter(known.get("secretary", ())), None) or fallback.secretary,
        )
        stations.append(DemoStation(station_id, community_id, community_name, subdistrict_id, subdistrict_name, team))
    return stations


async def demo_departments(session: AsyncSession) -> tuple[list[DepartmentChoice], dict[uuid.UUID, list[str]]]:
    """The departments ratings go to, and each subdistrict's department staff (who record follow-ups)."""
    departments = [
        DepartmentChoice(d.id, d.kind, d.subdistrict_id, tuple(d.service_categories or ()))
        for d in (await session.scalars(sa.select(DepartmentCopy))).all()
    ]
    reviewers: dict[uuid.UUID, list[str]] = defaultdict(list)
    staff = await session.execute(
        sa.select(StaffCopy.id, StaffCopy.subdistrict_id)
        .where(StaffCopy.role == "department_staff", StaffCopy.subdistrict_id.is_not(None))
        .order_by(StaffCopy.id)
    )
    for staff_id, subdistrict_id in staff.all():
        if subdistrict_id is not None:  # always: the query keeps staff of a subdistrict
            reviewers[subdistrict_id].append(staff_id)
    return departments, reviewers


async def _seeded(session: AsyncSession, stations: Sequence[DemoStation]) -> set[uuid.UUID]:
    markers = {first_ticket_id(station.id): station.id for station in stations}
    found: set[uuid.UUID] = set()
    ids = list(markers)
    for start in range(0, len(ids), 500):
        query = sa.select(ClosedTicket.ticket_id).where(ClosedTicket.ticket_id.in_(ids[start : start + 500]))
        found.update(markers[ticket_id] for ticket_id in (await session.scalars(query)).all())
    return found


async def _wait_for_copies(database: Database, seconds: float) -> None:
    """Distributed mode: the catalogue's events may still be arriving; wait until the copies stop growing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    last: tuple[int, int] | None = None
    steady = 0
    while loop.time() < deadline:
        async with database.sessionmaker() as session:
            counts = (
                int(await session.scalar(sa.select(sa.func.count()).select_from(StationCopy)) or 0),
                int(await session.scalar(sa.select(sa.func.count()).select_from(StaffCopy)) or 0),
            )
        steady = steady + 1 if counts == last and counts[0] > 0 else 0
        if steady >= 3:
            return
        last = counts
        await asyncio.sleep(1)
    logger.warning("catalogue copies still changing after %ss; seeding the stations known so far", seconds)


async def seed_demo(database: Database, *, now: datetime | None = None) -> None:
    settings = current_settings()
    if settings.mode is not Mode.embedded and settings.seed_wait_seconds:
        await _wait_for_copies(database, settings.seed_wait_seconds)
    now = (now or utcnow()).astimezone(UTC)
    async with database.transaction() as session:
        stations = await demo_stations(session)
        seeded = await _seeded(session, stations)
        todo = [station for station in stations if station.id not in seeded]
        if not todo:
            return
        departments, reviewers = await demo_departments(session)
        rows = build_rows(todo, departments, reviewers, now, settings.invitation_valid_days)
        connection = await session.connection()
        if database.is_sqlite:  # the tables' indexes outgrow SQLite's default 2 MB page cache
            await connection.exec_driver_sql("PRAGMA cache_size=-65536")
        for name, table in TABLES:
            items = rows[name]
            for start in range(0, len(items), _CHUNK):
                # A declarative class's __table__ is typed as a FromClause; these are Tables.
                await connection.execute(cast(sa.Table, table).insert(), items[start : start + _CHUNK])
        if database.is_sqlite:
            await connection.exec_driver_sql("PRAGMA cache_size=-2000")
    logger.info(
        "evaluation demo data seeded",
        extra={"stations": len(todo), "tickets": len(rows["closed_ticket"]), "ratings": len(rows["rating"])},
    )
