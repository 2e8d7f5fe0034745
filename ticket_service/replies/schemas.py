from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class TicketMessageCreate(BaseModel):
    text: str = Field(
        min_length=1,
        max_length=2000,
        description="As typed; surrounding whitespace is trimmed and the rest must not be blank (1-2000 characters).",
    )


class TicketMessageRead(BaseModel):
    """A note (staff only) or a public reply (the resident reads it; the public, masked, in Open311)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    kind: str = Field(description="note | reply")
    text: str = Field(description="Masked (phones, names, door numbers) for whoever does not handle the matter.")
    author_id: str
    created_at: datetime
    ticket_status: str = Field(description="The ticket's state when it was written.")
    text_masked: bool = Field(False, description="The text is shown masked to this reader.")
