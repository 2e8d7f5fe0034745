"""Push to workers' devices: use cases (the feed calls `enqueue` for every item it adds), and the sender.

Sending is done in three steps so no transaction is held open over the network: claim due pushes (locked,
SKIP LOCKED on PostgreSQL, and leased by moving their next attempt on), send each one, then record each
outcome in a short transaction of its own (404/410 removes the device, a failure that may pass is tried
again with backoff a bounded number of times).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.push import repository, rules
from notification_service.push.models import PushDevice, PushMessage, PushPlatform, PushStatus
from notification_service.push.preferences import quiet_hours_of
from notification_service.push.provider import PushOutcome, PushProvider, PushRequest, PushResult
from notification_service.push.quiet_hours import release_at
from notification_service.push.schemas import DeviceCreate
from notification_service.settings import NotificationSettings
from notification_service.webhooks.targets import TargetRefused, check_target
from shared.database import Database
from shared.errors import NotFound, Unprocessable
from shared.ids import new_id

logger = logging.getLogger("notification.push")

PUSHES = Counter(
    "doorstep_push_messages_total",
    "Pushes to devices by platform and outcome: sent, retried, failed, gone (device removed), skipped.",
    ["platform", "outcome"],
)
# While one worker sends a claimed push, no other takes it; after this it is due again (a crash).
CLAIM_LEASE = timedelta(minutes=5)


# --- devices ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Registered:
    device: PushDevice
    created: bool


async def register_device(
    session: AsyncSession, person_id: str, data: DeviceCreate, settings: NotificationSettings, now: datetime
) -> Registered:
    """Registers a device for the person; the same endpoint or token again is the same device (idempotent).
    Registered by another person, it moves to them and drops what was queued for its previous owner."""
    if data.platform is PushPlatform.web:
        if data.subscription is None:
            raise Unprocessable("A web device needs its Web Push subscription.", field="subscription", code="required")
        if data.token is not None:
            raise Unprocessable("A web device has a subscription, not a token.", field="token", code="not_allowed")
        rules.check_web_push_keys(data.subscription.keys.p256dh, data.subscription.keys.auth)
        address = data.subscription.endpoint
        await _check_endpoint(address, settings)
        p256dh, auth = data.subscription.keys.p256dh, data.subscription.keys.auth
    else:
        if data.token is None or not data.token.strip():
            raise Unprocessable(f"A {data.platform.value} device needs its token.", field="token", code="required")
        if data.subscription is not None:
            raise Unprocessable("Only web devices have a subscription.", field="subscription", code="not_allowed")
        address, p256dh, auth = data.token.strip(), None, None
    key = rules.address_hash(data.platform.value, address)
    values = {
        "id": new_id(),
        "person_id": person_id,
        "platform": data.platform.value,
        "address": address,
        "address_hash": key,
        "p256dh": p256dh,
        "auth": auth,
        "label": data.label,
        "created_at": now,
        "updated_at": now,
    }
    created = await repository.add_device(session, values)
    device = await repository.device_by_hash(session, key, lock=True)
    assert device is not None
    if not created:
        if device.person_id != person_id:
            await repository.drop_pending_of(session, device.id)
            device.person_id = person_id
            created = True  # new to this person
        # Browsers rotate their keys now and then; the latest registration wins.
        device.p256dh, device.auth = p256dh, auth
        if data.label:
            device.label = data.label
        device.updated_at = now
        await session.flush()
    return Registered(device, created)


async def _check_endpoint(endpoint: str, settings: NotificationSettings) -> None:
    """A Web Push endpoint is an address this service will POST to: the webhooks' SSRF guard applies, and
    outside loopback-allowed set-ups only https (every real push service is)."""
    if not settings.allows_private_targets and not endpoint.startswith("https://"):
        raise Unprocessable(
            "A push service endpoint is an https:// URL.", field="subscription.endpoint", code="push_endpoint_refused"
        )
    try:
        await check_target(endpoint, allow_private=settings.allows_private_targets)
    except TargetRefused as refused:
        raise Unprocessable(refused.detail, field="subscription.endpoint", code="push_endpoint_refused") from refused


async def remove_device(session: AsyncSession, person_id: str, device_id: uuid.UUID) -> None:
    device = await repository.own_device(session, person_id, device_id)
    if device is None:
        # Another person's device is not found either: its existence is not told.
        raise NotFound("You have no device with this id.", code="device_not_found", field="device_id")
    await repository.delete_device(session, device.id)


async def forget_devices_of(session: AsyncSession, person_id: str) -> int:
    """A person who left the directory is pushed nothing more: their devices and queued pushes go."""
    devices = await repository.devices_of(session, person_id)
    for device in devices:
        await repository.delete_device(session, device.id)
    return len(devices)


# --- queueing --------------------------------------------------------------------------------------------


async def enqueue(
    session: AsyncSession,
    *,
    person_id: str,
    feed_item_id: uuid.UUID,
    title: str,
    body: str,
    url: str | None,
    urgent: bool,
    now: datetime,
) -> None:
    """Queues a push of one feed item to each of the person's devices, in the caller's transaction.

    In the person's quiet hours the push waits for their end (the feed item is there at once); an urgent
    one goes at once unless the person chose otherwise."""
    devices = await repository.devices_of(session, person_id)
    if not devices:
        return
    preference = await repository.get_preference(session, person_id)
    due = release_at(
        quiet_hours_of(preference),
        now,
        urgent=urgent,
        urgent_during_quiet_hours=preference.urgent_during_quiet_hours if preference else True,
    )
    rows = [
        {
            "id": new_id(),
            "device_id": device.id,
            "person_id": person_id,
            "feed_item_id": feed_item_id,
            "title": title[: rules.MAX_TITLE],
            "body": body[: rules.MAX_BODY],
            "url": url,
            "urgent": urgent,
            "status": PushStatus.pending.value,
            "attempts": 0,
            "deferred": due > now,
            "next_attempt_at": due,
            "created_at": now,
            "updated_at": now,
        }
        for device in devices
    ]
    await repository.add_messages(session, rows)


# --- sending ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Claimed:
    """What sending needs of a claimed push and its device, read inside the claim's transaction."""

    id: uuid.UUID
    device_id: uuid.UUID
    platform: str
    address: str
    p256dh: str | None
    auth: str | None
    feed_item_id: uuid.UUID
    title: str
    body: str
    url: str | None
    urgent: bool
    attempts: int


@dataclass
class Pusher:
    database: Database
    settings: Callable[[], NotificationSettings]
    provider: PushProvider
    clock: Callable[[], datetime]

    async def run_once(self) -> int:
        """Sends every due push, a batch at a time; returns how many were handled."""
        total = 0
        batch = self.settings().push_batch_size
        for _ in range(10_000):  # bounded: a pass ends even if pushes keep arriving
            now = self.clock()
            claimed = await self._claim(now, batch)
            for push in claimed:
                result = await self._send(push, now)
                await self._record(push, result, self.clock())
            total += len(claimed)
            if len(claimed) < batch:
                break
        return total

    async def _claim(self, now: datetime, limit: int) -> list[Claimed]:
        async with self.database.transaction() as session:
            rows = await repository.claim_due(session, now, limit, skip_locked=not self.database.is_sqlite)
            claimed: list[Claimed] = []
            for row in rows:
                device = await repository.get_device(session, row.device_id)
                if device is None:  # removed meanwhile
                    await session.delete(row)
                    continue
                row.attempts += 1
                row.next_attempt_at = now + CLAIM_LEASE
                row.updated_at = now
                claimed.append(
                    Claimed(
                        row.id,
                        device.id,
                        device.platform,
                        device.address,
                        device.p256dh,
                        device.auth,
                        row.feed_item_id,
                        row.title,
                        row.body,
                        row.url,
                        row.urgent,
                        row.attempts,
                    )
                )
            return claimed

    async def _send(self, push: Claimed, now: datetime) -> PushResult:
        settings = self.settings()
        if push.platform == PushPlatform.web:
            try:  # DNS may have changed since the registration (rebinding)
                await check_target(push.address, allow_private=settings.allows_private_targets)
            except TargetRefused:
                return PushResult(PushOutcome.failed, "endpoint_refused")
        request = PushRequest(
            platform=push.platform,
            address=push.address,
            p256dh=push.p256dh,
            auth=push.auth,
            payload=rules.payload(
                feed_item_id=str(push.feed_item_id),
                title=push.title,
                body=push.body,
                url=push.url,
                urgent=push.urgent,
                sent_at=now.isoformat(),
            ),
            urgent=push.urgent,
            ttl_seconds=settings.push_ttl_seconds,
        )
        try:
            return await self.provider.send(request)
        except Exception as error:  # a provider bug must not stop the pass: retried like a network error
            logger.exception("push provider failed", extra={"push_id": str(push.id), "platform": push.platform})
            return PushResult(PushOutcome.retry, type(error).__name__[:40])

    async def _record(self, push: Claimed, result: PushResult, now: datetime) -> None:
        settings = self.settings()
        async with self.database.transaction() as session:
            message = await repository.get_message(session, push.id)
            if message is None:
                return
            if result.outcome is PushOutcome.gone:
                # The push service says the subscription or token is dead: the device goes, with its queue.
                await repository.delete_device(session, push.device_id)
                outcome = "gone"
            else:
                outcome = record_outcome(message, result, now, settings)
                if outcome == "sent":
                    device = await repository.get_device(session, push.device_id)
                    if device is not None:
                        device.last_success_at = now
        PUSHES.labels(push.platform, outcome).inc()
        if outcome not in ("sent", "skipped"):
            # Ids and reasons only: never the endpoint or token, never the text.
            logger.warning(
                "push not sent",
                extra={"push_id": str(push.id), "platform": push.platform, "outcome": outcome, "reason": result.detail},
            )


def record_outcome(message: PushMessage, result: PushResult, now: datetime, settings: NotificationSettings) -> str:
    """Applies a send's outcome to the push row; returns the counter's outcome label."""
    message.updated_at = now
    message.reason = result.detail[:40] if result.detail else None
    if result.outcome is PushOutcome.sent:
        message.status = PushStatus.sent.value
        message.sent_at = now
        message.next_attempt_at = None
        return "sent"
    if result.outcome is PushOutcome.retry and not rules.gives_up(message.attempts, settings.push_max_attempts):
        message.status = PushStatus.pending.value
        message.next_attempt_at = now + rules.retry_delay(
            message.attempts,
            base_seconds=settings.push_backoff_base_seconds,
            max_seconds=settings.push_backoff_max_seconds,
        )
        return "retried"
    message.next_attempt_at = None
    if result.outcome is PushOutcome.skipped:
        message.status = PushStatus.skipped.value
        return "skipped"
    message.status = PushStatus.failed.value
    if result.outcome is PushOutcome.retry:
        message.reason = f"gave_up:{result.detail}"[:40]
    return "failed"
