from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SubdistrictCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["陆家嘴街道"])
    kind: Literal["street", "town"]


class SubdistrictRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: str


class StationCreate(BaseModel):
    subdistrict_id: uuid.UUID
    community_name: str = Field(min_length=1, max_length=100, examples=["市新居委会"])
    name: str = Field(min_length=1, max_length=200, examples=["市新居委会家门口服务站"])
    address: str = Field(min_length=1, max_length=300)
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    phone: str | None = Field(None, max_length=40)


class StationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subdistrict_id: uuid.UUID
    community_name: str
    name: str
    address: str
    latitude: float
    longitude: float
    phone: str | None
    created_at: datetime
    updated_at: datetime
