from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from deliberation_service.audit import service as audit
from deliberation_service.audit.schemas import AuditEntryRead
from deliberation_service.meetings import service as meetings
from deliberation_service.meetings.schemas import MeetingRead, SessionCreate
from deliberation_service.onsite_office import service
from deliberation_service.onsite_office.schemas import (
    CaseCreate,
    CaseRead,
    CaseResolve,
    CaseSummary,
    CommitmentCreate,
    CommitmentRead,
    InvitationsAdd,
)
from shared.auth import Principal, current_principal
from shared.clock import Now
from shared.idempotency import Idempotent, IdempotentRoute
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1/onsite-offices", tags=["onsite office"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]
Paging = Annotated[PageParameters, Depends(page_parameters)]


@router.post(
    "",
    response_model=CaseRead,
    status_code=status.HTTP_201_CREATED,
    summary="Open an on-site office case",
    dependencies=[Idempotent],
)
async def open_case(data: CaseCreate, session: SessionDep, principal: Caller, now: Now) -> CaseRead:
    return await service.read_model(session, await service.open_case(session, data, principal, now=now))


@router.get(
    "",
    response_model=Page[CaseSummary],
    summary="Cases the caller may see: a station's own, a department's invitations, a subdistrict's",
)
async def list_cases(
    session: SessionDep,
    principal: Caller,
    page: Paging,
    state: Annotated[Literal["open", "resolved"] | None, Query()] = None,
) -> Page[CaseSummary]:
    items, next_cursor = await service.page_cases(session, page, principal, state=state)
    return Page(items=[CaseSummary.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get("/{case_id}", response_model=CaseRead, summary="A case with its sessions and commitments")
async def get_case(case_id: uuid.UUID, session: SessionDep, principal: Caller) -> CaseRead:
    return await service.read_model(session, await service.visible_case(session, case_id, principal))


@router.post(
    "/{case_id}/invitations",
    response_model=CaseRead,
    summary="Invite more departments or officials",
    dependencies=[Idempotent],
)
async def invite(
    case_id: uuid.UUID, data: InvitationsAdd, session: SessionDep, principal: Caller, now: Now
) -> CaseRead:
    return await service.read_model(session, await service.invite(session, case_id, data, principal, now=now))


@router.post(
    "/{case_id}/sessions",
    response_model=MeetingRead,
    status_code=status.HTTP_201_CREATED,
    summary="Schedule a session (a meeting of kind onsite_office; open, check in and close it at /api/v1/meetings)",
    dependencies=[Idempotent],
)
async def schedule_session(
    case_id: uuid.UUID, data: SessionCreate, session: SessionDep, principal: Caller, now: Now
) -> MeetingRead:
    meeting = await service.schedule_session(session, case_id, data, principal, now=now)
    return await meetings.read_model(session, meeting, principal)


@router.post(
    "/{case_id}/commitments",
    response_model=CommitmentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a commitment made at a session: owner and due date",
    dependencies=[Idempotent],
)
async def add_commitment(
    case_id: uuid.UUID, data: CommitmentCreate, session: SessionDep, principal: Caller, now: Now
) -> CommitmentRead:
    commitment = await service.add_commitment(session, case_id, data, principal, now=now)
    return CommitmentRead.model_validate(commitment)


@router.post(
    "/{case_id}/commitments/{commitment_id}/fulfil",
    response_model=CommitmentRead,
    summary="Mark a commitment fulfilled",
    dependencies=[Idempotent],
)
async def fulfil_commitment(
    case_id: uuid.UUID, commitment_id: uuid.UUID, session: SessionDep, principal: Caller, now: Now
) -> CommitmentRead:
    commitment = await service.fulfil_commitment(session, case_id, commitment_id, principal, now=now)
    return CommitmentRead.model_validate(commitment)


@router.post(
    "/{case_id}/resolve",
    response_model=CaseRead,
    summary="Resolve the case (publishes onsite_office.resolved, which updates the ticket)",
    dependencies=[Idempotent],
)
async def resolve(case_id: uuid.UUID, data: CaseResolve, session: SessionDep, principal: Caller, now: Now) -> CaseRead:
    case = await service.resolve(session, case_id, data.outcome, principal, now=now)
    return await service.read_model(session, case)


@router.get("/{case_id}/audit", response_model=Page[AuditEntryRead], summary="Every change to the case")
async def case_audit(case_id: uuid.UUID, session: SessionDep, principal: Caller, page: Paging) -> Page[AuditEntryRead]:
    case = await service.visible_case(session, case_id, principal)
    items, next_cursor = await audit.page_entries(session, case.id, page)
    return Page(items=[AuditEntryRead.model_validate(item) for item in items], next_cursor=next_cursor)
