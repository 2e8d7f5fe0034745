"""What the feed's endpoints take and give."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from notification_service.feed.drafts import FeedKind


class FeedItemRead(BaseModel):
    """One item of the caller's feed. Title and body never carry a resident's personal data."""

    model_config = ConfigDict(title="FeedItemRead", from_attributes=True)

    id: uuid.UUID
    sequence: int = Field(description="The item's number in the caller's feed: the stream's `id:` (Last-Event-ID).")
    kind: FeedKind
    title: str
    body: str
    link: str | None = Field(description="The app's API path of what the item is about, e.g. /api/v1/tickets/{id}.")
    subject_id: str | None = Field(description="The id of what the item is about (ticket, request, meeting...).")
    urgent: bool
    created_at: datetime
    read_at: datetime | None


class FeedItemPage(BaseModel):
    """A page of the caller's feed, newest first, with the unread count for the app's badge."""

    model_config = ConfigDict(title="FeedItemPage")

    items: list[FeedItemRead]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null on the last.")
    unread_count: int = Field(description="The caller's unread items, all pages together.")


class FeedReadUpTo(BaseModel):
    """Marks read every unread item up to and including `up_to` (one of the caller's), or all of them."""

    model_config = ConfigDict(title="FeedReadUpTo", extra="forbid")

    up_to: uuid.UUID | None = Field(None, description="An item of the caller's feed; omit to mark everything read.")


class FeedReadResult(BaseModel):
    model_config = ConfigDict(title="FeedReadResult")

    marked: int = Field(description="How many items this marked read.")
    unread_count: int
