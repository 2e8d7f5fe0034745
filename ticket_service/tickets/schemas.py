from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from ticket_service.tickets.lifecycle import TicketAction


class TicketChannel(StrEnum):
    """How the request reached the station (named apart from the rating's channel: one name per schema in
    the merged OpenAPI, so generated clients get both)."""

    walk_in = "walk_in"
    phone = "phone"
    app = "app"
    video_link = "video_link"
    web = "web"


Channel = TicketChannel  # the service's own code's name for it


class ServiceCategory(StrEnum):
    party_mass = "party_mass"
    government_affairs = "government_affairs"
    daily_life = "daily_life"
    legal = "legal"
    health = "health"
    culture = "culture"
    community_management = "community_management"


PHONE = r"^\+?[0-9 -]{5,20}$"


class Location(BaseModel):
    address: str | None = Field(None, max_length=300)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class TicketCreate(BaseModel):
    station_id: uuid.UUID
    channel: Channel
    service_category: ServiceCategory | None = Field(None, description="A category, or give `service_item`.")
    service_item: str | None = Field(
        None, max_length=80, description="An item from the station's service list, e.g. government_affairs.certificates"
    )
    description: str = Field(min_length=1, max_length=4000)
    resident_name: str | None = Field(None, min_length=1, max_length=100)
    resident_phone: str | None = Field(None, max_length=40, pattern=PHONE)
    resident_id: str | None = Field(
        None, max_length=64, description="A resident account (residents raising their own request need not send it)."
    )
    location: Location | None = None
    media_urls: list[HttpUrl] = Field(default_factory=list, max_length=10)


class TicketClose(BaseModel):
    completed_by: str | None = Field(
        None, max_length=64, description="The staff member who completed the work; defaults to who resolved it."
    )
    note: str | None = Field(None, max_length=2000)


class TicketTransitionRequest(BaseModel):
    action: TicketAction
    note: str | None = Field(None, max_length=2000, description="Why: kept in the ticket's history.")
    completed_by: str | None = Field(None, max_length=64, description="With `close`: who completed the work.")


class DesignateRequest(BaseModel):
    designee_id: str | None = Field(
        None, max_length=64, description="A social worker of the station; omit to choose by skill and workload."
    )
    note: str | None = Field(None, max_length=2000)


class BackstopRequest(BaseModel):
    person_id: str | None = Field(None, max_length=64, description="A person of the community.")
    department_id: uuid.UUID | None = Field(None, description="A department of the subdistrict.")
    note: str | None = Field(None, max_length=2000)


class OnsiteOfficeRequest(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=4000)


class VideoLinkOutcome(StrEnum):
    completed = "completed"
    referred = "referred"
    not_completed = "not_completed"


class VideoLinkCreate(BaseModel):
    centre: str = Field(min_length=1, max_length=200, description="The acceptance centre connected to.")
    started_at: AwareDatetime
    ended_at: AwareDatetime
    outcome: VideoLinkOutcome
    document_issued: str | None = Field(None, max_length=200, description="e.g. 医疗记录册")
    notes: str | None = Field(None, max_length=2000)


class VideoLinkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    centre: str
    started_at: datetime
    ended_at: datetime
    outcome: str
    document_issued: str | None
    notes: str | None
    recorded_by: str
    recorded_at: datetime


class ChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    kind: str = Field(description="state | owner | level | onsite_office")
    from_value: str | None
    to_value: str | None
    actor_id: str | None = Field(description="Who; null when the system did it (SLA checker, an event).")
    at: datetime
    reason: str = Field(description="Why, as a code.")
    note: str | None


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    station_id: uuid.UUID
    community_id: uuid.UUID | None
    subdistrict_id: uuid.UUID | None
    channel: str
    service_category: str
    service_item: str | None
    description: str
    resident_id: str | None
    resident_name: str | None
    resident_phone: str | None
    location_address: str | None
    latitude: float | None
    longitude: float | None
    media_urls: list[str]
    status: str
    owner_id: str | None
    owner_kind: str
    responsibility_level: str
    received_by: str | None
    completed_by: str | None
    handled_by: list[str]
    created_at: datetime
    updated_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    waits_until: datetime | None = Field(description="Outside opening hours: when the duty shift (the station) opens.")
    acceptance_due_at: datetime | None
    resolution_due_at: datetime | None
    acceptance_working_minutes: float | None
    resolution_working_minutes: float | None
    sla_breached_at: datetime | None
    onsite_office_status: str | None
    onsite_outcome: str | None
    contact_masked: bool = Field(
        False,
        description="The resident's name, phone and the contact in the description are masked (138****5678): "
        "only whoever handles the matter sees them in full, on the ticket's detail; the station's staff ask "
        "`GET /api/v1/tickets/{id}/contact`. Every full read is recorded.",
    )
    personal_data_removed_at: datetime | None = Field(
        None, description="When the retention period removed the resident's personal data; the figures stay."
    )


class TicketDetail(TicketRead):
    allowed_actions: list[str]
    notice: str | None = Field(None, description="What to tell the resident, e.g. when the station opens.")
    history: list[ChangeRead]
    video_links: list[VideoLinkRead]


class TicketSort(StrEnum):
    """A ticket list's order; `-` for descending."""

    CREATED = "created"
    CREATED_DESCENDING = "-created"
    UPDATED = "updated"
    UPDATED_DESCENDING = "-updated"
    DUE = "due"
    DUE_DESCENDING = "-due"


class TicketCounts(BaseModel):
    """The badges of the app's ticket screens, for the tickets the caller may see (and the filters)."""

    by_status: dict[str, int] = Field(description="Every state, 0 included.")
    overdue: int = Field(description="Open and past an SLA due time (as `overdue=true`).")
    awaiting_me: int = Field(description="Owned by the caller (or the caller's department), not yet accepted.")
    total: int
