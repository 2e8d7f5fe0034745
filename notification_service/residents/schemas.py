from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SmsMessageRead(BaseModel):
    """One SMS notice to a ticket's resident, as the log shows it: never the number in full, never the text."""

    model_config = ConfigDict(from_attributes=True, title="SmsMessageRead")

    id: uuid.UUID
    ticket_id: uuid.UUID
    kind: str = Field(description="ticket_accepted, ticket_resolved, rating_link or rating_code.")
    status: str = Field(description="pending, sent, skipped (on purpose, see reason) or failed.")
    reason: str | None = Field(
        description="Why it was skipped or failed: opted_out, sms_turned_off, no_contact, link_unavailable, "
        "code_expired, the provider's answer (http_400) ..."
    )
    phone_masked: str | None = Field(description="The number it went to, masked (138****5678).")
    attempts: int
    next_attempt_at: datetime | None
    provider_message_id: str | None
    created_at: datetime
    sent_at: datetime | None
    updated_at: datetime


class SmsInboundReply(BaseModel):
    """A resident's reply to a notice, as the SMS provider forwards it."""

    model_config = ConfigDict(title="SmsInboundReply")

    phone: str = Field(min_length=3, max_length=40, description="The number the reply came from.")
    text: str = Field(max_length=500, description="What the resident wrote: TD, 退订 or STOP opts out.")
    received_at: datetime | None = None


class SmsInboundResult(BaseModel):
    model_config = ConfigDict(title="SmsInboundResult")

    opted_out: bool = Field(description="The reply was an opt-out: no more notices go to this number.")
