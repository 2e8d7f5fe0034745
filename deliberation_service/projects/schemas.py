from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ServiceCategory = Literal[
    "party_mass", "government_affairs", "daily_life", "legal", "health", "culture", "community_management"
]


class ProjectCreate(BaseModel):
    station_id: uuid.UUID
    title: str = Field(min_length=1, max_length=200, examples=["微公园：违章棚改凉亭"])
    description: str = Field(min_length=1, max_length=10000)
    service_category: ServiceCategory


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    station_id: uuid.UUID
    title: str
    description: str
    service_category: str
    stage: str
    proposer_id: str
    created_at: datetime
    updated_at: datetime
