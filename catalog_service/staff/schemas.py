from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

StaffRole = Literal["receptionist", "joint_receptionist", "social_worker", "secretary", "department_staff"]
STATION_ROLES = frozenset({"receptionist", "joint_receptionist", "social_worker", "secretary"})


class StaffCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["陆伟"])
    role: StaffRole
    station_id: uuid.UUID | None = Field(None, description="For the station roles")
    department_id: uuid.UUID | None = Field(None, description="For department_staff")
    service_categories: list[str] = Field(default_factory=list)
    phone: str | None = Field(None, max_length=40)


class StaffUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    role: StaffRole | None = None
    station_id: uuid.UUID | None = None
    department_id: uuid.UUID | None = None
    service_categories: list[str] | None = None
    phone: str | None = Field(None, max_length=40)


class StaffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    role: str
    station_id: uuid.UUID | None
    community_id: uuid.UUID | None
    subdistrict_id: uuid.UUID | None
    department_id: uuid.UUID | None
    service_categories: list[str]
    phone: str | None
    active: bool
    created_at: datetime
    updated_at: datetime
