"""CSV import and export of stations, staff and resources. Never commits.

Imports are idempotent (rows are keyed by stable ids from their names, or by an `id` column), check
every row before writing anything, and report each bad row with its line and field. An export is a
valid import: exporting and importing again changes nothing.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.access import manages_provider, manages_subdistrict
from catalog_service.csv_io import formats, repository
from catalog_service.csv_io.formats import CellError
from catalog_service.events import STAFF_REMOVED, STAFF_UPDATED, outbox
from catalog_service.resources import availability
from catalog_service.resources import repository as resource_queries
from catalog_service.resources import service as resources
from catalog_service.resources.schemas import ResourceCreate, ResourceUpdate, WindowIn
from catalog_service.service_lists.categories import CATEGORY_CODES
from catalog_service.settings import CatalogSettings
from catalog_service.staff import repository as staff_repository
from catalog_service.staff import service as staff_service
from catalog_service.staff.schemas import STATION_ROLES, StaffCreate
from catalog_service.stations import hours
from catalog_service.stations import service as stations
from catalog_service.stations.models import Subdistrict
from catalog_service.stations.schemas import StationCreate
from shared.auth import Principal
from shared.business_calendar import BusinessCalendar, CalendarError
from shared.errors import Forbidden, Problem
from shared.ids import stable_id

STATION_COLUMNS = (
    "subdistrict", "community", "community_kind", "name", "address", "latitude", "longitude", "phone", "hours",
    "exceptions",
)  # fmt: skip
STAFF_COLUMNS = (
    "id", "name", "role", "subdistrict", "community", "department_kind", "service_categories", "phone", "active"
)  # fmt: skip
RESOURCE_COLUMNS = (
    "id", "title", "category", "provider_subdistrict", "provider_department_kind", "provider_community",
    "description", "capacity", "unit", "lead_time_days", "availability", "allowed_subdistricts", "active",
)  # fmt: skip
ROLES = STATION_ROLES | {"department_staff"}
TRUE, FALSE = {"true", "1", "yes", "是"}, {"false", "0", "no", "否"}


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    out_of_scope: list[dict[str, Any]] = field(default_factory=list)

    def error(self, line: int, field_name: str, message: str) -> None:
        self.errors.append({"line": line, "field": field_name, "message": message})

    def refuse_if_bad(self) -> None:
        if self.errors:
            self.errors.sort(key=lambda e: e["line"])
            raise Problem(
                f"{len(self.errors)} problems in the file; nothing was imported.",
                status=422,
                code="invalid_rows",
                field=self.errors[0]["field"],
                errors=self.errors,
            )
        if self.out_of_scope:
            raise Forbidden(
                "Some rows are outside what you manage; nothing was imported.",
                code="out_of_scope",
                errors=self.out_of_scope,
            )

    def summary(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def decode(body: bytes) -> str:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Problem("The file is not UTF-8 text.", status=422, code="not_utf8", field="body") from error
    if "\x00" in text:  # whatever the declared content type: PostgreSQL cannot store it
        raise Problem("The file holds a NUL character.", status=422, code="nul_character", field="body")
    return text


def _read(
    text: str, columns: tuple[str, ...], required: frozenset[str], outcome: Outcome
) -> list[tuple[int, dict[str, str]]]:
    rows, errors = formats.rows_of(text, columns, required)
    outcome.errors += errors
    if not rows and not errors:
        outcome.error(2, "row", "the file has no rows")
    return rows


def _number(value: str, line: int, name: str, outcome: Outcome) -> float | None:
    try:
        number = float(value)
    except ValueError:
        outcome.error(line, name, "not a number")
        return None
    if not math.isfinite(number):
        outcome.error(line, name, "not a finite number")
        return None
    return number


def _integer(value: str, line: int, name: str, outcome: Outcome, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except ValueError:
        outcome.error(line, name, "not a whole number")
        return None
    if not low <= number <= high:
        outcome.error(line, name, f"must be between {low} and {high}")
        return None
    return number


def _flag(value: str, line: int, name: str, outcome: Outcome) -> bool:
    if value == "" or value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    outcome.error(line, name, "use true or false")
    return True


def _categories(value: str, line: int, name: str, outcome: Outcome) -> list[str]:
    found = formats.parse_list(value)
    for code in found:
        if code not in CATEGORY_CODES:
            outcome.error(line, name, f"unknown service category {code!r}")
    return list(dict.fromkeys(found))


# -- stations -------------------------------------------------------------------------------------------


async def export_stations(session: AsyncSession, subdistrict_id: uuid.UUID | None) -> str:
    names = await repository.subdistrict_names(session)
    kinds = await repository.community_kinds(session)
    rows = [
        {
            "subdistrict": names[s.subdistrict_id],
            "community": s.community_name,
            "community_kind": kinds.get(s.community_id, ""),
            "name": s.name,
            "address": s.address,
            "latitude": repr(s.latitude),
            "longitude": repr(s.longitude),
            "phone": s.phone,
            "hours": formats.format_hours(s.opening_hours["weekly_periods"]),
            "exceptions": formats.format_exceptions(s.opening_hours.get("exceptions", [])),
        }
        for s in await repository.stations(session, subdistrict_id)
    ]
    return formats.to_csv(STATION_COLUMNS, rows)


async def import_stations(
    session: AsyncSession, text: str, principal: Principal, settings: CatalogSettings
) -> dict[str, int]:
    outcome = Outcome()
    rows = _read(
        text,
        STATION_COLUMNS,
        frozenset({"subdistrict", "community", "name", "address", "latitude", "longitude"}),
        outcome,
    )
    subdistricts = await repository.subdistricts_by_name(session)
    existing = await repository.stations_by_id(session)
    seen: dict[uuid.UUID, int] = {}
    planned: list[tuple[uuid.UUID, Subdistrict, dict[str, Any]]] = []
    for line, row in rows:
        subdistrict = subdistricts.get(row.get("subdistrict", ""))
        if subdistrict is None:
            outcome.error(line, "subdistrict", "unknown subdistrict")
        elif not manages_subdistrict(principal, subdistrict.id):
            outcome.out_of_scope.append({"line": line, "field": "subdistrict", "message": "not your subdistrict"})
        for name in ("community", "name", "address"):
            if not row.get(name):
                outcome.error(line, name, "required")
        kind = row.get("community_kind", "")
        if kind not in ("", "neighbourhood", "village"):
            outcome.error(line, "community_kind", "neighbourhood or village")
        latitude = _number(row.get("latitude", ""), line, "latitude", outcome)
        longitude = _number(row.get("longitude", ""), line, "longitude", outcome)
        if latitude is not None and not settings.district_south <= latitude <= settings.district_north:
            outcome.error(line, "latitude", "outside Pudong")
        if longitude is not None and not settings.district_west <= longitude <= settings.district_east:
            outcome.error(line, "longitude", "outside Pudong")
        opening: dict[str, Any] | None = None
        try:
            weekly = (
                formats.parse_hours(row.get("hours", ""))
                if row.get("hours")
                else hours.STANDARD_HOURS["weekly_periods"]
            )
            exceptions = formats.parse_exceptions(row.get("exceptions", ""))
        except CellError as error:
            outcome.error(line, "exceptions" if "date" in str(error) or "closed" in str(error) else "hours", str(error))
        else:
            data = {"time_zone": "Asia/Shanghai", "weekly_periods": weekly, "exceptions": exceptions}
            try:
                calendar = BusinessCalendar.from_dict(data)
                opening = hours.stored_form(calendar, hours.notes_of(data))
            except CalendarError as error:
                column = "exceptions" if error.field.startswith("exceptions") else "hours"
                outcome.error(line, column, f"{error.field}: {error.reason}")
            else:
                if not calendar.weekly_periods:
                    outcome.error(line, "hours", "never opens: give at least one weekly period")
        if subdistrict is None or not row.get("community"):
            continue
        station_id = stable_id("station", subdistrict.name, row["community"])
        if station_id in seen:
            outcome.error(line, "community", f"repeats line {seen[station_id]}")
            continue
        seen[station_id] = line
        if opening is not None and latitude is not None and longitude is not None:
            planned.append(
                (
                    station_id,
                    subdistrict,
                    {
                        "community_kind": kind or None,
                        "community_name": row["community"],
                        "name": row.get("name", ""),
                        "address": row.get("address", ""),
                        "latitude": latitude,
                        "longitude": longitude,
                        "phone": row.get("phone") or None,
                        "opening_hours": opening,
                    },
                )
            )
    outcome.refuse_if_bad()
    for station_id, subdistrict, values in planned:
        station = existing.get(station_id)
        if station is None:
            create = StationCreate(subdistrict_id=subdistrict.id, **values)
            await stations.create_station(session, create, settings=settings, station_id=station_id)
            outcome.created += 1
            continue
        changes = {
            key: value
            for key, value in values.items()
            if key not in ("community_kind", "community_name") and getattr(station, key) != value
        }
        if not changes:
            outcome.unchanged += 1
            continue
        for key, value in changes.items():
            setattr(station, key, value)
        await stations.publish_update(session, station)
        outcome.updated += 1
    return outcome.summary()


# -- staff ----------------------------------------------------------------------------------------------


async def export_staff(session: AsyncSession, principal: Principal) -> str:
    subdistricts = await repository.subdistrict_names(session)
    departments = await repository.departments_by_id(session)
    communities = await repository.community_names(session)
    rows = []
    for member in await staff_repository.visible_staff(session, principal):
        department = departments.get(member.department_id) if member.department_id else None
        rows.append(
            {
                "id": str(member.id),
                "name": member.name,
                "role": member.role,
                "subdistrict": subdistricts.get(member.subdistrict_id, "") if member.subdistrict_id else "",
                "community": communities.get(member.station_id, "") if member.station_id else "",
                "department_kind": department.kind if department else "",
                "service_categories": "|".join(member.service_categories),
                "phone": member.phone,
                "active": "true" if member.active else "false",
            }
        )
    return formats.to_csv(STAFF_COLUMNS, rows)


async def import_staff(session: AsyncSession, text: str, principal: Principal) -> dict[str, int]:
    outcome = Outcome()
    rows = _read(text, STAFF_COLUMNS, frozenset({"name", "role", "subdistrict"}), outcome)
    subdistricts = await repository.subdistricts_by_name(session)
    station_ids = await repository.station_ids(session)
    department_ids = await repository.department_ids(session)
    seen: dict[uuid.UUID, int] = {}
    planned: list[tuple[uuid.UUID, dict[str, Any], bool]] = []
    for line, row in rows:
        role = row.get("role", "")
        if role not in ROLES:
            outcome.error(line, "role", f"one of {', '.join(sorted(ROLES))}")
        if not row.get("name"):
            outcome.error(line, "name", "required")
        subdistrict_name = row.get("subdistrict", "")
        subdistrict = subdistricts.get(subdistrict_name) if subdistrict_name else None
        if subdistrict_name and subdistrict is None:
            outcome.error(line, "subdistrict", "unknown subdistrict")
        categories = _categories(row.get("service_categories", ""), line, "service_categories", outcome)
        active = _flag(row.get("active", ""), line, "active", outcome)
        station_id = department_id = None
        if role in STATION_ROLES:
            if not subdistrict_name:
                outcome.error(line, "subdistrict", "required for station staff")
            if not row.get("community"):
                outcome.error(line, "community", "required for station staff")
            elif subdistrict is not None:
                station_id = stable_id("station", subdistrict.name, row["community"])
                if station_id not in station_ids:
                    outcome.error(line, "community", "no station for this community")
        elif role == "department_staff":
            kind = row.get("department_kind", "")
            department_id = stable_id("department", subdistrict.name if subdistrict else "district", kind)
            if not kind:
                outcome.error(line, "department_kind", "required for department staff")
            elif department_id not in department_ids:
                outcome.error(line, "department_kind", "no such department")
        if not manages_subdistrict(principal, subdistrict.id if subdistrict else None):
            outcome.out_of_scope.append({"line": line, "field": "subdistrict", "message": "not yours to manage"})
        key = row.get("id", "")
        if key:
            try:
                staff_id = uuid.UUID(key)
            except ValueError:
                outcome.error(line, "id", "not a UUID")
                continue
        else:
            place = row.get("community") or row.get("department_kind", "")
            staff_id = stable_id("staff", subdistrict_name or "district", place, role, row.get("name", ""))
        if staff_id in seen:
            outcome.error(line, "id", f"repeats line {seen[staff_id]}")
            continue
        seen[staff_id] = line
        values: dict[str, Any] = {
            "name": row.get("name", ""),
            "role": role,
            "station_id": station_id,
            "department_id": department_id,
            "service_categories": categories,
            "phone": row.get("phone") or None,
        }
        planned.append((staff_id, values, active))
    outcome.refuse_if_bad()
    for staff_id, values, active in planned:
        member = await repository.get_staff(session, staff_id)
        if member is None:
            member = await staff_service.create_staff(session, StaffCreate(**values), staff_id=staff_id)
            if not active:
                await staff_service.remove_staff(session, member)
            outcome.created += 1
            continue
        placement = await staff_service.place(session, values["role"], values["station_id"], values["department_id"])
        target = {**values, **placement}
        changes = {key: value for key, value in target.items() if getattr(member, key) != value}
        if not changes and member.active == active:
            outcome.unchanged += 1
            continue
        outcome.updated += 1
        if changes or (active and not member.active):
            for key, value in changes.items():
                setattr(member, key, value)
            member.active = active
            await session.flush()
            event = STAFF_UPDATED if active else STAFF_REMOVED
            await outbox.add(session, event, staff_service.staff_state(member), subject=str(member.id))
        else:
            await staff_service.remove_staff(session, member)
    return outcome.summary()


# -- resources ------------------------------------------------------------------------------------------


async def export_resources(session: AsyncSession) -> str:
    subdistricts = await repository.subdistrict_names(session)
    departments = await repository.departments_by_id(session)
    items = await repository.resources(session)
    ids = [r.id for r in items]
    windows = await resource_queries.windows_of(session, ids)
    allowed = await resource_queries.allowed_of(session, ids)
    communities = await repository.community_names(session)
    rows = []
    for r in items:
        rows.append(
            {
                "id": str(r.id),
                "title": r.title,
                "category": r.category,
                "provider_subdistrict": subdistricts.get(r.subdistrict_id, "") if r.subdistrict_id else "",
                "provider_department_kind": departments[r.department_id].kind if r.department_id else "",
                "provider_community": communities.get(r.station_id, "") if r.station_id else "",
                "description": r.description,
                "capacity": r.capacity,
                "unit": r.unit,
                "lead_time_days": r.lead_time_days,
                "availability": formats.format_windows(
                    [(w.starts_on, w.ends_on, availability.weekdays_of(w.weekdays)) for w in windows[r.id]]
                ),
                "allowed_subdistricts": "*"
                if r.district_wide
                else "|".join(sorted(subdistricts[s] for s in allowed[r.id])),
                "active": "true" if r.active else "false",
            }
        )
    return formats.to_csv(RESOURCE_COLUMNS, rows)


async def import_resources(session: AsyncSession, text: str, principal: Principal, today: Any) -> dict[str, int]:
    outcome = Outcome()
    required = frozenset({"title", "category", "capacity", "availability"})
    rows = _read(text, RESOURCE_COLUMNS, required, outcome)
    subdistricts = await repository.subdistricts_by_name(session)
    departments = await repository.departments_by_id(session)
    station_ids = await repository.station_ids(session)
    seen: dict[uuid.UUID, int] = {}
    planned: list[tuple[uuid.UUID, dict[str, Any], bool]] = []
    for line, row in rows:
        if not row.get("title"):
            outcome.error(line, "title", "required")
        if row.get("category", "") not in CATEGORY_CODES:
            outcome.error(line, "category", "unknown service category")
        capacity = _integer(row.get("capacity", ""), line, "capacity", outcome, 1, 100_000)
        lead = _integer(row.get("lead_time_days") or "0", line, "lead_time_days", outcome, 0, 365)
        active = _flag(row.get("active", ""), line, "active", outcome)
        windows: list[dict[str, Any]] = []
        try:
            windows = formats.parse_windows(row.get("availability", ""))
            resources.windows_from([WindowIn(**w) for w in windows])
        except CellError as error:
            outcome.error(line, "availability", str(error))
        except Problem as error:
            outcome.error(line, "availability", error.detail)
        subdistrict_name = row.get("provider_subdistrict", "")
        subdistrict = subdistricts.get(subdistrict_name) if subdistrict_name else None
        if subdistrict_name and subdistrict is None:
            outcome.error(line, "provider_subdistrict", "unknown subdistrict")
        department_id = station_id = None
        kind, community = row.get("provider_department_kind", ""), row.get("provider_community", "")
        if bool(kind) == bool(community):
            outcome.error(line, "provider_department_kind", "name a department kind or a community, not both")
        elif kind:
            department_id = stable_id("department", subdistrict.name if subdistrict else "district", kind)
            if department_id not in departments:
                outcome.error(line, "provider_department_kind", "no such department")
        elif subdistrict is None:
            outcome.error(line, "provider_subdistrict", "required for a community's resource")
        else:
            station_id = stable_id("station", subdistrict.name, community)
            if station_id not in station_ids:
                outcome.error(line, "provider_community", "no station for this community")
        allowed_text = row.get("allowed_subdistricts", "")
        allowed: list[uuid.UUID] | None = None
        district_wide = allowed_text == "*"
        if allowed_text and not district_wide:
            allowed = []
            for name in formats.parse_list(allowed_text):
                if name not in subdistricts:
                    outcome.error(line, "allowed_subdistricts", f"unknown subdistrict {name!r}")
                else:
                    allowed.append(subdistricts[name].id)
        provider_subdistrict = subdistrict.id if subdistrict else None
        if not manages_provider(principal, department_id, provider_subdistrict):
            outcome.out_of_scope.append({"line": line, "field": "provider_department_kind", "message": "not yours"})
        provider_id = department_id or station_id
        key = row.get("id", "")
        try:
            resource_id = uuid.UUID(key) if key else stable_id("resource", str(provider_id), row.get("title", ""))
        except ValueError:
            outcome.error(line, "id", "not a UUID")
            continue
        if resource_id in seen:
            outcome.error(line, "id", f"repeats line {seen[resource_id]}")
            continue
        seen[resource_id] = line
        planned.append(
            (
                resource_id,
                {
                    "title": row.get("title", ""),
                    "category": row.get("category", ""),
                    "department_id": department_id,
                    "station_id": station_id,
                    "description": row.get("description", ""),
                    "capacity": capacity,
                    "unit": row.get("unit") or "次",
                    "lead_time_days": lead,
                    "availability": windows,
                    "allowed_subdistrict_ids": allowed,
                    "district_wide": district_wide,
                },
                active,
            )
        )
    outcome.refuse_if_bad()
    for resource_id, values, active in planned:
        resource = await repository.get_resource(session, resource_id)
        if resource is None:
            resource = await resources.create_resource(session, ResourceCreate(**values), resource_id=resource_id)
            resource.active = active
            outcome.created += 1
            continue
        current = (await resources.reads(session, [resource]))[0]
        wanted_windows = [
            (w["starts_on"], w["ends_on"], w.get("weekdays") or list(range(7))) for w in values["availability"]
        ]
        have_windows = [(w.starts_on, w.ends_on, w.weekdays) for w in current.availability]
        update: dict[str, Any] = {
            key: values[key]
            for key in ("title", "category", "description", "capacity", "unit", "lead_time_days")
            if getattr(current, key) != values[key]
        }
        if wanted_windows != have_windows:
            update["availability"] = values["availability"]
        if values["district_wide"] != current.district_wide:
            update["district_wide"] = values["district_wide"]
        wanted_allowed = values["allowed_subdistrict_ids"]
        if not values["district_wide"] and wanted_allowed is not None:
            if sorted(map(str, wanted_allowed)) != sorted(map(str, current.allowed_subdistrict_ids)):
                update["allowed_subdistrict_ids"] = wanted_allowed
        if active != current.active:
            update["active"] = active
        if not update:
            outcome.unchanged += 1
            continue
        await resources.update_resource(session, resource, ResourceUpdate(**update), today)
        outcome.updated += 1
    return outcome.summary()
