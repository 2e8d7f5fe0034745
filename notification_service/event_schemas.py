"""The payload of the notification service's one event, and what it reads of the events it consumes.

Published in the service's AsyncAPI document (`/asyncapi.json`). The service takes every event (`#`)
for the district systems' webhooks, which forward the CloudEvent whole; the readers below are what its
residents' SMS, the worker's feed and push read of the types they act on (tolerant: anything else is
allowed, and a field the feed merely words a notice with is optional).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from shared.events.contract import EventPayload, EventReader

# --- produced ------------------------------------------------------------------------------------------


class WebhookDisabled(EventPayload):
    """A subscription was stopped; tells its owner (a staff member or an integration client) why."""

    subscription_id: uuid.UUID
    owner_id: str
    owner_kind: str
    url: str
    reason: str
    detail: str
    disabled_at: datetime


# --- consumed (tolerant readers: only what the handlers use) -------------------------------------------


class AnyEvent(EventReader):
    """`#`: any event, forwarded whole to the webhooks that match it."""


class TicketNoticeRead(EventReader):
    """A ticket event that queues an SMS notice for the ticket's resident (the contact is looked up when
    the notice is sent, never carried)."""

    ticket_id: uuid.UUID
    station_id: uuid.UUID | None = None
    community_id: uuid.UUID | None = None
    community_name: str | None = None
    resident_id: str | None = None


class TicketAcceptedRead(TicketNoticeRead):
    accepted_by: str | None = None
    owner_id: str | None = None


class InvitationRead(TicketNoticeRead):
    """`evaluation.invitation_*`: a fresh rating link for the ticket's resident."""

    invitation_id: uuid.UUID


class RatingCodeRead(TicketNoticeRead):
    code: str
    expires_at: datetime | None = None


class StationRead(EventReader):
    """`station.*`: names and opening hours the notices are worded with."""

    id: uuid.UUID
    name: str | None = None
    community_name: str | None = None
    opening_hours: dict[str, Any] | None = None
    time_zone: str | None = None


class StaffRead(EventReader):
    """`staff.*`: names for the notices; role, place and status for the feed's audiences and push."""

    id: str
    name: str | None = None
    role: str | None = None
    station_id: str | None = None
    department_id: str | None = None
    active: bool | None = None


class TicketFeedRead(EventReader):
    """A ticket event that puts an item in a worker's feed: who is told, and the notice's words."""

    ticket_id: uuid.UUID | None = None
    station_id: uuid.UUID | None = None
    owner_id: str | None = None
    owner_kind: str | None = None
    service_category_name: str | None = None
    community_name: str | None = None


class TicketAssignedRead(TicketFeedRead):
    assigned_by: str | None = None
    basis: str | None = None
    assigned_at: datetime | None = None


class TicketEscalatedRead(TicketFeedRead):
    escalated_by: str | None = None
    reason: str | None = None
    to_level: str | None = None
    escalated_at: datetime | None = None


class TicketSlaWarningRead(TicketFeedRead):
    clock: str | None = None
    threshold_percent: float | None = None
    budget_minutes: float | None = None


class TicketSlaBreachedRead(TicketFeedRead):
    clock: str | None = None


class TicketTransferredRead(TicketFeedRead):
    from_station_id: uuid.UUID | None = None
    previous_owner_id: str | None = None
    transferred_by: str | None = None
    transferred_at: datetime | None = None


class TicketReturnedRead(TicketFeedRead):
    to_station_id: uuid.UUID | None = None
    returned_at: datetime | None = None


class TicketBackstopRequestedRead(TicketFeedRead):
    requested_at: datetime | None = None


class ResourceRequestCreatedRead(EventReader):
    id: uuid.UUID | None = None
    provider_department_id: uuid.UUID | None = None
    provider_station_id: uuid.UUID | None = None
    resource_title: str | None = None
    quantity: int | None = None
    requested_date: date | None = None


class MeetingScheduledRead(EventReader):
    meeting_id: uuid.UUID | None = None
    kind: str | None = None
    starts_at: datetime | None = None
    created_by: str | None = None
    station_id: uuid.UUID | None = None


class WebhookDisabledRead(EventReader):
    owner_id: str | None = None
    subscription_id: uuid.UUID | None = None
    reason: str | None = None
