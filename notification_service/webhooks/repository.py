"""Every query of the webhooks domain."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.webhooks.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from shared.database import affected_rows
from shared.pagination import PageParameters, keyset_page


async def subscription_by_id(session: AsyncSession, subscription_id: uuid.UUID) -> WebhookSubscription | None:
    return await session.get(WebhookSubscription, subscription_id)


async def page_subscriptions(
    session: AsyncSession, page: PageParameters, owner_id: str | None
) -> tuple[list[WebhookSubscription], str | None]:
    query = sa.select(WebhookSubscription)
    if owner_id is not None:
        query = query.where(WebhookSubscription.owner_id == owner_id)
    return await keyset_page(session, query, WebhookSubscription.id, page)


async def enabled_subscriptions(session: AsyncSession) -> list[WebhookSubscription]:
    result = await session.execute(sa.select(WebhookSubscription).where(WebhookSubscription.enabled.is_(True)))
    return list(result.scalars())


async def delivery_exists(session: AsyncSession, subscription_id: uuid.UUID, event_id: str) -> bool:
    found = await session.execute(
        sa.select(WebhookDelivery.id).where(
            WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.event_id == event_id
        )
    )
    return found.first() is not None


async def claim_due(
    session: AsyncSession, now: datetime, limit: int, lease_until: datetime, *, skip_locked: bool
) -> list[tuple[WebhookDelivery, WebhookSubscription]]:
    """Due pending deliveries of enabled subscriptions, leased until `lease_until` (other replicas skip them)."""
    query = (
        sa.select(WebhookDelivery)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status == WebhookDeliveryStatus.pending.value,
            WebhookDelivery.next_attempt_at <= now,
            WebhookSubscription.enabled.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    deliveries = list((await session.execute(query)).scalars())
    claimed = []
    for delivery in deliveries:
        delivery.next_attempt_at = lease_until
        subscription = await session.get(WebhookSubscription, delivery.subscription_id)
        assert subscription is not None  # foreign key
        claimed.append((delivery, subscription))
    return claimed


async def record_try(
    session: AsyncSession,
    delivery_id: uuid.UUID,
    lease_until: datetime,
    now: datetime,
    *,
    status_code: int | None,
    latency_ms: int | None,
    error: str | None,
    status: str,
    next_attempt_at: datetime | None,
    first_attempted_at: datetime,
) -> bool:
    """One try of a leased delivery. Its outcome (`status`, `next_attempt_at`, ...) is written only while the
    row still holds the sender's lease: pending, due at `lease_until`. A replay asked for meanwhile (or a
    replica that took the row once the lease ran out, or the subscription's end) has moved it, and keeps it:
    then only the try is counted. One conditional UPDATE, so on PostgreSQL a replay committing while this
    waits for the row is seen (the condition is checked again on the newest row). True when it was held."""
    tried = {
        "attempts": WebhookDelivery.attempts + 1,
        "last_attempted_at": now,
        "last_status_code": status_code,
        "last_latency_ms": latency_ms,
        "last_error": error,
    }
    held = await session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == WebhookDeliveryStatus.pending.value,
            WebhookDelivery.next_attempt_at == lease_until,
        )
        .values(
            **tried,
            status=status,
            next_attempt_at=next_attempt_at,
            first_attempted_at=first_attempted_at,
            finished_at=None if status == WebhookDeliveryStatus.pending.value else now,
        )
        .execution_options(synchronize_session=False)
    )
    if affected_rows(held):
        return True
    await session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(**tried)
        .execution_options(synchronize_session=False)
    )
    return False


async def delivery_by_id(
    session: AsyncSession, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != subscription_id:
        return None
    return delivery


async def page_deliveries(
    session: AsyncSession, subscription_id: uuid.UUID, page: PageParameters, status: str | None
) -> tuple[list[WebhookDelivery], str | None]:
    query = sa.select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return await keyset_page(session, query, WebhookDelivery.id, page)


async def requeue_range(
    session: AsyncSession, subscription_id: uuid.UUID, start: datetime, end: datetime, now: datetime
) -> int:
    """Every delivery of events in [start, end) queued to be sent again, from its first try."""
    result = await session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription_id,
            WebhookDelivery.event_time >= start,
            WebhookDelivery.event_time < end,
        )
        .values(
            status=WebhookDeliveryStatus.pending.value,
            next_attempt_at=now,
            first_attempted_at=None,
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result)


async def end_pending(session: AsyncSession, subscription_id: uuid.UUID, status: str, now: datetime) -> None:
    """A subscription that is gone or disabled: its waiting deliveries end with it."""
    await session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription_id,
            WebhookDelivery.status == WebhookDeliveryStatus.pending.value,
        )
        .values(status=status, next_attempt_at=None, finished_at=now)
        .execution_options(synchronize_session=False)
    )


async def delete_subscription(session: AsyncSession, subscription: WebhookSubscription) -> None:
    # Deliveries first: SQLite enforces the cascade only with its foreign keys pragma on.
    await session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id))
    await session.delete(subscription)


# Bookkeeping on a subscription written by the delivery workers: plain UPDATEs, so replicas recording
# outcomes for one subscription at once (and an owner editing it) never collide on its version.


async def mark_success(session: AsyncSession, subscription_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        sa.update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id)
        .values(last_success_at=now, failing_since=None)
        .execution_options(synchronize_session=False)
    )


async def mark_failing(session: AsyncSession, subscription_id: uuid.UUID, now: datetime) -> datetime | None:
    """Starts the failure clock unless it runs already; returns when it started."""
    await session.execute(
        sa.update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id, WebhookSubscription.failing_since.is_(None))
        .values(failing_since=now)
        .execution_options(synchronize_session=False)
    )
    found = await session.execute(
        sa.select(WebhookSubscription.failing_since).where(WebhookSubscription.id == subscription_id)
    )
    return found.scalar_one_or_none()


async def stop_subscription(session: AsyncSession, subscription_id: uuid.UUID, reason: str, now: datetime) -> bool:
    """Disables an enabled subscription; False when it was not enabled (another replica stopped it first)."""
    result = await session.execute(
        sa.update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id, WebhookSubscription.enabled.is_(True))
        .values(
            enabled=False,
            disabled_at=now,
            disabled_reason=reason[:300],
            updated_at=now,
            version=WebhookSubscription.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(affected_rows(result))
