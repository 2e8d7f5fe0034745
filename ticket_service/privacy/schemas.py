from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ResidentContact(BaseModel):
    """A resident's contact on one ticket, in full. Every answer is recorded in the contact-read log."""

    ticket_id: uuid.UUID
    resident_id: str | None
    resident_name: str | None
    resident_phone: str | None
    description: str = Field(description="The ticket's description, with any contact in it unmasked.")
    location_address: str | None = Field(None, description="The home's address with its door numbers.")
    latitude: float | None = None
    longitude: float | None = None
    personal_data_removed_at: datetime | None = Field(
        None, description="Set when the retention period already removed the personal data: nothing is left."
    )


class ContactReadRecord(BaseModel):
    """One response that carried a resident's contact in full."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    read_at: datetime
    reader_id: str
    reader_roles: list[str]
    ticket_id: uuid.UUID
    station_id: uuid.UUID
    resident_id: str | None = Field(description="The resident's account, when they have one.")
    resident_name_masked: str | None = Field(description="Whose: masked, the log never holds the full values.")
    resident_phone_masked: str | None
    endpoint: str = Field(description="Method and route, e.g. `GET /api/v1/tickets/{ticket_id}`.")
    request_id: str | None
    purpose: str | None = Field(None, description="Why a service read it, e.g. `resident_sms` (the notifier).")
