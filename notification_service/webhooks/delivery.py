"""Sending due deliveries: take a batch (leased, so replicas share the work), POST each signed CloudEvent,
then record every outcome.

2xx: delivered. 410 Gone: the receiver wants no more; the subscription stops and its owner is told.
Anything else (another status, a timeout, a refused connection, a target that now resolves to a private
address): tried again after an exponential backoff with full jitter, until the retry window is over,
then failed. A subscription whose every delivery has failed for `webhook_disable_after_days` is disabled
and its owner told. Redirects are not followed: a receiver that moved says so by its new URL.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.settings import NotificationSettings
from notification_service.webhooks import repository, retries, service
from notification_service.webhooks.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from notification_service.webhooks.service import CLOUDEVENTS_CONTENT_TYPE
from notification_service.webhooks.signing import signed_headers
from notification_service.webhooks.targets import TargetRefused, check_target
from shared.database import Database
from shared.ids import utcnow

logger = logging.getLogger("notification.webhooks")

WEBHOOK_DELIVERY_ATTEMPTS = Counter(
    "doorstep_webhook_delivery_attempts_total",
    "Webhook delivery attempts by outcome: delivered, gone (410), retry, failed (given up), refused (SSRF).",
    ["outcome"],
)
WEBHOOK_DELIVERY_LATENCY = Histogram(
    "doorstep_webhook_delivery_seconds",
    "Time a receiver took to answer a webhook delivery.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
WEBHOOK_SUBSCRIPTIONS_DISABLED = Counter(
    "doorstep_webhook_subscriptions_disabled_total", "Subscriptions stopped by the system, by reason.", ["reason"]
)
LEASE_MARGIN_SECONDS = 30.0
ERROR_LENGTH = 300


@dataclass(frozen=True, slots=True)
class Job:
    delivery_id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: str
    url: str
    secret: str
    body: str


@dataclass(frozen=True, slots=True)
class Answer:
    job: Job
    status_code: int | None
    error: str | None
    latency_ms: int | None


class Deliverer:
    def __init__(
        self,
        database: Database,
        settings: Callable[[], NotificationSettings],
        clock: Callable[[], datetime],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self.transport = transport

    async def run_once(self) -> int:
        """One batch: how many deliveries were tried."""
        settings = self.settings()
        now = self.clock()
        lease = now + timedelta(
            seconds=settings.webhook_connect_timeout_seconds
            + settings.webhook_read_timeout_seconds
            + LEASE_MARGIN_SECONDS
        )
        async with self.database.transaction() as session:
            claimed = await repository.claim_due(
                session, now, settings.webhook_batch_size, lease, skip_locked=not self.database.is_sqlite
            )
            jobs = [
                Job(
                    delivery.id,
                    subscription.id,
                    delivery.event_id,
                    subscription.url,
                    subscription.secret,
                    delivery.body,
                )
                for delivery, subscription in claimed
            ]
        if not jobs:
            return 0
        limit = asyncio.Semaphore(settings.webhook_concurrency)
        timeout = httpx.Timeout(
            settings.webhook_read_timeout_seconds,
            connect=settings.webhook_connect_timeout_seconds,
        )
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, transport=self.transport) as client:

            async def send(job: Job) -> Answer:
                async with limit:
                    return await self._send(client, job, settings)

            answers = await asyncio.gather(*(send(job) for job in jobs))
        async with self.database.transaction() as session:
            for answer in answers:
                delivery = await session.get(WebhookDelivery, answer.job.delivery_id)
                subscription = await session.get(WebhookSubscription, answer.job.subscription_id)
                if delivery is None or subscription is None:
                    continue  # deleted meanwhile: nothing to record
                await record(session, delivery, subscription, answer, self.clock(), settings, lease_until=lease)
        return len(jobs)

    async def _send(self, client: httpx.AsyncClient, job: Job, settings: NotificationSettings) -> Answer:
        try:
            # Again at every delivery: the name may resolve elsewhere than when the subscription was made.
            await check_target(job.url, allow_private=settings.allows_private_targets)
        except TargetRefused as refused:
            return Answer(job, None, f"target refused: {refused.detail}"[:ERROR_LENGTH], None)
        # Signed with the wall clock: the receiver checks the timestamp against its own (replay window).
        headers = {
            "content-type": CLOUDEVENTS_CONTENT_TYPE,
            "user-agent": "doorstep-webhooks/1",
            **signed_headers(job.secret, job.event_id, utcnow(), job.body),
        }
        started = time.monotonic()
        try:
            response = await client.post(job.url, content=job.body.encode(), headers=headers)
        except httpx.HTTPError as error:
            return Answer(job, None, f"{type(error).__name__}: {error}"[:ERROR_LENGTH], None)
        elapsed = time.monotonic() - started
        WEBHOOK_DELIVERY_LATENCY.observe(elapsed)
        return Answer(job, response.status_code, None, round(elapsed * 1000))


async def record(
    session: AsyncSession,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    answer: Answer,
    now: datetime,
    settings: NotificationSettings,
    *,
    lease_until: datetime,
) -> bool:
    """The outcome of one try, written only while the row still holds this sender's lease (`lease_until`).
    A delivery queued again while it was being sent (a replay) keeps its new turn: the try is counted, and
    the replay still goes out. `delivery` is the row as read before the write, not changed here. Returns
    whether the outcome was written."""
    code = answer.status_code
    attempts = delivery.attempts + 1
    first_attempted_at = delivery.first_attempted_at or now
    following: datetime | None = None
    if code is not None and 200 <= code < 300:
        outcome = "delivered"
    elif code == 410:
        outcome = "gone"
    else:
        following = retries.next_attempt(
            first_attempted_at,
            now,
            attempts,
            base=settings.webhook_backoff_base_seconds,
            cap=settings.webhook_backoff_max_seconds,
            retry_hours=settings.webhook_retry_hours,
        )
        refused = code is None and (answer.error or "").startswith("target refused")
        outcome = "failed" if following is None else "refused" if refused else "retry"
    status = {
        "delivered": WebhookDeliveryStatus.delivered.value,
        "gone": WebhookDeliveryStatus.gone.value,
        "failed": WebhookDeliveryStatus.failed.value,
    }.get(outcome, WebhookDeliveryStatus.pending.value)
    held = await repository.record_try(
        session,
        delivery.id,
        lease_until,
        now,
        status_code=code,
        latency_ms=answer.latency_ms,
        error=answer.error,
        status=status,
        next_attempt_at=following,
        first_attempted_at=first_attempted_at,
    )
    if outcome == "delivered":
        await repository.mark_success(session, subscription.id, now)  # the receiver took it, lease or not
    if not held:
        return False
    WEBHOOK_DELIVERY_ATTEMPTS.labels(outcome).inc()
    if outcome == "delivered":
        return True
    if outcome == "gone":
        stopped = await service.disable(
            session,
            subscription,
            f"The receiver answered 410 Gone to event {delivery.event_id}: it asked for no more deliveries.",
            "gone",
            now,
            WebhookDeliveryStatus.gone.value,
        )
        if stopped:
            WEBHOOK_SUBSCRIPTIONS_DISABLED.labels("gone").inc()
            logger.info("webhook unsubscribed by 410", extra={"subscription_id": str(subscription.id)})
        return True
    failing_since = await repository.mark_failing(session, subscription.id, now)
    if failing_since is not None and retries.should_disable(
        failing_since, now, disable_after_days=settings.webhook_disable_after_days
    ):
        stopped = await service.disable(
            session,
            subscription,
            f"Every delivery failed since {failing_since.isoformat()} (last: {answer.error or f'HTTP {code}'}).",
            "failing",
            now,
            WebhookDeliveryStatus.failed.value,
        )
        if stopped:
            WEBHOOK_SUBSCRIPTIONS_DISABLED.labels("failing").inc()
            logger.warning("webhook disabled after failing", extra={"subscription_id": str(subscription.id)})
    return True
