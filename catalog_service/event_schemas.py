"""The payloads of the catalogue's events (what it emits, field by field), published in its AsyncAPI document.

Ids are strings of UUIDs, times ISO 8601 strings on the wire. The catalogue consumes no events.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from shared.events.contract import EventPayload


class StationState(EventPayload):
    """`station.created` / `station.updated`: the whole current state other services keep a copy of."""

    id: uuid.UUID
    name: str
    subdistrict_id: uuid.UUID
    subdistrict_name: str
    community_id: uuid.UUID
    community_name: str
    address: str
    latitude: float
    longitude: float
    phone: str | None
    opening_hours: dict[str, Any]
    time_zone: str


class StaffState(EventPayload):
    """`staff.created` / `staff.updated` / `staff.removed`: a staff member's whole state (no phone, no
    address: a name and a place)."""

    id: uuid.UUID
    name: str
    role: str
    station_id: uuid.UUID | None
    community_id: uuid.UUID | None
    subdistrict_id: uuid.UUID | None
    department_id: uuid.UUID | None
    service_categories: list[str]
    active: bool


class DepartmentState(EventPayload):
    """`department.created` / `department.updated`: a functional department (or acceptance centre)."""

    id: uuid.UUID
    name: str
    kind: str
    subdistrict_id: uuid.UUID | None
    subdistrict_name: str | None
    service_categories: list[str]
    phone: str | None


class ResourceRequestState(EventPayload):
    """`resource_request.*`: a station's request for a provider's resource on a date."""

    id: uuid.UUID
    resource_id: uuid.UUID
    resource_title: str
    demand_id: uuid.UUID | None
    station_id: uuid.UUID
    subdistrict_id: uuid.UUID
    provider_department_id: uuid.UUID | None
    provider_station_id: uuid.UUID | None
    provider_subdistrict_id: uuid.UUID | None
    requested_date: date
    quantity: int
    status: str
    scheduled_at: datetime | None
    delivered_at: datetime | None
    decline_reason: str | None
