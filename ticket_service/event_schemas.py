"""The payloads of the ticket service's events, and what it reads of the events it consumes.

Published in the service's AsyncAPI document (`/asyncapi.json`). Ids are UUID strings, times ISO 8601
strings on the wire; staff and resident ids are the identity provider's subjects (strings). No payload
carries a resident's contact: `ticket.closed` names the resident only so that the evaluation service can
mask those names in what is typed about the matter there, and `onsite_office.requested` carries the
staff's words with phones and names masked.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from shared.events.contract import EventPayload, EventReader

# --- produced ------------------------------------------------------------------------------------------


class TicketState(EventPayload):
    """The ticket's state that every `ticket.*` event but `ticket.attachment_added` carries."""

    ticket_id: uuid.UUID
    station_id: uuid.UUID
    subdistrict_id: uuid.UUID
    community_id: uuid.UUID | None
    community_name: str
    service_category: str
    service_category_name: str  # as on the station's wall (党群服务...), for other services to show
    service_item: str | None
    channel: str
    status: str
    owner_id: str | None
    owner_kind: str
    responsibility_level: str
    resident_id: str | None
    created_at: datetime | None
    priority: str
    external_due_at: datetime | None


class TicketCreated(TicketState):
    received_by: str | None
    waits_until: datetime | None


class TicketAssigned(TicketState):
    previous_owner_id: str | None
    basis: str
    assigned_by: str | None
    assigned_at: datetime


class TicketAccepted(TicketState):
    accepted_by: str
    accepted_at: datetime


class TicketEscalated(TicketState):
    from_level: str
    to_level: str
    reason: str
    escalated_by: str | None
    escalated_at: datetime


class TicketResolved(TicketState):
    resolved_by: str | None
    resolved_at: datetime


class TicketReplied(TicketState):
    reply_id: uuid.UUID
    replied_by: str
    replied_at: datetime


class TicketClosed(TicketState):
    completed_by: str | None
    handled_by: list[str]
    resident_names: list[str]
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime
    accepted_on_time: bool | None
    resolved_on_time: bool | None
    acceptance_working_minutes: float
    resolution_working_minutes: float


class TicketSlaWarning(TicketState):
    clock: str
    threshold_percent: int
    budget_minutes: float
    elapsed_working_minutes: float
    due_at: datetime | None
    due_at_source: str
    warned_at: datetime


class TicketSlaBreached(TicketState):
    clock: str
    budget_minutes: float
    elapsed_working_minutes: float
    due_at: datetime | None
    due_at_source: str
    breached_at: datetime
    previous_level: str


class TicketPriorityChanged(TicketState):
    previous_priority: str
    changed_by: str
    changed_at: datetime


class TicketTransferred(TicketState):
    from_station_id: uuid.UUID
    to_station_id: uuid.UUID
    from_community_name: str
    previous_owner_id: str | None
    transferred_by: str
    transferred_at: datetime


class TicketReturned(TicketState):
    from_station_id: uuid.UUID
    to_station_id: uuid.UUID
    from_community_name: str
    previous_owner_id: str | None
    returned_by: str
    returned_at: datetime


class TicketDuplicateLinked(TicketState):
    parent_id: uuid.UUID
    parent_station_id: uuid.UUID
    linked_by: str
    linked_at: datetime


class TicketParentResolved(TicketState):
    parent_id: uuid.UUID
    parent_resolved_at: datetime


class TicketBackstopRequested(TicketState):
    requested_by: str
    requested_at: datetime


class TicketAttachmentAdded(EventPayload):
    """Ids, content type and size: never the file or its name."""

    ticket_id: uuid.UUID
    attachment_id: uuid.UUID
    station_id: uuid.UUID
    subdistrict_id: uuid.UUID
    community_id: uuid.UUID | None
    content_type: str
    size_bytes: int
    public: bool
    uploaded_by: str
    uploaded_at: datetime


class OnsiteOfficeRequested(EventPayload):
    """A backstop ticket asks for an on-site office; title and description are masked."""

    ticket_id: uuid.UUID
    station_id: uuid.UUID
    community_id: uuid.UUID | None
    subdistrict_id: uuid.UUID
    title: str | None
    description: str | None
    requested_by: str
    requested_at: datetime
    service_category: str


# --- consumed (tolerant readers: only what the handlers use) -------------------------------------------


class StationRead(EventReader):
    """`station.*`: the local station copy (with opening hours for the SLA calendars)."""

    id: uuid.UUID
    subdistrict_id: uuid.UUID | None = None
    community_id: uuid.UUID | None = None
    community_name: str | None = None
    name: str | None = None
    subdistrict_name: str | None = None
    address: str | None = None
    phone: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    opening_hours: dict[str, Any] | None = None
    time_zone: str | None = None


class StaffRead(EventReader):
    """`staff.*`: the local staff copy; leaving or deactivation reassigns their open tickets."""

    id: str
    name: str | None = None
    role: str | None = None
    station_id: uuid.UUID | None = None
    community_id: uuid.UUID | None = None
    subdistrict_id: uuid.UUID | None = None
    department_id: uuid.UUID | None = None
    service_categories: list[str] | None = None
    active: bool | None = None


class DepartmentRead(EventReader):
    id: uuid.UUID
    name: str | None = None
    kind: str | None = None
    subdistrict_id: uuid.UUID | None = None
    service_categories: list[str] | None = None


class OnsiteOfficeResolvedRead(EventReader):
    """The on-site office's outcome, recorded on the ticket it came from."""

    ticket_id: uuid.UUID | None = None
    outcome: str | None = None
    resolved_at: datetime | None = None
