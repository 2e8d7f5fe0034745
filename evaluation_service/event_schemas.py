"""The payloads of the evaluation service's events, and what it reads of the events it consumes.

Published in the service's AsyncAPI document (`/asyncapi.json`). Ids are UUID strings, times ISO 8601
strings on the wire. No payload names a resident: a rating's comment travels masked, and the desk rating
code names only the ticket (the notification service looks up its contact).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from shared.events.contract import EventPayload, EventReader

# --- produced ------------------------------------------------------------------------------------------


class InvitationIssued(EventPayload):
    """`evaluation.invitation_created` / `evaluation.invitation_renewed`."""

    invitation_id: uuid.UUID
    ticket_id: uuid.UUID
    station_id: uuid.UUID
    expires_at: datetime


class RatingCodeIssued(EventPayload):
    invitation_id: uuid.UUID
    ticket_id: uuid.UUID
    station_id: uuid.UUID
    code: str
    expires_at: datetime
    issued_by: str


class EvaluationSubmitted(EventPayload):
    """What the department receives; the comment is masked (phones, e-mails, the resident's names)."""

    rating_id: uuid.UUID
    ticket_id: uuid.UUID
    attitude: int
    ability: int
    comment: str | None
    channel: str
    follow_up_required: bool
    social_worker_id: str | None
    station_id: uuid.UUID
    community_id: uuid.UUID | None
    community_name: str
    subdistrict_id: uuid.UUID
    department_id: uuid.UUID | None
    service_category: str | None
    ticket_closed_at: datetime
    submitted_at: datetime


class FollowUpRecorded(EventPayload):
    follow_up_id: uuid.UUID
    rating_id: uuid.UUID
    ticket_id: uuid.UUID
    action: str
    recorded_by: str
    recorded_at: datetime


class AppealRaised(EventPayload):
    appeal_id: uuid.UUID
    rating_id: uuid.UUID
    ticket_id: uuid.UUID
    subdistrict_id: uuid.UUID
    department_id: uuid.UUID | None
    raised_by: str


class AppealDecided(EventPayload):
    appeal_id: uuid.UUID
    rating_id: uuid.UUID
    ticket_id: uuid.UUID
    outcome: str
    decided_by: str | None
    decided_at: datetime


# --- consumed (tolerant readers: only what the handlers use) -------------------------------------------


class TicketClosedRead(EventReader):
    """The closed ticket's figures, and whom to invite (see evaluation_service/tickets/contract.py)."""

    ticket_id: uuid.UUID
    station_id: uuid.UUID
    subdistrict_id: uuid.UUID
    community_id: uuid.UUID | None = None
    community_name: str | None = None
    service_category: str | None = None
    responsibility_level: str | None = None
    owner_kind: str | None = None
    owner_id: str | None = None
    completed_by: str | None = None
    resident_id: str | None = None
    resident_names: list[str] | None = None
    handled_by: list[str] | None = None
    status: str | None = None
    created_at: datetime | None = None
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    accepted_on_time: bool | None = None
    resolved_on_time: bool | None = None
    acceptance_working_minutes: float | None = None
    resolution_working_minutes: float | None = None


class StationRead(EventReader):
    id: uuid.UUID
    subdistrict_id: uuid.UUID
    name: str | None = None
    community_id: uuid.UUID | None = None
    community_name: str | None = None
    subdistrict_name: str | None = None


class StaffRead(EventReader):
    id: str
    name: str | None = None
    role: str | None = None
    station_id: uuid.UUID | None = None
    subdistrict_id: uuid.UUID | None = None
    active: bool | None = None


class DepartmentRead(EventReader):
    id: uuid.UUID
    name: str | None = None
    kind: str | None = None
    subdistrict_id: uuid.UUID | None = None
    service_categories: list[str] | None = None


class ReviewCompletedRead(EventReader):
    meeting_id: uuid.UUID
    project_id: uuid.UUID
    station_id: uuid.UUID
    ratings: list[dict[str, Any]]
    community_id: uuid.UUID | None = None
    subdistrict_id: uuid.UUID | None = None
    accepted: bool | None = None
