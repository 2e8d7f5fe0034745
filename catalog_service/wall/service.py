"""What a station puts on its wall: its three lists, opening hours and contact. Read-only."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.service_lists.categories import CATEGORY_BY_CODE
from catalog_service.service_lists.service import service_list
from catalog_service.stations import hours, repository
from catalog_service.stations.models import Station
from catalog_service.wall import repository as wall_queries

ROLE_NAMES = {
    "receptionist": "接待员",
    "joint_receptionist": "联合接待员",
    "social_worker": "社工",
    "secretary": "书记",
}
STATUS_NAMES = {"open": "待对接", "matched": "已对接", "fulfilled": "已满足", "closed": "已关闭"}
URGENCY_NAMES = {"low": "一般", "normal": "普通", "high": "较急", "urgent": "紧急"}
WEEKDAY_SHORT = "一二三四五六日"


def _schedule_text(schedule: dict[str, Any] | None, note: str | None) -> str:
    parts = []
    if schedule:
        calendar = hours.parse_calendar(schedule, field="schedule")
        parts += [f"{days} {text}" for days, text in hours.weekly_summary(calendar) if text != "休息"]
    if note:
        parts.append(note)
    return "；".join(parts) or "开放时间内"


async def wall(session: AsyncSession, station: Station, today: date) -> dict[str, Any]:
    subdistrict = await repository.get_subdistrict(session, station.subdistrict_id)
    calendar = hours.parse_calendar(station.opening_hours)
    notes = hours.notes_of(station.opening_hours)
    services = await service_list(session, station)
    staff = await wall_queries.active_staff(session, station.id)
    usable = await wall_queries.usable_resources(session, station.subdistrict_id)
    demands = await wall_queries.unclosed_demands(session, station.id)
    return {
        "station": {
            "id": str(station.id),
            "name": station.name,
            "community_name": station.community_name,
            "subdistrict_name": subdistrict.name if subdistrict else "",
            "address": station.address,
            "phone": station.phone,
            "latitude": station.latitude,
            "longitude": station.longitude,
        },
        "opening_hours": {
            "time_zone": station.time_zone,
            "weekly": [{"days": days, "hours": text} for days, text in hours.weekly_summary(calendar)],
            "exceptions": [
                {"day": day, "hours": text, "note": note}
                for day, text, note in hours.exception_lines(calendar, notes, today)
            ],
        },
        "contact": {
            "phone": station.phone,
            "staff": [{"name": m.name, "role": ROLE_NAMES.get(m.role, m.role)} for m in staff],
        },
        "service_list": [
            {
                "code": category.code,
                "name": category.name,
                "standard_items": [item.name for item in category.standard_items],
                "optional_items": [
                    {
                        "title": item.title,
                        "description": item.description,
                        "schedule": _schedule_text(item.schedule, item.schedule_note),
                        "capacity": item.capacity,
                    }
                    for item in category.optional_items
                ],
            }
            for category in services.categories
        ],
        "resource_list": [
            {
                "id": str(r.id),
                "title": r.title,
                "category": CATEGORY_BY_CODE[r.category].name if r.category in CATEGORY_BY_CODE else r.category,
                "provider": r.provider_name,
                "capacity": f"每天{r.capacity}{r.unit}",
                "lead_time_days": r.lead_time_days,
                "description": r.description,
            }
            for r in usable
        ],
        "demand_list": [
            {
                "id": str(d.id),
                "title": d.title,
                "category": CATEGORY_BY_CODE[d.category].name if d.category in CATEGORY_BY_CODE else d.category,
                "urgency": URGENCY_NAMES.get(d.urgency, d.urgency),
                "status": STATUS_NAMES.get(d.status, d.status),
                "description": d.description,
            }
            for d in demands
        ],
        "printed_on": today.isoformat(),
    }
