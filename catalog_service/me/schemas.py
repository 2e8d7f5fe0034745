from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class Place(BaseModel):
    """A station, community, subdistrict or department the caller belongs to; `name` is null when the
    token names one the catalogue does not hold."""

    id: uuid.UUID
    name: str | None


class StaffRecord(BaseModel):
    """The caller's own row in the staff directory (station staff and department members)."""

    id: uuid.UUID
    role: str = Field(examples=["social_worker"])
    service_categories: list[str]
    active: bool


class MeRead(BaseModel):
    """Who the caller is, where they belong and what they may do, from the token's claims and the
    catalogue's rows. The caller sees their own data in full."""

    id: str = Field(description="The token's subject: the person's (or integration's) id")
    name: str | None
    roles: list[str]
    kind: str = Field(description="staff, department, administrator, resident or integration")
    station: Place | None
    stations: list[Place] = Field(description="The stations the caller works at (station staff: their one)")
    community: Place | None
    subdistrict: Place | None
    department: Place | None
    staff: StaffRecord | None
    capabilities: list[str] = Field(
        description="What the caller's roles allow, in their own scope (`tickets.create`, `tickets.designate`, "
        "`rota.manage`, ...): the app hides what is not listed. The services still check every call.",
        examples=[["tickets.create", "tickets.transition"]],
    )
