from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

KIND_PATTERN = r"^[a-z][a-z_]{1,39}$"


class DepartmentCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["陆家嘴街道民政科"])
    kind: str = Field(pattern=KIND_PATTERN, examples=["civil_affairs"], description="civil_affairs, justice, ...")
    subdistrict_id: uuid.UUID | None = Field(None, description="Null: a district-level department")
    service_categories: list[str] = Field(default_factory=list, examples=[["daily_life"]])
    phone: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=300)


class DepartmentUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    service_categories: list[str] | None = None
    phone: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=300)


class DepartmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: str
    subdistrict_id: uuid.UUID | None
    service_categories: list[str]
    phone: str | None
    address: str | None
    created_at: datetime
    updated_at: datetime
