"""The `ticket.closed` event as this service reads it (see the briefing's contract).

Required: ticket_id, station_id, subdistrict_id. Everything else may be missing while the ticket service
is being extended: `handled_by` then falls back to the owner and the completer, `closed_at` to the event
time, `community_id` to the local station copy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evaluation_service.contract import (
    optional_bool,
    optional_datetime,
    optional_int,
    optional_str,
    optional_str_list,
    optional_uuid,
    required_uuid,
)

MAX_NAMES = 20


@dataclass(frozen=True, slots=True)
class TicketClosed:
    ticket_id: uuid.UUID
    station_id: uuid.UUID
    subdistrict_id: uuid.UUID
    community_id: uuid.UUID | None
    community_name: str | None
    service_category: str | None
    responsibility_level: str | None
    owner_id: str | None
    completed_by: str | None
    resident_id: str | None
    resident_names: tuple[str, ...]  # the resident's and household's names: only to mask them in free text
    handled_by: tuple[str, ...]
    status: str | None
    created_at: datetime | None
    accepted_at: datetime | None
    closed_at: datetime
    closed_at_reported: bool  # False: the event time stands in for it (a second closing cannot be told apart)
    accepted_on_time: bool | None
    resolved_on_time: bool | None
    acceptance_working_minutes: int | None
    resolution_working_minutes: int | None


def read_ticket_closed(data: dict[str, Any], event_time: datetime) -> TicketClosed:
    # A ticket may be owned by a department rather than a person; only a person's id is a staff id.
    owner_kind = optional_str(data, "owner_kind", 20)
    owner_id = optional_str(data, "owner_id", 64) if owner_kind in (None, "person") else None
    completed_by = optional_str(data, "completed_by", 64)
    handled = optional_str_list(data, "handled_by")
    # Whoever owned or completed the ticket handled it, whether or not the publisher lists them.
    handled_by = tuple(dict.fromkeys([*handled, *(x for x in (owner_id, completed_by) if x)]))
    reported_closed_at = optional_datetime(data, "closed_at")
    return TicketClosed(
        ticket_id=required_uuid(data, "ticket_id"),
        station_id=required_uuid(data, "station_id"),
        subdistrict_id=required_uuid(data, "subdistrict_id"),
        community_id=optional_uuid(data, "community_id"),
        community_name=optional_str(data, "community_name", 100),
        service_category=optional_str(data, "service_category", 40),
        responsibility_level=optional_str(data, "responsibility_level", 20),
        owner_id=owner_id,
        completed_by=completed_by,
        resident_id=optional_str(data, "resident_id", 64),
        resident_names=tuple(dict.fromkeys(optional_str_list(data, "resident_names", 100)[:MAX_NAMES])),
        handled_by=handled_by,
        status=optional_str(data, "status", 30),
        created_at=optional_datetime(data, "created_at"),
        accepted_at=optional_datetime(data, "accepted_at"),
        closed_at=reported_closed_at or event_time,
        closed_at_reported=reported_closed_at is not None,
        accepted_on_time=optional_bool(data, "accepted_on_time"),
        resolved_on_time=optional_bool(data, "resolved_on_time"),
        acceptance_working_minutes=optional_int(data, "acceptance_working_minutes"),
        resolution_working_minutes=optional_int(data, "resolution_working_minutes"),
    )
