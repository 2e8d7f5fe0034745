from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from shared.auth import Principal, current_principal
from shared.csv_safety import csv_line
from shared.errors import Unprocessable
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep
from ticket_service.clock import Now
from ticket_service.privacy import service as privacy
from ticket_service.privacy.masking import masked_contact
from ticket_service.tickets import repository, service
from ticket_service.tickets.lifecycle import ResponsibilityLevel, TicketState
from ticket_service.tickets.models import Ticket
from ticket_service.tickets.schemas import (
    BackstopRequest,
    ChangeRead,
    DesignateRequest,
    OnsiteOfficeRequest,
    ServiceCategory,
    TicketClose,
    TicketCreate,
    TicketDetail,
    TicketRead,
    TransitionRequest,
    VideoLinkCreate,
    VideoLinkRead,
)
from ticket_service.tickets.sla import SlaPolicy
from ticket_service.tickets.visibility import list_scope

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])

Caller = Annotated[Principal, Depends(current_principal)]


async def sla_policy(request: Request) -> SlaPolicy:
    settings = request.app.state.runtime.settings
    return SlaPolicy(accept_minutes=settings.sla_accept_minutes, resolve_minutes=settings.sla_resolve_minutes)


Policy = Annotated[SlaPolicy, Depends(sla_policy)]


async def detail(
    session, ticket: Ticket, now: datetime, principal: Principal, request: Request, *, new: bool = False
) -> TicketDetail:
    await session.flush()  # the sessions do not autoflush: the history shown includes this request's changes
    # The resident's contact and every free text in full only for whoever handles the matter, and then
    # recorded (one row for the response); masked for everyone else.
    view = await privacy.view_for(
        session,
        ticket,
        principal,
        now,
        privacy.endpoint_of(request),
        changes=await repository.changes(session, ticket.id),
        video_links=[] if new else await repository.video_links(session, ticket.id),  # a new ticket has none yet
    )
    assert view.ticket is not None
    return TicketDetail(
        **view.ticket.model_dump(),
        allowed_actions=service.usable_actions(ticket),
        notice=service.notice(ticket, now),
        history=view.history,
        video_links=view.video_links,
    )


@router.post(
    "",
    response_model=TicketDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Raise a ticket (first-inquiry rule picks the owner)",
    description="Send an `Idempotency-Key` header to make retries safe: the same key and body return the first "
    "ticket (header `Idempotent-Replayed: true`); the same key with another body is 422.",
)
async def create_ticket(
    data: TicketCreate,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
    response: Response,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")
    ] = None,
) -> TicketDetail:
    ticket, replayed = await service.create_ticket(
        session, data, principal, now, policy, idempotency_key=idempotency_key
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return await detail(session, ticket, now, principal, request, new=not replayed)


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
    return repository.TicketFilters(
        station_id=station_id,
        statuses=statuses,
        owner_id=owner_id,
        level=level.value if level else None,
        category=category.value if category else None,
        created_from=created_from,
        created_to=created_to,
        overdue=overdue,
    )


Filters = Annotated[repository.TicketFilters, Depends(_filters)]


@router.get("", response_model=Page[TicketRead], summary="Tickets the caller may see, filtered, keyset-paged")
async def list_tickets(
    session: SessionDep,
    principal: Caller,
    now: Now,
    filters: Filters,
    page: Annotated[PageParameters, Depends(page_parameters)],
) -> Page[TicketRead]:
    items, next_cursor = await repository.page_tickets(session, page, list_scope(principal), filters, now)
    return Page(items=[privacy.masked_read(item) for item in items], next_cursor=next_cursor)


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
            cursor = PageParameters(limit=batch.limit, cursor=items[-1].id)
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


@router.get("/{ticket_id}/history", response_model=list[ChangeRead], summary="Append-only history")
async def get_history(
    ticket_id: uuid.UUID, request: Request, session: SessionDep, principal: Caller, now: Now
) -> list[ChangeRead]:
    ticket = await service.visible_ticket(session, ticket_id, principal)
    changes = await repository.changes(session, ticket.id)
    view = await privacy.view_for(
        session, ticket, principal, now, privacy.endpoint_of(request), read=False, changes=changes
    )
    return view.history


@router.post(
    "/{ticket_id}/transitions",
    response_model=TicketDetail,
    summary="Move the ticket through its lifecycle (409 with a reason code when not allowed)",
)
async def transition(
    ticket_id: uuid.UUID,
    data: TransitionRequest,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
) -> TicketDetail:
    ticket = await service.act(
        session, ticket_id, data.action, principal, now, policy, note=data.note, completed_by=data.completed_by
    )
    return await detail(session, ticket, now, principal, request)


@router.post(
    "/{ticket_id}/close",
    response_model=TicketRead,
    summary="Close a ticket (a new or accepted one is handled at the desk: accept, resolve, close)",
)
async def close_ticket(
    ticket_id: uuid.UUID,
    data: TicketClose,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
) -> TicketRead:
    ticket = await service.close_ticket(session, ticket_id, data, principal, now, policy)
    return await privacy.read_for(session, ticket, principal, now, privacy.endpoint_of(request))


@router.post("/{ticket_id}/designate", response_model=TicketDetail, summary="Designated rule: name a social worker")
async def designate(
    ticket_id: uuid.UUID,
    data: DesignateRequest,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
) -> TicketDetail:
    ticket = await service.designate_ticket(session, ticket_id, data, principal, now, policy)
    return await detail(session, ticket, now, principal, request)


@router.post(
    "/{ticket_id}/backstop",
    response_model=TicketDetail,
    summary="Backstop rule: the secretary names a person or department, or claims it",
)
async def backstop(
    ticket_id: uuid.UUID,
    data: BackstopRequest,
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    policy: Policy,
) -> TicketDetail:
    ticket = await service.backstop_ticket(session, ticket_id, data, principal, now, policy)
    return await detail(session, ticket, now, principal, request)


@router.post(
    "/{ticket_id}/onsite-office",
    response_model=TicketDetail,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Raise a backstop ticket to an on-site office (deliberation service)",
)
async def onsite_office(
    ticket_id: uuid.UUID, data: OnsiteOfficeRequest, request: Request, session: SessionDep, principal: Caller, now: Now
) -> TicketDetail:
    ticket = await service.request_onsite_office(session, ticket_id, data, principal, now)
    return await detail(session, ticket, now, principal, request)


@router.post(
    "/{ticket_id}/video-links",
    response_model=VideoLinkRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a handling by video link with the acceptance centre",
)
async def add_video_link(
    ticket_id: uuid.UUID, data: VideoLinkCreate, request: Request, session: SessionDep, principal: Caller, now: Now
) -> VideoLinkRead:
    link = await service.record_video_link(session, ticket_id, data, principal, now)
    ticket = await service.visible_ticket(session, ticket_id, principal)
    view = await privacy.view_for(
        session, ticket, principal, now, privacy.endpoint_of(request), read=False, video_links=[link]
    )
    return view.video_links[0]


@router.get("/{ticket_id}/video-links", response_model=list[VideoLinkRead])
async def list_video_links(
    ticket_id: uuid.UUID, request: Request, session: SessionDep, principal: Caller, now: Now
) -> list[VideoLinkRead]:
    ticket = await service.visible_ticket(session, ticket_id, principal)
    links = await repository.video_links(session, ticket.id)
    view = await privacy.view_for(
        session, ticket, principal, now, privacy.endpoint_of(request), read=False, video_links=links
    )
    return view.video_links
