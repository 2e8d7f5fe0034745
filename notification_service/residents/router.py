"""HTTP for residents' SMS notices: the log of a ticket's messages, and the provider's inbound callback."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import access
from notification_service.residents import repository, service
from notification_service.residents.schemas import SmsInboundReply, SmsInboundResult, SmsMessageRead
from notification_service.settings import NotificationSettings
from shared.auth import Principal, current_principal
from shared.idempotency import IdempotentRoute, idempotent
from shared.ids import utcnow
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1/sms", tags=["sms"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]


def _now(request: Request) -> datetime:
    return getattr(request.app.state, "clock", utcnow)().astimezone(UTC)


async def provider_only(
    request: Request, x_sms_provider_token: Annotated[str | None, Header()] = None
) -> NotificationSettings:
    """The provider's token, checked before the body is read: a caller without it learns nothing (401, not 422)."""
    settings: NotificationSettings = request.app.state.runtime.settings
    access.sms_provider_authenticated(settings, x_sms_provider_token)
    return settings


async def provider_caller(request: Request, session: AsyncSession) -> str:
    """Idempotency keys of the callback are the provider's (checked here too: a key is never claimed first)."""
    await provider_only(request, request.headers.get("x-sms-provider-token"))
    return "sms-provider"


@router.get(
    "/messages",
    response_model=Page[SmsMessageRead],
    summary="The SMS notices of one ticket: kind, status, masked number, times (station staff, district admins)",
)
async def list_sms_messages(
    session: SessionDep,
    principal: Caller,
    page: Annotated[PageParameters, Depends(page_parameters)],
    ticket_id: Annotated[uuid.UUID, Query()],
) -> Page[SmsMessageRead]:
    scope = access.sms_log_scope(principal)
    items, next_cursor = await repository.page_messages(
        session, page, ticket_id=ticket_id, station_ids=scope.station_ids, community_id=scope.community_id
    )
    return Page(items=[SmsMessageRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.post(
    "/inbound",
    response_model=SmsInboundResult,
    summary="The SMS provider forwards a resident's reply (TD/退订/STOP opts the number out)",
    description="Authenticated by the provider's token in `X-SMS-Provider-Token` (NOTIFICATION_SMS_INBOUND_TOKEN), "
    "not by a person's bearer token. The number is kept only as a keyed hash.",
    responses={401: {"description": "The provider's token is missing or wrong"}},
    dependencies=[idempotent(caller=provider_caller)],
)
async def receive_sms_reply(
    data: SmsInboundReply,
    request: Request,
    session: SessionDep,
    settings: Annotated[NotificationSettings, Depends(provider_only)],
) -> SmsInboundResult:
    opted_out = await service.receive_reply(session, settings, data.phone, data.text, _now(request))
    return SmsInboundResult(opted_out=opted_out)
