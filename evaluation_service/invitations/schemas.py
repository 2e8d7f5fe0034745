from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class InvitationRead(BaseModel):
    """An invitation as staff and its resident see it: whether it was used, never the scores."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    social_worker_id: str | None
    station_id: uuid.UUID
    service_category: str
    created_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None


class RatingLink(BaseModel):
    """A fresh single-use link; the token is shown this once and never stored.

    The resident's own link works as it is. A link a station colleague shows at the desk counts only with
    the six-digit code sent to the resident's phone (`resident_code_required`); the form asks for it.
    """

    invitation_id: uuid.UUID
    token: str
    url: str = Field(description="The resident's page, `/e/{token}`, on the public base URL.")
    qr_url: str = Field(description="What the QR code encodes: the same page, marked as reached by QR.")
    qr_svg: str = Field(description="The QR code as an inline SVG element.")
    qr_svg_data_uri: str = Field(description="The QR code as a data: URI for an <img>.")
    expires_at: datetime
    resident_code_required: bool = Field(
        description="True for a desk link: the rating needs the code sent to the resident (never shown here)."
    )
    resident_code_expires_at: datetime | None = None
