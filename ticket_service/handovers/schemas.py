from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

REASON = "Why (kept in the ticket's history, masked for whoever does not handle the matter; never in an event)."


class TicketTransferRequest(BaseModel):
    station_id: uuid.UUID = Field(description="The receiving station: its first-inquiry rule picks the owner.")
    reason: str = Field(max_length=2000, description=REASON)


class TicketReturnRequest(BaseModel):
    reason: str = Field(max_length=2000, description=REASON)


class DuplicateLinkRequest(BaseModel):
    parent_id: uuid.UUID = Field(description="The ticket this one duplicates (a root: not itself a duplicate).")


class BackstopAskRequest(BaseModel):
    reason: str = Field(max_length=2000, description=REASON)


class TicketHandoverRead(BaseModel):
    """A transfer or return as its maker sees it: the ticket may now be out of their view, so ids and figures
    only (the receiving station reads the ticket itself)."""

    ticket_id: uuid.UUID
    kind: str = Field(description="transferred | returned")
    from_station_id: uuid.UUID
    to_station_id: uuid.UUID
    owner_id: str | None
    owner_kind: str
    responsibility_level: str
    status: str
    at: datetime
    acceptance_due_at: datetime | None = Field(description="Unchanged by the move: the clocks keep running.")
    resolution_due_at: datetime | None
