from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from ticket_service.sla_policies.rules import DueAtSource, Priority
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
    # A factory, not a default: generated TypeScript types make a property with a schema default required.
    priority: Priority = Field(
        default_factory=lambda: Priority.normal,
        description="urgent, high, normal (when omitted) or low: picks the SLA policy (with the category).",
    )
    external_due_at: AwareDatetime | None = Field(
        None,
        description="The referring system's deadline for resolving (e.g. the 12345 hotline's). The resolution "
        "clock is due at the tighter of it and the policy's working minutes (`due_at_source` says which).",
    )


class TicketClose(BaseModel):
    completed_by: str | None = Field(
        None, max_length=64, description="The staff member who completed the work; defaults to who resolved it."
    )
    note: str | None = Field(None, max_length=2000)
    result_text: str | None = Field(
        None,
        max_length=2000,
        description="办理结果: the answer to the resident, required when the close resolves the ticket (trimmed, "
        "1-2000 characters). The resident reads it, and the public (masked) as Open311 `status_notes`; `note` "
        "stays the staff's.",
    )


class TicketTransitionRequest(BaseModel):
    action: TicketAction
    note: str | None = Field(None, max_length=2000, description="Why: kept in the ticket's history.")
    completed_by: str | None = Field(None, max_length=64, description="With `close`: who completed the work.")
    result_text: str | None = Field(
        None,
        max_length=2000,
        description="办理结果: the answer to the resident, required with `resolve` (trimmed, 1-2000 characters). "
        "The resident reads it, and the public (masked) as Open311 `status_notes`; `note` stays the staff's.",
    )


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
    kind: str = Field(
        description="state | owner | level | onsite_office | station (transfer, return) | duplicate | backstop_request"
    )
    from_value: str | None
    to_value: str | None
    actor_id: str | None = Field(description="Who; null when the system did it (SLA checker, an event).")
    at: datetime
    reason: str = Field(description="Why, as a code.")
    note: str | None
    result_text: str | None = Field(None, description="A resolution's result text (办理结果).")


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
    priority: Priority = Field(Priority.normal, description="urgent, high, normal or low.")
    external_due_at: datetime | None = Field(None, description="The referring system's deadline (e.g. 12345).")
    due_at: datetime | None = Field(
        None, description="The next SLA due time still running (acceptance or resolution): lists' `sort=due`."
    )
    due_at_source: DueAtSource | None = Field(
        None,
        description="Which deadline the resolution due time is: `external` (the referring system's, tighter) or "
        "`service_level` (the policy's working minutes).",
    )
    sla_accept_minutes: float | None = Field(None, description="The policy's working minutes to accept.")
    sla_resolve_minutes: float | None = Field(None, description="The policy's working minutes to resolve.")
    onsite_office_status: str | None
    onsite_outcome: str | None
    result_text: str | None = Field(
        None, description="办理结果 of the last resolution: what the resident (and, masked, the public) reads."
    )
    contact_masked: bool = Field(
        False,
        description="The resident's name, phone and the contact in the description are masked (138****5678): "
        "only whoever handles the matter sees them in full, on the ticket's detail; the station's staff ask "
        "`GET /api/v1/tickets/{id}/contact`. Every full read is recorded.",
    )
    personal_data_removed_at: datetime | None = Field(
        None, description="When the retention period removed the resident's personal data; the figures stay."
    )
    transferred_from_station_id: uuid.UUID | None = Field(
        None, description="The station this ticket was transferred from, until it is returned there."
    )
    duplicate_of: uuid.UUID | None = Field(
        None,
        validation_alias=AliasChoices("duplicate_of_id", "duplicate_of"),
        description="The ticket this one duplicates: it was closed pointing at it, and is told its resolution.",
    )
    duplicates: list[uuid.UUID] = Field(
        default_factory=list,
        validation_alias=AliasChoices("duplicate_ids", "duplicates"),
        description="The tickets linked as duplicates of this.",
    )
    backstop_requested_at: datetime | None = Field(
        None, description="The owner asked for the backstop then and the secretary has not settled it yet."
    )
    backstop_requested_by: str | None = Field(None, description="Who asked (the reason is in the history).")


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


class CountsGroupBy(StrEnum):
    station = "station"
    subdistrict = "subdistrict"


class TicketGroupCounts(BaseModel):
    """One station's or subdistrict's tickets among those the caller may see (and the filters)."""

    group_id: uuid.UUID | None = Field(description="The station's or subdistrict's id.")
    open: int = Field(description="Not resolved, closed or cancelled.")
    overdue: int = Field(description="Open and past an SLA due time or breached (as `overdue=true`).")
    breached: int = Field(description="An SLA breach was reported, whatever the state now.")
    total: int


class TicketCounts(BaseModel):
    """The badges of the app's ticket screens, for the tickets the caller may see (and the filters)."""

    by_status: dict[str, int] = Field(description="Every state, 0 included.")
    overdue: int = Field(description="Open and past an SLA due time (as `overdue=true`).")
    awaiting_me: int = Field(description="Owned by the caller (or the caller's department), not yet accepted.")
    total: int
    group_by: CountsGroupBy | None = None
    groups: list[TicketGroupCounts] | None = Field(
        None, description="With `group_by`: per station or subdistrict the caller may see, in id order."
    )
