from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

AgendaItem = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ResidentId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class MeetingCreate(BaseModel):
    """A project's hearing, coordination or review meeting (on-site office sessions: /api/v1/onsite-offices)."""

    kind: Literal["hearing", "coordination", "review"]
    project_id: uuid.UUID
    title: str = Field(min_length=1, max_length=200, examples=["微公园听证会"])
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    place: str = Field(min_length=1, max_length=300, examples=["市新居委会 二楼会议室"])
    agenda: list[AgendaItem] = Field(default_factory=list, max_length=50)
    invited_residents: list[ResidentId] = Field(default_factory=list, max_length=2000)
    invited_departments: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class SessionCreate(BaseModel):
    """One on-site office session of a case."""

    title: str = Field(min_length=1, max_length=200, examples=["0-3岁托育 第一次现场办公"])
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    place: str = Field(min_length=1, max_length=300)
    agenda: list[AgendaItem] = Field(default_factory=list, max_length=50)
    invited_residents: list[ResidentId] = Field(default_factory=list, max_length=2000)


class RegistrationRequest(BaseModel):
    """A resident registers themself (empty body); staff register a resident by id."""

    resident_id: ResidentId | None = None
    community_id: uuid.UUID | None = None


class CheckInRequest(BaseModel):
    resident_id: ResidentId
    community_id: uuid.UUID | None = Field(None, description="The resident's community; defaults to the meeting's.")


class AttendanceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    resident_id: str
    community_id: uuid.UUID | None
    registered_at: datetime | None
    checked_in_at: datetime | None
    checked_in_by: str | None


class MeetingClose(BaseModel):
    minutes: str | None = Field(None, max_length=100_000)
    attendee_count: int | None = Field(None, description="Everyone present: residents, staff, officials.")


class MotionCreate(BaseModel):
    title: str = Field(min_length=1, max_length=300, examples=["同意将违章棚改建为凉亭"])
    description: str | None = Field(None, max_length=10000)
    deciding: bool = Field(False, description="The motion that decides the project (hearing and review only).")


class VoteCast(BaseModel):
    choice: str = Field(examples=["yes"], description="yes, no or abstain")


class VoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    motion_id: uuid.UUID
    resident_id: str
    choice: str
    cast_at: datetime


class RatingCreate(BaseModel):
    score: int = Field(examples=[5], description="Quality of the finished work, 1-5.")


class RatingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    meeting_id: uuid.UUID
    resident_id: str
    score: int
    rated_at: datetime


class RatingSummary(BaseModel):
    count: int
    mean: float | None = Field(description="Null under 5 ratings, so no single resident's rating shows.")
    distribution: dict[int, int]


class MotionRead(BaseModel):
    """A motion; the counts are published once voting has closed and the result is frozen."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    meeting_id: uuid.UUID
    title: str
    description: str | None
    deciding: bool
    state: str
    quorum_minimum_checked_in: int
    quorum_minimum_turnout_percent: int
    passed: bool | None
    outcome: str | None
    yes_count: int | None
    no_count: int | None
    abstain_count: int | None
    checked_in_count: int | None
    quorum_met: bool | None
    created_at: datetime
    closed_at: datetime | None


class MeetingSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    station_id: uuid.UUID
    community_id: uuid.UUID
    project_id: uuid.UUID | None
    case_id: uuid.UUID | None
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    state: str
    closed_at: datetime | None


class MeetingRead(MeetingSummary):
    subdistrict_id: uuid.UUID
    agenda: list[str]
    invited_departments: list[uuid.UUID]
    invited_residents: list[str] | None = Field(None, description="Shown to the station's staff only.")
    minutes: str | None
    attendee_count: int | None
    opened_at: datetime | None
    registered_count: int = 0
    checked_in_count: int = 0
    motions: list[MotionRead] = Field(default_factory=list)
    ratings: RatingSummary | None = Field(None, description="Review meetings: the residents' quality ratings.")
