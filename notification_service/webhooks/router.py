"""HTTP for webhook subscriptions: integration clients their own, district administrators all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from notification_service import access
from notification_service.settings import NotificationSettings
from notification_service.webhooks import repository, service
from notification_service.webhooks.catalogue import SUBSCRIBABLE
from notification_service.webhooks.models import WebhookDeliveryStatus
from notification_service.webhooks.schemas import (
    WebhookCreate,
    WebhookCreated,
    WebhookDeliveryRead,
    WebhookEventType,
    WebhookRead,
    WebhookReplayRange,
    WebhookReplayResult,
    WebhookSecret,
    WebhookUpdate,
)
from shared.auth import Principal, current_principal
from shared.conditional import IfMatch, declare_version
from shared.idempotency import Idempotent, IdempotentRoute
from shared.ids import utcnow
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep

# Creation and rotation answer with a secret shown once: they take no Idempotency-Key, as a stored answer
# would keep the secret a second time for a day (as the Open311 API keys). The replays take one.
router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]
Paging = Annotated[PageParameters, Depends(page_parameters)]


async def current_time(request: Request) -> datetime:
    """The service's clock: `app.state.clock` when a test sets one."""
    return getattr(request.app.state, "clock", utcnow)().astimezone(UTC)


Now = Annotated[datetime, Depends(current_time)]


def settings_of(request: Request) -> NotificationSettings:
    settings: NotificationSettings = request.app.state.runtime.settings
    return settings


Settings = Annotated[NotificationSettings, Depends(settings_of)]


@router.get(
    "/event-types",
    response_model=list[WebhookEventType],
    summary="The event types a webhook may subscribe to",
)
async def list_webhook_event_types(principal: Caller) -> list[WebhookEventType]:
    access.webhook_audience(principal)
    return [WebhookEventType(type=event_type, description=text) for event_type, text in SUBSCRIBABLE.items()]


@router.post(
    "",
    response_model=WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe a district system to events (the signing secret is shown only in this answer)",
    description=(
        "Targets on loopback, link-local, private and other non-public addresses are refused (422 "
        "`webhook_target_refused` naming `url`) unless the deployment allows them. Deliveries are "
        "CloudEvents 1.0 (structured JSON) signed per Standard Webhooks with the returned `whsec_` secret."
    ),
)
async def create_webhook(
    data: WebhookCreate, session: SessionDep, principal: Caller, now: Now, settings: Settings
) -> WebhookCreated:
    created = await service.create(session, principal, data, now, settings)
    declare_version(created.subscription.version)
    return WebhookCreated.model_validate(created.subscription)


@router.get("", response_model=Page[WebhookRead], summary="Webhook subscriptions: your own (all for district admins)")
async def list_webhooks(session: SessionDep, principal: Caller, page: Paging) -> Page[WebhookRead]:
    items, next_cursor = await repository.page_subscriptions(session, page, access.webhook_owner_filter(principal))
    return Page(items=[WebhookRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get("/{webhook_id}", response_model=WebhookRead, summary="One webhook subscription (never its secret)")
async def get_webhook(webhook_id: uuid.UUID, session: SessionDep, principal: Caller) -> WebhookRead:
    subscription = await service.visible(session, principal, webhook_id)
    declare_version(subscription.version)
    return WebhookRead.model_validate(subscription)


@router.patch(
    "/{webhook_id}",
    response_model=WebhookRead,
    summary="Change a subscription: URL, event types, subdistricts, description; enable or disable it",
)
async def update_webhook(
    webhook_id: uuid.UUID,
    data: WebhookUpdate,
    session: SessionDep,
    principal: Caller,
    now: Now,
    settings: Settings,
    precondition: IfMatch,
) -> WebhookRead:
    subscription = await service.update(session, principal, webhook_id, data, precondition, now, settings)
    declare_version(subscription.version)
    return WebhookRead.model_validate(subscription)


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a subscription and its delivery log",
)
async def delete_webhook(
    webhook_id: uuid.UUID, session: SessionDep, principal: Caller, precondition: IfMatch
) -> Response:
    await service.delete(session, principal, webhook_id, precondition)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{webhook_id}/secret",
    response_model=WebhookSecret,
    summary="Rotate the signing secret (the new one is shown only in this answer; the old one stops at once)",
)
async def rotate_webhook_secret(
    webhook_id: uuid.UUID, session: SessionDep, principal: Caller, now: Now
) -> WebhookSecret:
    subscription = await service.rotate_secret(session, principal, webhook_id, now)
    assert subscription.secret_rotated_at is not None
    return WebhookSecret(
        id=subscription.id, secret=subscription.secret, secret_rotated_at=subscription.secret_rotated_at
    )


@router.get(
    "/{webhook_id}/deliveries",
    response_model=Page[WebhookDeliveryRead],
    summary="The delivery log: each event's status, tries, last answer code and latency, next try",
)
async def list_webhook_deliveries(
    webhook_id: uuid.UUID,
    session: SessionDep,
    principal: Caller,
    page: Paging,
    delivery_status: Annotated[WebhookDeliveryStatus | None, Query(alias="status")] = None,
) -> Page[WebhookDeliveryRead]:
    subscription = await service.visible(session, principal, webhook_id)
    items, next_cursor = await repository.page_deliveries(
        session, subscription.id, page, delivery_status.value if delivery_status else None
    )
    return Page(items=[WebhookDeliveryRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/replay",
    response_model=WebhookDeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send one delivery again (same event id, so receivers that deduplicate take it once)",
    dependencies=[Idempotent],
)
async def replay_webhook_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, session: SessionDep, principal: Caller, now: Now
) -> WebhookDeliveryRead:
    delivery = await service.replay_one(session, principal, webhook_id, delivery_id, now)
    return WebhookDeliveryRead.model_validate(delivery)


@router.post(
    "/{webhook_id}/replay",
    response_model=WebhookReplayResult,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send again every delivery of events in a time range (at most 7 days)",
    dependencies=[Idempotent],
)
async def replay_webhook(
    webhook_id: uuid.UUID, data: WebhookReplayRange, session: SessionDep, principal: Caller, now: Now
) -> WebhookReplayResult:
    queued = await service.replay_range(session, principal, webhook_id, data.from_, data.to, now)
    return WebhookReplayResult(queued=queued)
