"""The personal-information endpoints: a resident's contact on one ticket, and the log of full reads.

Declared before the tickets router so `/api/v1/tickets/contact-reads` is not taken for a ticket id.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from shared.auth import Principal, Role, current_principal, require_roles
from shared.clock import Now
from shared.errors import Unprocessable
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep
from ticket_service.privacy import repository, service
from ticket_service.privacy.schemas import ContactReadRecord, ResidentContact

router = APIRouter(prefix="/api/v1/tickets", tags=["personal information"])

Caller = Annotated[Principal, Depends(current_principal)]
DistrictAdmin = Annotated[Principal, Depends(require_roles(Role.district_admin))]


@router.get(
    "/contact-reads",
    response_model=Page[ContactReadRecord],
    summary="Who read which resident's contact in full, when, and how (district administrators)",
)
async def list_contact_reads(
    session: SessionDep,
    _admin: DistrictAdmin,
    page: Annotated[PageParameters, Depends(page_parameters)],
    reader_id: Annotated[str | None, Query(max_length=64)] = None,
    ticket_id: Annotated[uuid.UUID | None, Query()] = None,
    resident_id: Annotated[str | None, Query(max_length=64)] = None,
    station_id: Annotated[uuid.UUID | None, Query()] = None,
    read_from: Annotated[AwareDatetime | None, Query(description="Read at or after.")] = None,
    read_to: Annotated[AwareDatetime | None, Query(description="Read before.")] = None,
) -> Page[ContactReadRecord]:
    if read_from and read_to and read_to <= read_from:
        raise Unprocessable("read_to must be after read_from.", field="read_to", code="end_before_start")
    items, next_cursor = await repository.page_contact_reads(
        session,
        page,
        reader_id=reader_id,
        ticket_id=ticket_id,
        resident_id=resident_id,
        station_id=station_id,
        read_from=read_from,
        read_to=read_to,
    )
    return Page(items=[ContactReadRecord.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get(
    "/{ticket_id}/contact",
    response_model=ResidentContact,
    summary="The resident's contact in full (the handler and the station's staff; every read is recorded)",
    description="Also the notification service (role `notifier`), for any ticket, to text its resident: "
    "each of its reads is recorded with the purpose `resident_sms`.",
)
async def get_contact(
    ticket_id: uuid.UUID, request: Request, session: SessionDep, principal: Caller, now: Now
) -> ResidentContact:
    return await service.reveal(session, ticket_id, principal, now, service.endpoint_of(request))
