from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AttachmentRead(BaseModel):
    """A file on a ticket. `url` downloads it until `url_expires_at` (ask the list again for a new one)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    content_type: str = Field(description="As stored and served: image/jpeg, image/png or application/pdf.")
    detected_type: str = Field(description="As found in the uploaded bytes (image/heic is stored as image/jpeg).")
    size_bytes: int = Field(description="The stored file's size.")
    public: bool = Field(description="The resident allowed a public-safe copy (Open311 `media_url`).")
    uploaded_by: str
    uploaded_at: datetime
    url: str | None = Field(None, description="A short-lived signed download link; null once removed.")
    url_expires_at: datetime | None = None
    public_url: str | None = Field(None, description="The public-safe copy (no metadata), where allowed.")
    removed_at: datetime | None = None
    removed_reason: str | None = Field(None, description="deleted (by hand) or retention (personal data removed).")
