"""HTTP for the caller's own feed: the list, read marks, and the live stream (Server-Sent Events)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from notification_service import access
from notification_service.feed import repository, service
from notification_service.feed.live import FeedHub
from notification_service.feed.metrics import FEED_STREAMS
from notification_service.feed.models import FeedItem
from notification_service.feed.schemas import FeedItemPage, FeedItemRead, FeedReadResult, FeedReadUpTo
from notification_service.settings import NotificationSettings
from shared.auth import Principal, current_principal
from shared.database import Database
from shared.errors import Unprocessable
from shared.ids import utcnow
from shared.pagination import PageParameters, page_parameters
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1/me/feed", tags=["feed"])

Caller = Annotated[Principal, Depends(current_principal)]
Paging = Annotated[PageParameters, Depends(page_parameters)]

# A stream sends what it missed in batches of this many, oldest first.
STREAM_BATCH = 100
# Tells EventSource how long to wait before reconnecting after the connection drops (milliseconds).
RECONNECT_MILLISECONDS = 3000


async def current_time(request: Request) -> datetime:
    """The service's clock: `app.state.clock` when a test sets one."""
    return getattr(request.app.state, "clock", utcnow)().astimezone(UTC)


Now = Annotated[datetime, Depends(current_time)]


def person_of(principal: Caller) -> str:
    return access.feed_person(principal)


Person = Annotated[str, Depends(person_of)]


@router.get(
    "",
    response_model=FeedItemPage,
    summary="Your feed, newest first, with your unread count",
    description="Items addressed to you: tickets assigned or escalated to you, SLA warnings and breaches, "
    "resource requests to answer, meetings you run, webhooks of yours that stopped.",
)
async def list_feed(
    session: SessionDep,
    person: Person,
    page: Paging,
    unread: Annotated[bool, Query(description="Only the items not yet read.")] = False,
) -> FeedItemPage:
    found = await service.listing(session, person, page, unread_only=unread)
    return FeedItemPage(
        items=[FeedItemRead.model_validate(item) for item in found.items],
        next_cursor=found.next_cursor,
        unread_count=found.unread_count,
    )


@router.post("/read", response_model=FeedReadResult, summary="Mark your items read: all, or up to one item")
async def mark_feed_read(data: FeedReadUpTo, session: SessionDep, person: Person, now: Now) -> FeedReadResult:
    marked = await service.mark_all_read(session, person, data.up_to, now)
    return FeedReadResult(marked=marked, unread_count=await repository.unread_count(session, person))


@router.post("/{item_id}/read", response_model=FeedItemRead, summary="Mark one of your items read")
async def mark_feed_item_read(item_id: uuid.UUID, session: SessionDep, person: Person, now: Now) -> FeedItemRead:
    return FeedItemRead.model_validate(await service.mark(session, person, item_id, read=True, now=now))


@router.post("/{item_id}/unread", response_model=FeedItemRead, summary="Mark one of your items unread again")
async def mark_feed_item_unread(item_id: uuid.UUID, session: SessionDep, person: Person, now: Now) -> FeedItemRead:
    return FeedItemRead.model_validate(await service.mark(session, person, item_id, read=False, now=now))


def _resume_point(last_event_id: str | None) -> int | None:
    if last_event_id is None or not last_event_id.strip():
        return None
    text = last_event_id.strip()
    if not text.isdigit() or len(text) > 18:
        raise Unprocessable(
            "Last-Event-ID must be the `id:` of an event this stream sent.",
            field="Last-Event-ID",
            code="invalid_last_event_id",
        )
    return int(text)


def event_text(item: FeedItem) -> str:
    """One item as an SSE event: `id:` is its number, so the browser's Last-Event-ID resumes after it."""
    data = FeedItemRead.model_validate(item).model_dump_json()
    return f"id: {item.sequence}\nevent: feed_item\ndata: {data}\n\n"


async def _after(database: Database, person: str, sequence: int) -> list[FeedItem]:
    async with database.transaction() as session:  # short: a stream holds no transaction while it waits
        return list(await repository.items_after(session, person, sequence, STREAM_BATCH))


async def _stream(
    request: Request, database: Database, hub: FeedHub, person: str, start: int, heartbeat: float, wait: bool
) -> AsyncIterator[str]:
    signal = hub.subscribe(person)  # before the first read: a wake during it makes the loop read again
    FEED_STREAMS.inc()
    try:
        yield f"retry: {RECONNECT_MILLISECONDS}\n: connected\n\n"  # sends the headers through every proxy now
        sent = start
        while not await request.is_disconnected():
            signal.clear()
            items = await _after(database, person, sent)
            for item in items:
                yield event_text(item)
                sent = item.sequence
            if len(items) == STREAM_BATCH:
                continue  # more missed items wait: no heartbeat pause before them
            if not wait:
                return  # caught up: the client asked for no live part
            while True:
                try:
                    await asyncio.wait_for(signal.wait(), timeout=heartbeat)
                    break
                except TimeoutError:
                    yield ": heartbeat\n\n"  # keeps proxies from closing an idle connection
                # Without a listener (PostgreSQL away) wakes may be lost: then every heartbeat looks too.
                if not hub.reliable or await request.is_disconnected():
                    break
    finally:
        hub.unsubscribe(person, signal)
        FEED_STREAMS.dec()


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
    summary="Your new feed items, live (Server-Sent Events)",
    description=(
        "Each new item is an event `feed_item` whose `id:` is its `sequence`; reconnecting with "
        "`Last-Event-ID` (header, or `last_event_id`) sends what was missed first; without it the stream "
        "starts from now. A comment line comes every heartbeat interval. `wait=false` ends the stream once "
        "it has caught up. The token is checked when the stream opens."
    ),
)
async def stream_feed(
    request: Request,
    person: Person,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=32, description="The last `id:` received.")
    ] = None,
    last_event_id_query: Annotated[
        str | None,
        Query(
            alias="last_event_id",
            max_length=32,
            description="The same as the Last-Event-ID header, for a first connection that cannot set headers "
            "(EventSource); the header wins.",
        ),
    ] = None,
    wait: Annotated[
        bool,
        Query(description="false: send what was missed since the last id, then end (catching up, not staying)."),
    ] = True,
) -> StreamingResponse:
    runtime = request.app.state.runtime
    settings: NotificationSettings = runtime.settings
    database: Database = runtime.database
    start = _resume_point(last_event_id if last_event_id is not None else last_event_id_query)
    if start is None:
        async with database.transaction() as session:
            start = await repository.last_sequence(session, person)
    hub: FeedHub = request.app.state.feed_hub
    return StreamingResponse(
        _stream(request, database, hub, person, start, settings.feed_stream_heartbeat_seconds, wait),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )
