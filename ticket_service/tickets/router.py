from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, current_principal
from shared.clock import Now
from shared.conditional import IfMatch, Precondition, declare_version
from shared.csv_safety import csv_line
from shared.errors import Unprocessable
from shared.idempotency import IdempotentRoute, idempotent
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep
from shared.sync import ChangesToken, SyncPage, changes_parameter
from ticket_service.privacy import service as privacy
from ticket_service.privacy.masking import masked_contact
from ticket_service.sla_policies.rules import Priority
from ticket_service.tickets import repository, service
from ticket_service.tickets.lifecycle import ResponsibilityLevel, TicketState
from ticket_service.tickets.list_items import list_item
from ticket_service.tickets.models import Ticket, TicketChange
from ticket_service.tickets.schemas import (
    BackstopRequest,
    ChangeRead,
    CountsGroupBy,
    DesignateRequest,
    OnsiteOfficeRequest,
    ServiceCategory,
    TicketClose,
    TicketCounts,
    TicketCreate,
    TicketDetail,
    TicketGroupCounts,
    TicketRead,
    TicketSort,
    TicketTransitionRequest,
    VideoLinkCreate,
    VideoLinkRead,
)
from ticket_service.tickets.sla import SlaPolicy
from ticket_service.tickets.visibility import SearchRefused, awaiting, list_scope, search_text, sync_keys

# IdempotentRoute: every POST that acts takes an Idempotency-Key (shared/idempotency.py).
router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]
# A replayed answer may show the resident's contact in full again: its full reads are recorded again.
TicketIdempotent = idempotent(on_replay=privacy.record_replayed_reads)


async def current_ticket(
    session: AsyncSession, ticket_id: uuid.UUID, principal: Principal, precondition: Precondition | None
) -> None:
    """If-Match on a ticket's action: checked on the row locked for the action (404 before 412)."""
    if precondition is not None:
        ticket = await service.visible_ticket(session, ticket_id, principal, for_update=True)
        precondition.require(ticket.version)


async def sla_policy(request: Request) -> SlaPolicy:
    settings = request.app.state.runtime.settings
    return SlaPolicy(accept_minutes=settings.sla_accept_minutes, resolve_minutes=settings.sla_resolve_minutes)


Policy = Annotated[SlaPolicy, Depends(sla_policy)]


async def detail(
    session: AsyncSession,
    ticket: Ticket,
    now: datetime,
    principal: Principal,
    request: Request,
    *,
    new: bool = False,
    history: list[TicketChange] | None = None,
) -> TicketDetail:
    """`history`: the ticket's history rows when the caller has them all (a new ticket's), else read."""
    await session.flush()  # the sessions do not autoflush: the history shown includes this request's changes
    declare_version(ticket.version)  # the ETag: this version, and the digest of the bytes this reader gets
    # The resident's contact and every free text in full only for whoever handles the matter, and then
    # recorded (one row for the response); masked for everyone else.
    view = await privacy.view_for(
        session,
        ticket,
        principal,
        now,
        privacy.endpoint_of(request),
        changes=history if history is not None else await repository.changes(session, ticket.id),
        video_links=[] if new else await repository.video_links(session, ticket.id),  # a new ticket has none yet
    )
    assert view.ticket is not None
    return TicketDetail(
        **view.ticket.model_dump(),
        allowed_actions=service.usable_actions(ticket),
        notice=await service.notice(session, ticket, now),
        history=view.history,
        video_links=view.video_links,
    )


@router.post(
    "",
    response_model=TicketDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Raise a ticket (first-inquiry rule picks the owner)",
    description="Send an `Idempotency-Key` header to make retries safe: the same key and body return the first "
    "answer (header `Idempotent-Replayed: true`); the same key with another body is 422.",
    dependencies=[TicketIdempotent],
)
async def create_ticket(
    data: TicketCreate,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
) -> TicketDetail:
    raised = await service.raise_ticket(session, data, principal, now, policy)
    return await detail(session, raised.ticket, now, principal, request, new=True, history=raised.changes)


async def _filters(
    station_id: Annotated[uuid.UUID | None, Query()] = None,
    status_filter: Annotated[
        str | None, Query(alias="status", description="One state or a comma list, e.g. new,accepted")
    ] = None,
    owner_id: Annotated[str | None, Query(max_length=64)] = None,
    level: Annotated[ResponsibilityLevel | None, Query()] = None,
    category: Annotated[ServiceCategory | None, Query()] = None,
    created_from: Annotated[AwareDatetime | None, Query(description="Created at or after.")] = None,
    created_to: Annotated[AwareDatetime | None, Query(description="Created before.")] = None,
    overdue: Annotated[bool | None, Query(description="Open and past an SLA due time.")] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words in the description (case-insensitive substring; Chinese from one character, "
            "e.g. 楼道). Phone-, ID- or e-mail-like text (4 digits in a row, `@`) is refused: lists are masked.",
        ),
    ] = None,
    priority: Annotated[
        str | None, Query(max_length=100, description="One priority or a comma list, e.g. urgent,high")
    ] = None,
    due_before: Annotated[AwareDatetime | None, Query(description="Next due time (`due_at`) before.")] = None,
    due_after: Annotated[AwareDatetime | None, Query(description="Next due time (`due_at`) at or after.")] = None,
) -> repository.TicketFilters:
    statuses = None
    if status_filter:
        statuses = [part.strip() for part in status_filter.split(",") if part.strip()]
        known = {state.value for state in TicketState}
        for value in statuses:
            if value not in known:
                raise Unprocessable(f"Unknown status {value!r}.", field="status", code="unknown_status")
    if created_from and created_to and created_to <= created_from:
        raise Unprocessable("created_to must be after created_from.", field="created_to", code="end_before_start")
    priorities = None
    if priority:
        priorities = [part.strip() for part in priority.split(",") if part.strip()]
        for value in priorities:
            if value not in {known.value for known in Priority}:
                raise Unprocessable(f"Unknown priority {value!r}.", field="priority", code="unknown_priority")
    if due_after and due_before and due_before <= due_after:
        raise Unprocessable("due_before must be after due_after.", field="due_before", code="end_before_start")
    try:
        text = search_text(q)
    except SearchRefused as refused:
        raise Unprocessable(refused.message, field="q", code=refused.code) from None
    return repository.TicketFilters(
        station_id=station_id,
        statuses=statuses,
        owner_id=owner_id,
        level=level.value if level else None,
        category=category.value if category else None,
        created_from=created_from,
        created_to=created_to,
        overdue=overdue,
        text=text,
        priorities=priorities,
        due_before=due_before,
        due_after=due_after,
    )


Filters = Annotated[repository.TicketFilters, Depends(_filters)]


@router.get(
    "",
    response_model=SyncPage[TicketRead],
    summary="Tickets the caller may see, filtered, keyset-paged, newest first",
    description="`sort`: `created`, `updated`, `due` (the next SLA due time; none last), `-` for descending; "
    "default `-created`. With `changes` (offline sync): the tickets changed since the token, oldest change "
    "first, up to 1,000, and `tombstones` for tickets anonymised or gone out of the caller's view or filters; "
    "keep `changes` from the answer, and call again at once while `next_cursor` is not null.",
)
async def list_tickets(
    session: SessionDep,
    principal: Caller,
    now: Now,
    filters: Filters,
    page: Annotated[PageParameters, Depends(page_parameters)],
    sort: Annotated[TicketSort, Query(description="Order: created, updated, due; `-` for descending.")] = (
        TicketSort.CREATED_DESCENDING
    ),
    changes: Annotated[ChangesToken | None, Depends(changes_parameter)] = None,
) -> SyncPage[TicketRead]:
    scope = list_scope(principal)
    if changes is not None:
        found = await repository.ticket_changes(
            session, changes, scope, filters, now, sync_keys(principal, filters.station_id, filters.owner_id)
        )
        return SyncPage(
            items=[privacy.masked_read(item) for item in found.rows],
            next_cursor=found.token if found.more else None,
            tombstones=found.tombstones,
            changes=found.token,
        )
    rows, next_cursor = await repository.page_ticket_rows(session, page, scope, filters, now, sort.value)
    return SyncPage(items=[list_item(row) for row in rows], next_cursor=next_cursor)


@router.get(
    "/counts",
    response_model=TicketCounts,
    summary="Badges: the tickets the caller may see by status, overdue, and awaiting the caller",
    description="Takes the list's filters (e.g. `station_id`). Awaiting me: owned by the caller (or the "
    "caller's department) and not yet accepted (new or reopened).",
)
async def ticket_counts(
    session: SessionDep,
    principal: Caller,
    now: Now,
    filters: Filters,
    group_by: Annotated[
        CountsGroupBy | None,
        Query(description="Also count per `station` or `subdistrict`: open, overdue, breached (`groups`)."),
    ] = None,
) -> TicketCounts:
    scope = list_scope(principal)
    by_status, overdue, waiting, total = await repository.ticket_counts(
        session, scope, filters, now, awaiting(principal)
    )
    groups = None
    if group_by is not None:
        found = await repository.grouped_counts(session, scope, filters, now, group_by.value)
        groups = [TicketGroupCounts(**vars(group)) for group in found]
    return TicketCounts(
        by_status={state.value: by_status.get(state.value, 0) for state in TicketState},
        overdue=overdue,
        awaiting_me=waiting,
        total=total,
        group_by=group_by,
        groups=groups,
    )


CSV_COLUMNS = (
    "id", "station_id", "channel", "service_category", "service_item", "status", "responsibility_level",
    "owner_id", "created_at", "accepted_at", "resolved_at", "closed_at", "acceptance_due_at",
    "resolution_due_at", "acceptance_working_minutes", "resolution_working_minutes", "sla_breached_at",
)  # fmt: skip
# Always masked in an export, as in the list it mirrors: a file leaves the system's audit.
MASKED_COLUMNS = ("resident_name", "resident_phone", "description", "location_address")


def _csv_record(ticket: Ticket) -> str:
    masked = masked_contact(ticket)
    return csv_line(
        value.isoformat() if isinstance(value, datetime) else value
        for value in (
            *(getattr(ticket, column) for column in CSV_COLUMNS),
            *(masked[column] for column in MASKED_COLUMNS),
        )
    )


@router.get(
    "/export.csv",
    summary="The same list as CSV (UTF-8 with BOM, for spreadsheets), every matching ticket, streamed",
    description="No row cap: the rows are read in keyset-ordered batches and streamed as they are written. "
    "Contact, address and free text are masked as in the list; cells a spreadsheet would run as a formula "
    "are neutralised.",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_csv(
    request: Request, session: SessionDep, principal: Caller, now: Now, filters: Filters
) -> StreamingResponse:
    scope = list_scope(principal)
    runtime = request.app.state.runtime
    batch = PageParameters(limit=runtime.settings.export_batch_size, cursor=None)
    # The first batch in the request's transaction: a failing query is still a problem+json answer.
    first, next_cursor = await repository.page_tickets(session, batch, scope, filters, now)

    async def lines() -> AsyncIterator[str]:
        yield "\ufeff" + csv_line((*CSV_COLUMNS, *MASKED_COLUMNS))
        items, more = first, next_cursor
        while True:
            yield "".join(_csv_record(ticket) for ticket in items)
            if more is None:
                return
            # Each further batch in a short session of its own: a slow download holds no transaction
            # and no connection, and memory stays one batch whatever the row count.
            cursor = PageParameters(limit=batch.limit, cursor=more)
            async with runtime.database.sessionmaker() as batch_session:
                items, more = await repository.page_tickets(batch_session, cursor, scope, filters, now)

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="tickets.csv"'},
    )


@router.get("/{ticket_id}", response_model=TicketDetail, summary="One ticket, with its history")
async def get_ticket(
    ticket_id: uuid.UUID, request: Request, session: SessionDep, principal: Caller, now: Now
) -> TicketDetail:
    return await detail(session, await service.visible_ticket(session, ticket_id, principal), now, principal, request)


@router.get(
    "/{ticket_id}/history",
    response_model=Page[ChangeRead],
    summary="Append-only history, newest first (whole: `next_cursor` is null)",
)
async def get_history(
    ticket_id: uuid.UUID, request: Request, session: SessionDep, principal: Caller, now: Now
) -> Page[ChangeRead]:
    ticket = await service.visible_ticket(session, ticket_id, principal)
    changes = await repository.changes(session, ticket.id)
    view = await privacy.view_for(
        session, ticket, principal, now, privacy.endpoint_of(request), read=False, changes=changes
    )
    return Page(items=view.history[::-1], next_cursor=None)


@router.post(
    "/{ticket_id}/transitions",
    response_model=TicketDetail,
    summary="Move the ticket through its lifecycle (409 with a reason code when not allowed)",
    dependencies=[TicketIdempotent],
)
async def transition(
    ticket_id: uuid.UUID,
    data: TicketTransitionRequest,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
    precondition: IfMatch,
) -> TicketDetail:
    await current_ticket(session, ticket_id, principal, precondition)
    ticket = await service.act(
        session,
        ticket_id,
        data.action,
        principal,
        now,
        policy,
        note=data.note,
        completed_by=data.completed_by,
        result_text=data.result_text,
    )
    return await detail(session, ticket, now, principal, request)


@router.post(
    "/{ticket_id}/close",
    response_model=TicketRead,
    summary="Close a ticket (a new or accepted one is handled at the desk: accept, resolve, close)",
    dependencies=[TicketIdempotent],
)
async def close_ticket(
    ticket_id: uuid.UUID,
    data: TicketClose,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
    precondition: IfMatch,
) -> TicketRead:
    await current_ticket(session, ticket_id, principal, precondition)
    ticket = await service.close_ticket(session, ticket_id, data, principal, now, policy)
    await session.flush()
    declare_version(ticket.version)
    return await privacy.read_for(session, ticket, principal, now, privacy.endpoint_of(request))


@router.post(
    "/{ticket_id}/designate",
    response_model=TicketDetail,
    summary="Designated rule: name a social worker",
    dependencies=[TicketIdempotent],
)
async def designate(
    ticket_id: uuid.UUID,
    data: DesignateRequest,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
    precondition: IfMatch,
) -> TicketDetail:
    await current_ticket(session, ticket_id, principal, precondition)
    ticket = await service.designate_ticket(session, ticket_id, data, principal, now, policy)
    return await detail(session, ticket, now, principal, request)


@router.post(
    "/{ticket_id}/backstop",
    response_model=TicketDetail,
    summary="Backstop rule: the secretary names a person or department, or claims it",
    dependencies=[TicketIdempotent],
)
async def backstop(
    ticket_id: uuid.UUID,
    data: BackstopRequest,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
    precondition: IfMatch,
) -> TicketDetail:
    await current_ticket(session, ticket_id, principal, precondition)
    ticket = await service.backstop_ticket(session, ticket_id, data, principal, now, policy)
    return await detail(session, ticket, now, principal, request)


@router.post(
    "/{ticket_id}/onsite-office",
    response_model=TicketDetail,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Raise a backstop ticket to an on-site office (deliberation service)",
    dependencies=[TicketIdempotent],
)
async def onsite_office(
    ticket_id: uuid.UUID,
    data: OnsiteOfficeRequest,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    precondition: IfMatch,
) -> TicketDetail:
    await current_ticket(session, ticket_id, principal, precondition)
    ticket = await service.request_onsite_office(session, ticket_id, data, principal, now)
    return await detail(session, ticket, now, principal, request)


@router.post(
    "/{ticket_id}/video-links",
    response_model=VideoLinkRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a handling by video link with the acceptance centre",
    dependencies=[TicketIdempotent],
)
async def add_video_link(
    ticket_id: uuid.UUID,
    data: VideoLinkCreate,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    precondition: IfMatch,
) -> VideoLinkRead:
    await current_ticket(session, ticket_id, principal, precondition)
    link = await service.record_video_link(session, ticket_id, data, principal, now)
    ticket = await service.visible_ticket(session, ticket_id, principal)
    view = await privacy.view_for(
        session, ticket, principal, now, privacy.endpoint_of(request), read=False, video_links=[link]
    )
    return view.video_links[0]


@router.get(
    "/{ticket_id}/video-links",
    response_model=Page[VideoLinkRead],
    summary="The ticket's video-link handlings, newest first (whole: `next_cursor` is null)",
)
async def list_video_links(
    ticket_id: uuid.UUID, request: Request, session: SessionDep, principal: Caller, now: Now
) -> Page[VideoLinkRead]:
    ticket = await service.visible_ticket(session, ticket_id, principal)
    links = await repository.video_links(session, ticket.id)
    view = await privacy.view_for(
        session, ticket, principal, now, privacy.endpoint_of(request), read=False, video_links=links
    )
    return Page(items=view.video_links[::-1], next_cursor=None)
