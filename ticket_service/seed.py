"""Demo data: duty rotas for the seeded stations, tickets in every state, and the demo Open311 key.

Deterministic (stable ids) and idempotent (a second run changes nothing). In the embedded mode the
catalogue's events are delivered before this runs; in the distributed mode (`python -m ticket_service
seed`) it waits up to ``seed_wait_seconds`` for the station copies to arrive.

Demo Open311 key: ``demo-open311-key`` (TICKET_OPEN311_DEMO_API_KEY), stored hashed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, Role
from shared.database import Database
from shared.ids import stable_id, utcnow
from shared.settings import Mode
from ticket_service.open311.keys import hash_key
from ticket_service.open311.models import ApiKey
from ticket_service.rota.models import RotaPattern
from ticket_service.rota.service import station_zone
from ticket_service.settings import TicketSettings
from ticket_service.stations import repository as stations
from ticket_service.stations.models import StationCopy
from ticket_service.tickets import service
from ticket_service.tickets.lifecycle import TicketAction
from ticket_service.tickets.models import Ticket
from ticket_service.tickets.schemas import BackstopRequest, Channel, OnsiteOfficeRequest, TicketCreate
from ticket_service.tickets.sla import SlaPolicy

logger = logging.getLogger("ticket.seed")

# The communities the report names (the catalogue seeds a station for each).
REPORTED = [
    ("陆家嘴街道", "市新居委会"), ("陆家嘴街道", "滨江居委会"),
    ("潍坊新村街道", "潍坊一村"), ("潍坊新村街道", "潍坊四村"),
    ("周浦镇", "界村"), ("金桥镇", "张桥"), ("金桥镇", "永业"), ("金桥镇", "新城"),
]  # fmt: skip
DEMO_SUBDISTRICT, DEMO_COMMUNITY = "陆家嘴街道", "市新居委会"
DEMO_STATION_ID = stable_id("station", DEMO_SUBDISTRICT, DEMO_COMMUNITY)


def demo_staff_id(role: str) -> str:
    return str(stable_id("staff", DEMO_SUBDISTRICT, DEMO_COMMUNITY, role))


DEMO_RESIDENT_ID = str(stable_id("resident", "demo"))
# Morning and evening reception shifts: the station opens 08:30 and closes 20:00 (as in the report).
SHIFTS = ((time(8, 30), time(14, 0)), (time(14, 0), time(20, 0)))

# (label, channel, category, item, description, actions after intake)
DEMO_TICKETS = [
    ("new", Channel.walk_in, "government_affairs", "government_affairs.medical_record_book",
     "医疗记录册用完了，想换一本新的", ()),
    ("accepted", Channel.phone, "daily_life", "daily_life.elderly_care", "独居的父亲需要定期探访", ("accept",)),
    ("in_progress", Channel.app, "legal", "legal.mediation", "楼上漏水，与邻居协商未果，申请调解", ("accept", "start")),
    ("waiting_for_resident", Channel.walk_in, "government_affairs", "government_affairs.certificates",
     "办理居住证明，需补交租赁合同", ("accept", "start", "wait_for_resident")),
    ("resolved", Channel.video_link, "government_affairs", "government_affairs.video_link",
     "视频连线受理中心补办医保卡", ("accept", "start", "resolve")),
    ("closed", Channel.walk_in, "daily_life", "daily_life.printing", "打印社保缴费证明",
     ("accept", "resolve", "close")),
    ("cancelled", Channel.web, "culture", "culture.classes", "报名书法兴趣课（已自行报名）", ("cancel",)),
    ("reopened", Channel.phone, "community_management", "community_management.sanitation",
     "小区垃圾房异味，处理后又复发", ("accept", "resolve", "close", "reopen")),
    ("backstop", Channel.walk_in, "community_management", "community_management.property",
     "老旧小区加装电梯意见分歧，超出社工职权", ("accept", "start")),
]  # fmt: skip


# The result text (办理结果) each resolution of a demo ticket gives the resident: required to resolve.
DEMO_RESULTS = {
    "resolved": "已通过视频连线在受理中心补办医保卡，新卡将寄到家中。",
    "closed": "已当场打印社保缴费证明并交给居民。",
    "reopened": "已联系物业清理垃圾房并消毒。",
}


async def _wait_for_stations(database: Database, wanted: list[uuid.UUID], seconds: float) -> list[StationCopy]:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        async with database.sessionmaker() as session:
            found = list(await session.scalars(sa.select(StationCopy).where(StationCopy.id.in_(wanted))))
        if DEMO_STATION_ID in {station.id for station in found} or asyncio.get_running_loop().time() >= deadline:
            return found
        await asyncio.sleep(1)


def _principal(role: str, station: StationCopy) -> Principal:
    return Principal(
        user_id=demo_staff_id(role),
        roles=frozenset({role}),
        station_id=str(station.id),
        community_id=str(station.community_id) if station.community_id else None,
        subdistrict_id=str(station.subdistrict_id),
    )


async def _seed_rota(session: AsyncSession, station: StationCopy, today: date) -> None:
    if await session.scalar(sa.select(RotaPattern.id).where(RotaPattern.station_id == station.id).limit(1)):
        return
    desk = [
        staff.id
        for staff in await stations.station_staff(session, station)
        if staff.role in ("receptionist", "joint_receptionist", "social_worker") and staff.station_id == station.id
    ]
    if not desk and station.id == DEMO_STATION_ID:
        desk = [demo_staff_id("receptionist"), demo_staff_id("social_worker")]
    if not desk:
        return
    # Two people alternate the morning and evening shifts; one person alone covers the whole day.
    shifts = SHIFTS if len(desk) > 1 else ((SHIFTS[0][0], SHIFTS[-1][1]),)
    for weekday in range(7):
        for index, (start, end) in enumerate(shifts):
            session.add(
                RotaPattern(
                    id=stable_id("rota", str(station.id), str(weekday), str(index)),
                    station_id=station.id,
                    person_id=desk[(weekday + index) % len(desk)],
                    role="reception",
                    weekday=weekday,
                    start_time=start,
                    end_time=end,
                    valid_from=today,
                    created_by="seed",
                )
            )


async def _seed_tickets(session: AsyncSession, station: StationCopy, policy: SlaPolicy) -> None:
    now = utcnow()
    receptionist = _principal(Role.receptionist, station)
    secretary = _principal(Role.secretary, station)
    resident = Principal(user_id=DEMO_RESIDENT_ID, roles=frozenset({Role.resident}))
    for label, channel, _category, item, description, actions in DEMO_TICKETS:
        ticket_id = stable_id("ticket", "demo", label)
        if await session.get(Ticket, ticket_id) is not None:
            continue
        raiser = resident if channel in (Channel.app, Channel.web) else receptionist
        data = TicketCreate(
            station_id=station.id,
            channel=channel,
            service_item=item,
            description=description,
            resident_name=None if raiser is resident else "王阿姨",
            resident_phone=None if raiser is resident else "13800000000",
            resident_id=DEMO_RESIDENT_ID,
        )
        ticket = await service.create_ticket(session, data, raiser, now, policy, ticket_id=ticket_id)
        for action in actions:
            actor = resident if action in ("cancel", "reopen") and raiser is resident else receptionist
            if action == "reopen":
                actor = resident
            result = DEMO_RESULTS.get(label) if action == "resolve" else None
            await service.transition(
                session, ticket, station, TicketAction(action), actor, now, policy, result_text=result
            )
        if label == "backstop":
            await service.backstop_ticket(
                session, ticket.id, BackstopRequest(note="超出社工职权"), secretary, now, policy
            )
            await service.request_onsite_office(
                session,
                ticket.id,
                OnsiteOfficeRequest(title="加装电梯现场办公", description="邀请街道房管、规划部门到站现场办公"),
                secretary,
                now,
            )


async def seed_demo(database: Database) -> None:
    settings = TicketSettings()
    policy = SlaPolicy(accept_minutes=settings.sla_accept_minutes, resolve_minutes=settings.sla_resolve_minutes)
    wanted = [stable_id("station", subdistrict, community) for subdistrict, community in REPORTED]
    # The embedded launcher delivers the catalogue's events before this runs: no need to wait there.
    wait = settings.seed_wait_seconds if settings.mode is not Mode.embedded else 0
    found = await _wait_for_stations(database, wanted, wait)
    if not found:
        logger.warning("no station copies arrived from the catalogue; ticket demo data not seeded")
    async with database.transaction() as session:
        key_id = stable_id("api_key", "demo")
        if await session.get(ApiKey, key_id) is None:
            session.add(
                ApiKey(
                    id=key_id,
                    name="Demo district system (Open311)",
                    client_id="open311-demo",
                    key_hash=hash_key(settings.open311_demo_api_key),
                    key_prefix=settings.open311_demo_api_key[:12],
                    created_by="seed",
                )
            )
        for station in found:
            today = utcnow().astimezone(station_zone(station)).date() - timedelta(days=7)
            await _seed_rota(session, station, today)
        await session.flush()
        demo = next((station for station in found if station.id == DEMO_STATION_ID), None)
        if demo is not None:
            await _seed_tickets(session, demo, policy)
