"""Use cases for webhook subscriptions and their deliveries. They never commit: the caller's transaction does."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import access
from notification_service.events import WEBHOOK_DISABLED, outbox
from notification_service.settings import NotificationSettings
from notification_service.webhooks import catalogue, repository
from notification_service.webhooks.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from notification_service.webhooks.projection import Audience, in_scope, project
from notification_service.webhooks.schemas import WebhookCreate, WebhookUpdate
from notification_service.webhooks.signing import new_secret
from notification_service.webhooks.targets import TargetRefused, check_target
from shared.auth import Principal
from shared.conditional import Precondition
from shared.errors import Conflict, NotFound, Unprocessable
from shared.events import EventEnvelope

MAX_REPLAY_RANGE = timedelta(days=7)
CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"
# Set in session.info when a transaction wrote deliveries (or queued a replay): see workers.DeliveryLoop.
WAKE_KEY = "webhook_deliveries_written"


@dataclass(frozen=True, slots=True)
class Created:
    subscription: WebhookSubscription
    secret: str


async def _checked_url(url: str, settings: NotificationSettings) -> str:
    try:
        await check_target(url, allow_private=settings.allows_private_targets)
    except TargetRefused as refused:
        raise Unprocessable(refused.detail, field="url", code="webhook_target_refused", reason=refused.reason) from None
    return url


def _checked_types(patterns: list[str]) -> list[str]:
    try:
        return catalogue.check_patterns(patterns)
    except catalogue.PatternError as error:
        raise Unprocessable(
            f"Event type {error.pattern!r}: {error.reason}.", field="event_types", code="webhook_event_type_unknown"
        ) from None


def _subdistricts(values: list[uuid.UUID] | None) -> list[str] | None:
    return sorted({str(value) for value in values}) if values else None


async def create(
    session: AsyncSession, principal: Principal, data: WebhookCreate, now: datetime, settings: NotificationSettings
) -> Created:
    audience = access.webhook_audience(principal)
    subscription = WebhookSubscription(
        owner_id=principal.user_id,
        owner_kind=audience,
        url=await _checked_url(data.url, settings),
        event_types=_checked_types(data.event_types),
        subdistrict_ids=access.webhook_scope(principal, _subdistricts(data.subdistrict_ids)),
        description=data.description,
        enabled=data.enabled,
        secret=new_secret(),
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    await session.flush()
    return Created(subscription, subscription.secret)


async def visible(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> WebhookSubscription:
    access.webhook_audience(principal)
    subscription = await repository.subscription_by_id(session, subscription_id)
    if subscription is None or not access.may_see_webhook(principal, subscription.owner_id):
        raise NotFound("No such webhook subscription.", code="webhook_not_found")
    return subscription


async def update(
    session: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    data: WebhookUpdate,
    precondition: Precondition | None,
    now: datetime,
    settings: NotificationSettings,
) -> WebhookSubscription:
    subscription = await visible(session, principal, subscription_id)
    if precondition is not None:
        precondition.require(subscription.version)
    given = data.model_fields_set
    if "url" in given and data.url is not None:
        subscription.url = await _checked_url(data.url, settings)
    if "event_types" in given and data.event_types is not None:
        subscription.event_types = _checked_types(data.event_types)
    if "subdistrict_ids" in given:
        subscription.subdistrict_ids = access.webhook_scope(principal, _subdistricts(data.subdistrict_ids))
    if "description" in given and data.description is not None:
        subscription.description = data.description
    if "enabled" in given and data.enabled is not None and data.enabled != subscription.enabled:
        subscription.enabled = data.enabled
        if data.enabled:  # a fresh start: the failure clock and the reason of the last disabling go
            subscription.failing_since = None
            subscription.disabled_at = None
            subscription.disabled_reason = None
        else:
            subscription.disabled_at = now
            subscription.disabled_reason = f"disabled by {principal.user_id}"
    subscription.updated_at = now
    await session.flush()
    return subscription


async def delete(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, precondition: Precondition | None
) -> None:
    subscription = await visible(session, principal, subscription_id)
    if precondition is not None:
        precondition.require(subscription.version)
    await repository.delete_subscription(session, subscription)


async def rotate_secret(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, now: datetime
) -> WebhookSubscription:
    subscription = await visible(session, principal, subscription_id)
    subscription.secret = new_secret()
    subscription.secret_rotated_at = now
    subscription.updated_at = now
    await session.flush()
    return subscription


# --- deliveries ---------------------------------------------------------------------------------------------


def cloudevent_body(event: EventEnvelope, data: dict[str, Any]) -> str:
    """The structured-mode CloudEvent sent to the receiver (application/cloudevents+json)."""
    body: dict[str, Any] = {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "time": event.time.isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }
    if event.subject is not None:
        body["subject"] = event.subject
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


async def record_event(session: AsyncSession, event: EventEnvelope, now: datetime) -> int:
    """One pending delivery per enabled subscription that wants this event, in the event's own transaction."""
    if event.type not in catalogue.SUBSCRIBABLE:
        return 0
    written = 0
    for subscription in await repository.enabled_subscriptions(session):
        if not catalogue.wants(subscription.event_types, event.type):
            continue
        if not in_scope(subscription.subdistrict_ids, event.data):
            continue
        data = project(event.type, event.data, Audience(subscription.owner_kind))
        if data is None or await repository.delivery_exists(session, subscription.id, event.id):
            continue
        session.add(
            WebhookDelivery(
                subscription_id=subscription.id,
                event_id=event.id,
                event_type=event.type,
                event_time=event.time,
                body=cloudevent_body(event, data),
                status=WebhookDeliveryStatus.pending.value,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        written += 1
    if written:
        session.info[WAKE_KEY] = True  # the delivery loop of this replica looks at once after the commit
    return written


async def replay_one(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, delivery_id: uuid.UUID, now: datetime
) -> WebhookDelivery:
    subscription = await visible(session, principal, subscription_id)
    delivery = await repository.delivery_by_id(session, subscription.id, delivery_id)
    if delivery is None:
        raise NotFound("No such delivery of this subscription.", code="webhook_delivery_not_found")
    delivery.status = WebhookDeliveryStatus.pending.value
    delivery.next_attempt_at = now
    delivery.first_attempted_at = None  # a replay gets a whole retry window of its own
    delivery.finished_at = None
    await session.flush()
    return delivery


async def replay_range(
    session: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    start: datetime,
    end: datetime,
    now: datetime,
) -> int:
    subscription = await visible(session, principal, subscription_id)
    if start.tzinfo is None or end.tzinfo is None:
        raise Unprocessable("Give times with their offset.", field="from", code="webhook_replay_range")
    if end <= start:
        raise Unprocessable("`to` comes after `from`.", field="to", code="webhook_replay_range")
    if end - start > MAX_REPLAY_RANGE:
        raise Unprocessable("Replay at most 7 days at once.", field="to", code="webhook_replay_range")
    if not subscription.enabled:
        raise Conflict("Enable the subscription before replaying to it.", code="webhook_disabled")
    return await repository.requeue_range(session, subscription.id, start, end, now)


async def disable(
    session: AsyncSession, subscription: WebhookSubscription, reason: str, code: str, now: datetime, ending: str
) -> bool:
    """Stops a subscription for a reason the receiver gave (410) or its long failure, and tells its owner,
    once: a replica that finds it stopped already does nothing. False then."""
    if not await repository.stop_subscription(session, subscription.id, reason, now):
        return False
    await repository.end_pending(session, subscription.id, ending, now)
    await outbox.add(
        session,
        WEBHOOK_DISABLED,
        {
            "subscription_id": str(subscription.id),
            "owner_id": subscription.owner_id,
            "owner_kind": subscription.owner_kind,
            "url": subscription.url,
            "reason": code,
            "detail": reason,
            "disabled_at": now.isoformat(),
        },
        subject=str(subscription.id),
    )
    return True
