from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from deliberation_service.meetings.schemas import MeetingSummary


class Official(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["王副区长"])
    title: str = Field("", max_length=100, examples=["副区长"])
    department_id: uuid.UUID | None = None


class CaseCreate(BaseModel):
    station_id: uuid.UUID
    title: str = Field(min_length=1, max_length=200, examples=["0-3岁幼儿托育"])
    description: str = Field(min_length=1, max_length=10000)
    invited_departments: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    invited_officials: list[Official] = Field(default_factory=list, max_length=50)


class InvitationsAdd(BaseModel):
    department_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    officials: list[Official] = Field(default_factory=list, max_length=50)


class CommitmentCreate(BaseModel):
    session_id: uuid.UUID = Field(description="The on-site office session at which the commitment was made.")
    description: str = Field(min_length=1, max_length=2000, examples=["在幼儿园开设托育试点班"])
    owner_name: str = Field(min_length=1, max_length=200, examples=["区教育局"])
    owner_department_id: uuid.UUID | None = None
    due_date: date


class CommitmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    meeting_id: uuid.UUID
    description: str
    owner_name: str
    owner_department_id: uuid.UUID | None
    due_date: date
    fulfilled_at: datetime | None
    created_at: datetime


class CaseResolve(BaseModel):
    outcome: str = Field(min_length=1, max_length=5000, examples=["幼儿园托育试点开班，周一至周五 8:30-16:00"])


class CaseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    station_id: uuid.UUID
    community_id: uuid.UUID
    subdistrict_id: uuid.UUID
    title: str
    ticket_id: uuid.UUID | None
    state: str
    resolved_at: datetime | None
    created_at: datetime


class CaseRead(CaseSummary):
    description: str
    raised_by: str
    invited_officials: list[Official]
    invited_departments: list[uuid.UUID] = Field(default_factory=list)
    outcome: str | None
    sessions: list[MeetingSummary] = Field(default_factory=list)
    commitments: list[CommitmentRead] = Field(default_factory=list)
