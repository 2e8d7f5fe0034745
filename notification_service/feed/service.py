"""The feed's use cases. They never commit: the inbox (events) or the request (reads) does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.feed import drafts, live, repository
from notification_service.feed.models import FeedItem
from notification_service.push import service as push
from shared.errors import NotFound
from shared.events import EventEnvelope
from shared.pagination import PageParameters


async def add_from_event(session: AsyncSession, event: EventEnvelope, now: datetime) -> list[FeedItem]:
    """The items an event gives, one per person it concerns, each queued for push in this transaction.
    The same event never gives a person two items (the inbox, and the unique (event, person))."""
    made = drafts.draft_for(event.type, event.data)
    if made is None:
        return []
    draft, audience = made
    added: list[FeedItem] = []
    for person_id in await repository.audience_people(session, audience):
        if await repository.has_item(session, event.id, person_id, draft.change):
            continue
        item = FeedItem(
            person_id=person_id,
            sequence=await repository.next_sequence(session, person_id),
            kind=draft.kind.value,
            title=draft.title,
            body=draft.body,
            link=draft.link,
            subject_id=draft.subject_id,
            urgent=draft.urgent,
            change=draft.change,
            event_id=event.id,
            event_type=event.type,
            created_at=now,
        )
        session.add(item)
        await session.flush()
        await push.enqueue(
            session,
            person_id=person_id,
            feed_item_id=item.id,
            title=item.title,
            body=item.body,
            url=item.link,
            urgent=item.urgent,
            now=now,
        )
        live.remember(session, person_id, item.kind)
        added.append(item)
    if added and session.get_bind().dialect.name == "postgresql":
        await repository.announce(session, live.CHANNEL, [item.person_id for item in added])
    return added


async def keep_staff(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Where each staff member works, from a run of `staff.*` events (thousands when the catalogue seeds)."""
    members: list[repository.StaffRow] = []
    for event in events:
        data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
        staff_id = data.get("id")
        if not isinstance(staff_id, str) or not staff_id:
            continue

        def text(name: str, data: dict[str, Any] = data) -> str | None:
            value = data.get(name)
            return str(value)[:64] if value else None

        members.append(
            repository.StaffRow(
                id=staff_id[:64],
                role=str(data.get("role") or "")[:40],
                station_id=text("station_id"),
                department_id=text("department_id"),
                active=bool(data.get("active", True)) and event.type != "staff.removed",
                updated_at=event.time,
            )
        )
    await repository.keep_staff(session, members)


@dataclass(frozen=True, slots=True)
class FeedListing:
    items: list[FeedItem]
    next_cursor: str | None
    unread_count: int


async def listing(session: AsyncSession, person_id: str, page: PageParameters, *, unread_only: bool) -> FeedListing:
    items, next_cursor = await repository.page_items(session, person_id, page, unread_only=unread_only)
    return FeedListing(items, next_cursor, await repository.unread_count(session, person_id))


async def own_item(session: AsyncSession, person_id: str, item_id: uuid.UUID) -> FeedItem:
    """One of the person's items; another person's is as absent as one that does not exist."""
    item = await repository.own_item(session, person_id, item_id)
    if item is None:
        raise NotFound("No such feed item.", code="feed_item_not_found")
    return item


async def mark(session: AsyncSession, person_id: str, item_id: uuid.UUID, *, read: bool, now: datetime) -> FeedItem:
    item = await own_item(session, person_id, item_id)
    if read and item.read_at is None:
        item.read_at = now
    elif not read:
        item.read_at = None
    await session.flush()
    return item


async def mark_all_read(session: AsyncSession, person_id: str, up_to: uuid.UUID | None, now: datetime) -> int:
    """Marks read every unread item up to and including `up_to` (one of the person's items), or all."""
    sequence = None
    if up_to is not None:
        sequence = (await own_item(session, person_id, up_to)).sequence
    return await repository.mark_read_up_to(session, person_id, sequence, now)
