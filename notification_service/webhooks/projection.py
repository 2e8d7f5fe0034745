"""What of an event a subscriber receives: one projection per subscribable type. Pure, no I/O.

An allow-list per type: a field an event gains later leaves the system only once it is listed here.
Names of residents (`resident_names` of `ticket.closed`) never go out; free text goes through
`mask_text` with the ticket's names, as the ticket API shows it to someone who does not handle the
matter; `resident_id` (and an actor field naming the resident) is shown to district administrators'
subscriptions only — the ticket API shows an integration client only the tickets it raised itself, and a
resident's id would link their tickets together.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from notification_service.webhooks.catalogue import SUBSCRIBABLE
from shared.privacy import mask_text


class Audience(StrEnum):
    """Whose subscription it is: what they may see follows from their role."""

    integration_client = "integration_client"
    district_admin = "district_admin"


TICKET_STATE = (
    "ticket_id",
    "station_id",
    "subdistrict_id",
    "community_id",
    "community_name",
    "service_category",
    "service_item",
    "channel",
    "status",
    "owner_id",
    "owner_kind",
    "responsibility_level",
    "resident_id",
    "created_at",
)

FIELDS: dict[str, tuple[str, ...]] = {
    "ticket.created": (*TICKET_STATE, "received_by", "waits_until"),
    "ticket.assigned": (*TICKET_STATE, "previous_owner_id", "basis", "assigned_by", "assigned_at"),
    "ticket.accepted": (*TICKET_STATE, "accepted_by", "accepted_at"),
    "ticket.escalated": (*TICKET_STATE, "from_level", "to_level", "reason", "escalated_by", "escalated_at"),
    "ticket.resolved": (*TICKET_STATE, "resolved_by", "resolved_at"),
    "ticket.replied": (*TICKET_STATE, "reply_id", "replied_by", "replied_at"),
    "ticket.closed": (
        *TICKET_STATE,
        "completed_by",
        "handled_by",
        "accepted_at",
        "resolved_at",
        "closed_at",
        "accepted_on_time",
        "resolved_on_time",
        "acceptance_working_minutes",
        "resolution_working_minutes",
    ),
    "ticket.sla_warning": (
        *TICKET_STATE,
        "clock",
        "threshold_percent",
        "budget_minutes",
        "elapsed_working_minutes",
        "due_at",
        "warned_at",
    ),
    "ticket.sla_breached": (
        *TICKET_STATE,
        "clock",
        "budget_minutes",
        "elapsed_working_minutes",
        "due_at",
        "breached_at",
        "previous_level",
    ),
    "ticket.transferred": (
        *TICKET_STATE,
        "from_station_id",
        "to_station_id",
        "from_community_name",
        "previous_owner_id",
        "transferred_by",
        "transferred_at",
    ),
    "ticket.returned": (
        *TICKET_STATE,
        "from_station_id",
        "to_station_id",
        "from_community_name",
        "previous_owner_id",
        "returned_by",
        "returned_at",
    ),
    "ticket.duplicate_linked": (*TICKET_STATE, "parent_id", "parent_station_id", "linked_by", "linked_at"),
    "ticket.parent_resolved": (*TICKET_STATE, "parent_id", "parent_resolved_at"),
    "ticket.backstop_requested": (*TICKET_STATE, "requested_by", "requested_at"),
    "onsite_office.requested": (
        "ticket_id",
        "station_id",
        "community_id",
        "subdistrict_id",
        "title",
        "description",
        "requested_by",
        "requested_at",
        "service_category",
    ),
    "evaluation.submitted": (
        "rating_id",
        "ticket_id",
        "attitude",
        "ability",
        "comment",
        "channel",
        "follow_up_required",
        "social_worker_id",
        "station_id",
        "community_id",
        "community_name",
        "subdistrict_id",
        "department_id",
        "service_category",
        "ticket_closed_at",
        "submitted_at",
    ),
    "evaluation.appeal_decided": ("appeal_id", "rating_id", "ticket_id", "outcome", "decided_by", "decided_at"),
    "review.completed": (
        "project_id",
        "station_id",
        "community_id",
        "subdistrict_id",
        "meeting_id",
        "mean",
        "accepted",
        "service_category",
        "closed_at",
    ),
}
# Typed by people: masked wherever they appear (phones, IDs, e-mail addresses, door numbers, the names).
FREE_TEXT = frozenset({"title", "description", "reason", "comment"})
# Identify a resident: only for audiences that see residents.
RESIDENT_FIELDS = frozenset({"resident_id"})
assert set(FIELDS) == set(SUBSCRIBABLE), "every subscribable type needs its projection"


def project(event_type: str, data: dict[str, Any], audience: Audience) -> dict[str, Any] | None:
    """The event's data as this audience receives it; None for a type that never leaves the system."""
    fields = FIELDS.get(event_type)
    if fields is None:
        return None
    names = [str(name) for name in data.get("resident_names") or () if isinstance(name, str)]
    sees_residents = audience is Audience.district_admin
    resident_id = data.get("resident_id")
    projected: dict[str, Any] = {}
    for field in fields:
        if field not in data:
            continue
        if field in RESIDENT_FIELDS and not sees_residents:
            continue
        value = data[field]
        if not sees_residents and resident_id and value == resident_id:
            value = None  # the resident acted (raised it in their app): who it was is not shown
        if field in FREE_TEXT and isinstance(value, str):
            value = mask_text(value, names)
        projected[field] = value
    if event_type == "review.completed":
        projected["rating_count"] = len(data.get("ratings") or ())  # the scores' count, not who gave them
    return projected


def in_scope(subdistrict_ids: list[str] | None, data: dict[str, Any]) -> bool:
    """A scoped subscription receives only events of its subdistricts; one without a subdistrict: none."""
    if not subdistrict_ids:
        return True
    return str(data.get("subdistrict_id")) in subdistrict_ids
