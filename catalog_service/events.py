"""Every event the catalogue publishes or consumes, declared in one place."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service import event_schemas as schemas
from shared.asyncapi import EventContract
from shared.events import EventConsumer, EventEnvelope
from shared.events.contract import CheckedOutbox, EventPayload, check_payload
from shared.events.tables import outbox_message

SOURCE = "/doorstep/catalog"

STATION_CREATED = "station.created"
STATION_UPDATED = "station.updated"
STAFF_CREATED = "staff.created"
STAFF_UPDATED = "staff.updated"
STAFF_REMOVED = "staff.removed"
DEPARTMENT_CREATED = "department.created"
DEPARTMENT_UPDATED = "department.updated"
RESOURCE_REQUEST_CREATED = "resource_request.created"
RESOURCE_REQUEST_ACCEPTED = "resource_request.accepted"
RESOURCE_REQUEST_DECLINED = "resource_request.declined"
RESOURCE_REQUEST_SCHEDULED = "resource_request.scheduled"
RESOURCE_REQUEST_DELIVERED = "resource_request.delivered"
RESOURCE_REQUEST_CANCELLED = "resource_request.cancelled"

PUBLISHED = {
    STATION_CREATED: "A station was opened; carries the state other services keep a copy of (hours included).",
    STATION_UPDATED: "A station's details or opening hours changed; carries its whole current state.",
    STAFF_CREATED: "A person joined the staff directory (role, station or department, service categories).",
    STAFF_UPDATED: "A staff member's role, place or service categories changed; carries the whole state.",
    STAFF_REMOVED: "A staff member left (active: false); carries the last state.",
    DEPARTMENT_CREATED: "A functional department (or an acceptance centre) was set up.",
    DEPARTMENT_UPDATED: "A department's name or service categories changed; carries the whole state.",
    RESOURCE_REQUEST_CREATED: "A station asked a provider for a resource on a date (capacity reserved).",
    RESOURCE_REQUEST_ACCEPTED: "The provider accepted a resource request.",
    RESOURCE_REQUEST_DECLINED: "The provider declined a resource request (capacity released).",
    RESOURCE_REQUEST_SCHEDULED: "The provider scheduled an accepted request at a time on its date.",
    RESOURCE_REQUEST_DELIVERED: "The resource was delivered; the demand it served is fulfilled.",
    RESOURCE_REQUEST_CANCELLED: "The requesting station cancelled its request (capacity released).",
}
CONSUMED: dict[str, str] = {}

# The payload each event type carries (catalog_service/event_schemas.py): the outbox refuses any other.
PAYLOADS: dict[str, type[EventPayload]] = {
    STATION_CREATED: schemas.StationState,
    STATION_UPDATED: schemas.StationState,
    STAFF_CREATED: schemas.StaffState,
    STAFF_UPDATED: schemas.StaffState,
    STAFF_REMOVED: schemas.StaffState,
    DEPARTMENT_CREATED: schemas.DepartmentState,
    DEPARTMENT_UPDATED: schemas.DepartmentState,
    RESOURCE_REQUEST_CREATED: schemas.ResourceRequestState,
    RESOURCE_REQUEST_ACCEPTED: schemas.ResourceRequestState,
    RESOURCE_REQUEST_DECLINED: schemas.ResourceRequestState,
    RESOURCE_REQUEST_SCHEDULED: schemas.ResourceRequestState,
    RESOURCE_REQUEST_DELIVERED: schemas.ResourceRequestState,
    RESOURCE_REQUEST_CANCELLED: schemas.ResourceRequestState,
}

outbox = CheckedOutbox(SOURCE, PAYLOADS)
consumer = EventConsumer("catalog")

CONTRACT = EventContract(
    service="catalog",
    title="Catalogue",
    source=SOURCE,
    produces=PAYLOADS,
    consumes={},
    descriptions=PUBLISHED,
)


async def add_many(session: AsyncSession, events: Iterable[tuple[str, dict[str, Any], str | None]]) -> int:
    """Writes many events in the caller's transaction with one multi-row insert (seeds and imports).

    The same rows `outbox.add` writes, one statement instead of one per event; the relay's next poll
    publishes them.
    """
    rows = []
    for event_type, data, subject in events:
        check_payload(PAYLOADS, event_type, data)  # an undeclared type or a payload off its model: refused
        envelope = EventEnvelope.new(event_type, outbox.source, data, subject)
        rows.append(
            {
                "id": uuid.UUID(envelope.id),
                "event_type": envelope.type,
                "payload": envelope.to_json().decode(),
                "created_at": envelope.time,
                "next_attempt_at": envelope.time,
                "attempts": 0,
            }
        )
    connection = await session.connection()
    for start in range(0, len(rows), 2000):
        await connection.execute(outbox_message.insert(), rows[start : start + 2000])
    return len(rows)
