"""The payloads of the deliberation service's events, and what it reads of the events it consumes.

Published in the service's AsyncAPI document (`/asyncapi.json`). Ids are UUID strings, times ISO 8601
strings on the wire. Residents appear only by id (a review's ratings); no names, no contacts.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from shared.events.contract import EventPayload, EventReader

# --- produced ------------------------------------------------------------------------------------------


class ProjectState(EventPayload):
    """`project.proposed`, and the state every other `project.*` event carries."""

    project_id: uuid.UUID
    station_id: uuid.UUID
    community_id: uuid.UUID
    subdistrict_id: uuid.UUID
    title: str
    service_category: str
    stage: str
    progress_percent: int | None
    hearing_passed: bool | None
    review_accepted: bool | None
    rework_count: int
    published: bool


class ProjectStageChanged(ProjectState):
    """A move of the stage machine (`project.hearing_scheduled` ... `project.closed`)."""

    previous_stage: str
    action: str
    changed_by: str
    changed_at: datetime


class ProjectProgressReported(ProjectState):
    reported_by: str
    reported_at: datetime


class ProjectUpdated(ProjectState):
    changed_fields: list[str]
    changed_by: str


class MeetingState(EventPayload):
    meeting_id: uuid.UUID
    kind: str
    station_id: uuid.UUID
    community_id: uuid.UUID
    subdistrict_id: uuid.UUID
    project_id: uuid.UUID | None
    case_id: uuid.UUID | None
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    state: str


class MeetingScheduled(MeetingState):
    invited_departments: list[str]
    created_by: str


class MeetingClosed(MeetingState):
    minutes: str | None
    attendee_count: int | None
    checked_in_count: int
    closed_at: datetime


class MotionDecided(EventPayload):
    """The frozen result of a motion; `title` is the meeting's."""

    motion_id: uuid.UUID
    title: str
    deciding: bool
    meeting_id: uuid.UUID
    kind: str
    station_id: uuid.UUID
    community_id: uuid.UUID
    subdistrict_id: uuid.UUID
    project_id: uuid.UUID | None
    case_id: uuid.UUID | None
    meeting_kind: str
    passed: bool
    outcome: str
    yes: int
    no: int
    abstain: int
    checked_in_count: int
    quorum_met: bool
    decided_at: datetime


class ReviewRating(EventPayload):
    resident_id: str
    score: int


class ReviewCompleted(EventPayload):
    project_id: uuid.UUID
    station_id: uuid.UUID
    community_id: uuid.UUID
    subdistrict_id: uuid.UUID
    meeting_id: uuid.UUID
    ratings: list[ReviewRating]
    mean: float | None
    accepted: bool
    service_category: str
    closed_at: datetime | None


class CaseState(EventPayload):
    case_id: uuid.UUID
    ticket_id: uuid.UUID | None
    station_id: uuid.UUID
    community_id: uuid.UUID
    subdistrict_id: uuid.UUID
    title: str
    state: str
    invited_departments: list[uuid.UUID]


class OnsiteOfficeOpened(CaseState):
    opened_at: datetime
    raised_by: str


class OnsiteOfficeResolved(CaseState):
    outcome: str
    resolved_at: datetime
    resolved_by: str
    sessions_held: int


class OnsiteOfficeCommitmentMade(EventPayload):
    """`owner_name` is the committing official's or department's, never a resident's."""

    case_id: uuid.UUID
    commitment_id: uuid.UUID
    session_id: uuid.UUID
    station_id: uuid.UUID
    subdistrict_id: uuid.UUID
    description: str
    owner_name: str
    owner_department_id: uuid.UUID | None
    due_date: date


class OnsiteOfficeCommitmentFulfilled(EventPayload):
    case_id: uuid.UUID
    commitment_id: uuid.UUID
    station_id: uuid.UUID
    owner_department_id: uuid.UUID | None
    due_date: date
    fulfilled_at: datetime
    on_time: bool


# --- consumed (tolerant readers: only what the handlers use) -------------------------------------------


class StationRead(EventReader):
    """`station.*`: the local station copy (community, time zone)."""

    id: uuid.UUID
    subdistrict_id: uuid.UUID
    community_name: str
    community_id: uuid.UUID | None = None
    subdistrict_name: str | None = None
    name: str | None = None
    address: str | None = None
    time_zone: str | None = None


class OnsiteOfficeRequestedRead(EventReader):
    """A ticket asks for an on-site office: a case is opened linked to the ticket."""

    ticket_id: uuid.UUID
    station_id: uuid.UUID
    community_id: uuid.UUID
    subdistrict_id: uuid.UUID
    title: str | None = None
    description: str | None = None
    requested_by: str | None = None
