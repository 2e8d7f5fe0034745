"""HSDS 3.1 objects from the catalogue's rows. Pure: no I/O.

Mapping: the district, its 36 subdistricts and the departments are organizations; stations are
locations (run by their subdistrict); the 7 service categories are one taxonomy; each standard item is
one service (of the district) offered at every station; each optional item is a service of the
station's subdistrict offered at that station.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from catalog_service.service_lists.categories import CATEGORY_BY_CODE, STANDARD_CATEGORIES, standard_item_id
from catalog_service.stations.snapshot import StationPoint
from shared.business_calendar import BusinessCalendar
from shared.ids import stable_id

HSDS_VERSION = "3.1"
DISTRICT_ORG_ID = stable_id("organization", "浦东新区")
TAXONOMY_ID = stable_id("taxonomy", "doorstep_service_categories")
STANDARD_MODIFIED = datetime(2026, 1, 1, tzinfo=UTC)  # when the standard list was last changed
BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def term_id(code: str) -> uuid.UUID:
    return stable_id("taxonomy_term", code)


TERM_CODES = {str(term_id(category.code)): category.code for category in STANDARD_CATEGORIES}


def sal_id(service_id: uuid.UUID, station_id: uuid.UUID) -> uuid.UUID:
    return stable_id("service_at_location", str(service_id), str(station_id))


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class ServiceRef:
    """A service, standard or optional, reduced to what the listings need."""

    id: uuid.UUID
    name: str
    description: str
    category: str
    organization_id: uuid.UUID
    modified: datetime
    station_id: uuid.UUID | None = None  # optional items: their one station
    schedule: dict[str, Any] | None = None
    capacity: int | None = None

    def text(self) -> str:
        return f"{self.name} {self.description} {CATEGORY_BY_CODE[self.category].name}".lower()


STANDARD_SERVICES: tuple[ServiceRef, ...] = tuple(
    ServiceRef(
        id=standard_item_id(category.code, item),
        name=item,
        description=f"{category.name}（规定动作）：浦东每个家门口服务站都提供。",
        category=category.code,
        organization_id=DISTRICT_ORG_ID,
        modified=STANDARD_MODIFIED,
    )
    for category in STANDARD_CATEGORIES
    for item in category.standard_items
)
STANDARD_BY_ID = {service.id: service for service in STANDARD_SERVICES}


# -- taxonomy -------------------------------------------------------------------------------------------


def taxonomy() -> dict[str, Any]:
    return {
        "id": str(TAXONOMY_ID),
        "name": "家门口服务站服务类别",
        "description": "The 7 standard service categories of Pudong's doorstep service stations (规定动作).",
        "version": "1",
    }


def taxonomy_term(code: str) -> dict[str, Any]:
    category = CATEGORY_BY_CODE[code]
    return {
        "id": str(term_id(code)),
        "code": code,
        "name": category.name,
        "description": f"{category.name_en}: {'、'.join(category.standard_items)}",
        "taxonomy": "家门口服务站服务类别",
        "taxonomy_id": str(TAXONOMY_ID),
        "language": "zh",
    }


# -- organizations ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganizationRef:
    id: uuid.UUID
    name: str
    description: str
    kind: str  # district | subdistrict | department
    parent_id: uuid.UUID | None
    categories: tuple[str, ...]
    phone: str | None = None


def district_org() -> OrganizationRef:
    return OrganizationRef(
        DISTRICT_ORG_ID,
        "上海市浦东新区",
        "浦东新区36个街镇、1285个村居家门口服务站：服务清单、资源清单、需求清单。",
        "district",
        None,
        tuple(CATEGORY_BY_CODE),
    )


def organization_basic(org: OrganizationRef) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(org.id), "name": org.name, "description": org.description}
    if org.parent_id is not None:
        data["parent_organization_id"] = str(org.parent_id)
    return data


# -- locations -------------------------------------------------------------------------------------------


def schedules(
    calendar: BusinessCalendar, notes: dict[str, str], *, owner: str, owner_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Weekly periods grouped by identical hours (one schedule per time span), then dated exceptions."""
    offset_hours = 8  # Asia/Shanghai has no daylight saving time
    spans: dict[tuple[str, str], list[int]] = defaultdict(list)
    for weekly in calendar.weekly_periods:
        closes = "24:00" if weekly.closes.hour == 0 and weekly.closes.minute == 0 else weekly.closes.strftime("%H:%M")
        spans[(weekly.opens.strftime("%H:%M"), closes)].append(weekly.weekday)
    result = []
    for (opens, closes), weekdays in sorted(spans.items()):
        byday = ",".join(BYDAY[day] for day in sorted(weekdays))
        result.append(
            {
                "id": str(stable_id("schedule", owner, str(owner_id), byday, opens, closes)),
                f"{owner}_id": str(owner_id),
                "freq": "WEEKLY",
                "wkst": "MO",
                "byday": byday,
                "opens_at": opens,
                "closes_at": closes,
                "timezone": offset_hours,
                "description": f"{byday} {opens}-{closes}",
            }
        )
    for exception in calendar.exceptions:
        day = exception.day.isoformat()
        note = notes.get(day, "")
        base = {f"{owner}_id": str(owner_id), "valid_from": day, "valid_to": day, "timezone": offset_hours}
        if exception.is_closed:
            result.append(
                {
                    "id": str(stable_id("schedule", owner, str(owner_id), day)),
                    **base,
                    "description": f"闭站 {note}".strip(),
                }
            )
        for period in exception.periods:
            opens, closes = period.opens.strftime("%H:%M"), period.closes.strftime("%H:%M")
            result.append(
                {
                    "id": str(stable_id("schedule", owner, str(owner_id), day, opens)),
                    **base,
                    "opens_at": opens,
                    "closes_at": closes,
                    "description": f"特别开放 {note}".strip(),
                }
            )
    return result


def location_basic(point: StationPoint) -> dict[str, Any]:
    return {
        "id": str(point.id),
        "location_type": "physical",
        "organization_id": str(point.subdistrict_id),
        "name": point.name,
        "description": f"{point.community_name}家门口服务站",
        "latitude": point.latitude,
        "longitude": point.longitude,
    }


def location_full(point: StationPoint) -> dict[str, Any]:
    data = location_basic(point)
    data["addresses"] = [
        {
            "id": str(stable_id("address", str(point.id))),
            "location_id": str(point.id),
            "address_1": point.address,
            "city": "上海市",
            "region": "浦东新区",
            "state_province": "上海市",
            "postal_code": "",
            "country": "CN",
            "address_type": "physical",
        }
    ]
    if point.phone:
        data["phones"] = [
            {"id": str(stable_id("phone", str(point.id))), "location_id": str(point.id), "number": point.phone}
        ]
    notes = {item["day"]: item["note"] for item in point.opening_hours.get("exceptions", []) if item.get("note")}
    data["schedules"] = schedules(point.calendar, notes, owner="location", owner_id=point.id)
    return data


# -- services --------------------------------------------------------------------------------------------


def service_basic(service: ServiceRef) -> dict[str, Any]:
    return {
        "id": str(service.id),
        "organization_id": str(service.organization_id),
        "name": service.name,
        "alternate_name": CATEGORY_BY_CODE[service.category].name,
        "description": service.description or service.name,
        "status": "active",
        "last_modified": iso(service.modified),
    }


def _attribute(service: ServiceRef) -> dict[str, Any]:
    term = taxonomy_term(service.category)
    return {
        "id": str(stable_id("attribute", str(service.id), term["id"])),
        "link_id": str(service.id),
        "link_type": "service_category",
        "link_entity": "service",
        "taxonomy_term_id": term["id"],
        "value": service.category,
        "taxonomy_term": term,
    }


def sal_basic(service: ServiceRef, point: StationPoint) -> dict[str, Any]:
    return {
        "id": str(sal_id(service.id, point.id)),
        "service_id": str(service.id),
        "location_id": str(point.id),
        "description": f"{service.name} @ {point.name}",
        "location": location_basic(point),
        "service": service_basic(service),
    }


def sal_full(service: ServiceRef, point: StationPoint) -> dict[str, Any]:
    data = sal_basic(service, point)
    data["location"] = location_full(point)
    data["attributes"] = [_attribute(service)]
    return data


def service_full(service: ServiceRef, organization: OrganizationRef, points: list[StationPoint]) -> dict[str, Any]:
    data = service_basic(service)
    data["organization"] = organization_basic(organization)
    data["attributes"] = [_attribute(service)]
    data["service_at_locations"] = [
        {
            "id": str(sal_id(service.id, point.id)),
            "service_id": str(service.id),
            "location_id": str(point.id),
            "location": location_basic(point),
        }
        for point in points
    ]
    if service.schedule:
        calendar = BusinessCalendar.from_dict(service.schedule)
        data["schedules"] = schedules(calendar, {}, owner="service", owner_id=service.id)
    if service.capacity is not None:
        data["capacities"] = [
            {
                "id": str(stable_id("capacity", str(service.id))),
                "service_id": str(service.id),
                "unit": {"id": str(stable_id("unit", "places")), "name": "名额"},
                "available": service.capacity,
                "maximum": service.capacity,
                "updated": iso(service.modified),
            }
        ]
    return data


def organization_full(
    org: OrganizationRef, services: list[ServiceRef], locations: list[StationPoint]
) -> dict[str, Any]:
    data = organization_basic(org)
    data["services"] = [service_basic(service) for service in services]
    data["locations"] = [location_basic(point) for point in locations]
    if org.phone:
        data["phones"] = [
            {"id": str(stable_id("phone", str(org.id))), "organization_id": str(org.id), "number": org.phone}
        ]
    return data
