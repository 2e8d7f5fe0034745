from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from deliberation_service.projects.stages import ProjectAction

ServiceCategory = Literal[
    "party_mass", "government_affairs", "daily_life", "legal", "health", "culture", "community_management"
]
Budget = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, examples=["38000.00"])]


class MilestoneIn(BaseModel):
    title: str = Field(max_length=200, examples=["拆除违章棚"])
    due_date: date
    completed_date: date | None = None


class MilestoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    due_date: date
    completed_date: date | None


class ProjectCreate(BaseModel):
    station_id: uuid.UUID
    title: str = Field(min_length=1, max_length=200, examples=["微公园：违章棚改凉亭"])
    description: str = Field(min_length=1, max_length=10000)
    service_category: ServiceCategory
    place: str | None = Field(None, max_length=300, examples=["市新居委会 3 号楼旁空地"])
    planned_budget_yuan: Budget | None = None
    planned_start_date: date | None = None
    planned_end_date: date | None = None
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=100)


class ProjectUpdate(BaseModel):
    """A changed plan; only the fields sent change, and each change goes into the audit trail."""

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, min_length=1, max_length=10000)
    service_category: ServiceCategory | None = None
    place: str | None = Field(None, max_length=300)
    planned_budget_yuan: Budget | None = None
    planned_start_date: date | None = None
    planned_end_date: date | None = None


class ProjectTransitionRequest(BaseModel):
    action: ProjectAction


class ProgressReport(BaseModel):
    progress_percent: int = Field(examples=[60])


class MilestonesPut(BaseModel):
    milestones: list[MilestoneIn] = Field(max_length=100)


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    station_id: uuid.UUID
    community_id: uuid.UUID
    subdistrict_id: uuid.UUID
    title: str
    description: str
    service_category: str
    place: str | None
    planned_budget_yuan: Decimal | None
    planned_start_date: date | None
    planned_end_date: date | None
    stage: str
    proposer_id: str
    proposer_kind: str
    progress_percent: int | None
    hearing_passed: bool | None = Field(description="The hearing's decision; null while undecided.")
    review_accepted: bool | None = Field(description="The latest review meeting's decision; null while undecided.")
    rework_count: int
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    milestones: list[MilestoneRead] = Field(default_factory=list)
    allowed_actions: list[str] = Field(default_factory=list, description="Moves the stage table allows now.")
