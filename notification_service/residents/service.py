"""Use cases of residents' SMS notices: sending what is due, the provider's inbound replies, the log.

Sending is done in three steps so no transaction is held open over the network: claim due messages
(locked, SKIP LOCKED on PostgreSQL, and leased by moving their next attempt on), deliver each one (read the
contact from the ticket service, check opt-outs, ask for a rating link, hand it to the provider), then
record each outcome in a short transaction of its own.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.push.preferences import sms_allowed
from notification_service.residents import notices, repository
from notification_service.residents.models import SmsMessage
from notification_service.residents.notices import MessageStatus, NoticeKind
from notification_service.residents.provider import Outcome, SendResult, SmsProvider, SmsRequest
from notification_service.settings import NotificationSettings
from shared.database import Database
from shared.privacy import mask_phone
from shared.service_calls import ServiceCaller, ServiceCallError

logger = logging.getLogger("notification.sms")

SMS_MESSAGES = Counter(
    "doorstep_sms_messages_total",
    "Residents' SMS notices by kind and outcome: sent, failed, retried, or skipped_<reason>.",
    ["kind", "outcome"],
)
# While one worker delivers a claimed message, no other takes it; after this it is due again (a crash).
CLAIM_LEASE = timedelta(minutes=5)


@dataclass(slots=True)
class Claimed:
    """What delivery needs of a claimed message, read inside the claim's transaction."""

    id: uuid.UUID
    ticket_id: uuid.UUID
    station_id: uuid.UUID | None
    resident_id: str | None
    kind: str
    params: dict[str, Any]
    attempts: int


@dataclass(slots=True)
class Delivery:
    status: MessageStatus
    reason: str | None = None
    phone_masked: str | None = None
    provider_message_id: str | None = None
    transient: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Retry(Exception):
    """A step failed in a way that may pass (a service down, a timeout): try the message again later."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Sender:
    database: Database
    settings: NotificationSettings
    caller: ServiceCaller
    provider: SmsProvider
    clock: Callable[[], datetime]

    async def run_once(self) -> int:
        """Sends every due message, a batch at a time; returns how many were handled."""
        total = 0
        while True:
            now = self.clock()
            claimed = await self._claim(now)
            for message in claimed:
                await self._record(message, await self._deliver(message, now), now)
            total += len(claimed)
            if len(claimed) < self.settings.sms_batch_size:
                return total

    async def _claim(self, now: datetime) -> list[Claimed]:
        async with self.database.transaction() as session:
            rows = await repository.claim_due(
                session, now, self.settings.sms_batch_size, skip_locked=not self.database.is_sqlite
            )
            for row in rows:
                row.attempts += 1
                row.next_attempt_at = now + CLAIM_LEASE
                row.updated_at = now
            return [
                Claimed(
                    row.id, row.ticket_id, row.station_id, row.resident_id, row.kind, dict(row.params), row.attempts
                )
                for row in rows
            ]

    async def _deliver(self, message: Claimed, now: datetime) -> Delivery:
        phone_masked: str | None = None
        try:
            if message.resident_id is not None:
                async with self.database.sessionmaker() as session:
                    if not await sms_allowed(session, message.resident_id):
                        raise Skip("sms_turned_off")
            phone = await self._contact_phone(message.ticket_id)
            phone_masked = mask_phone(phone)[:40]
            key = notices.phone_key(self.settings.sms_phone_key, phone)
            async with self.database.sessionmaker() as session:
                if key is None or await repository.is_opted_out(session, key):
                    raise Skip("opted_out" if key else "no_contact")
            params = await self._params(message, now)
        except Skip as skip:
            return Delivery(MessageStatus.skipped, skip.reason, phone_masked)
        except Retry as retry:
            return Delivery(MessageStatus.pending, retry.reason, phone_masked, transient=True)
        request = SmsRequest(
            phone=phone,
            kind=message.kind,
            text=notices.render(message.kind, params),
            params=notices.template_params(message.kind, params),
        )
        result: SendResult = await self.provider.send(request)
        if result.outcome is Outcome.sent:
            return Delivery(MessageStatus.sent, None, phone_masked, result.provider_message_id)
        if result.outcome is Outcome.permanent_failure:
            return Delivery(MessageStatus.failed, result.detail or "provider_refused", phone_masked)
        return Delivery(MessageStatus.pending, result.detail or "provider_unavailable", phone_masked, transient=True)

    async def _contact_phone(self, ticket_id: uuid.UUID) -> str:
        url = f"{self.settings.ticket_url.rstrip('/')}/api/v1/tickets/{ticket_id}/contact"
        body = await self._call("GET", url)
        if body is None:
            raise Skip("no_contact")  # the ticket is gone
        phone = body.get("resident_phone")
        if not phone or body.get("personal_data_removed_at"):
            raise Skip("no_contact")
        return str(phone)

    async def _params(self, message: Claimed, now: datetime) -> dict[str, Any]:
        params = dict(message.params)
        if message.kind == NoticeKind.ticket_accepted:
            station = None
            if message.station_id is not None:
                async with self.database.sessionmaker() as session:
                    station = await repository.get_station(session, message.station_id)
            calendar = notices.station_calendar(
                station.opening_hours if station else None, station.time_zone if station else None
            )
            params["opening"] = notices.opening_phrase(calendar, now)
        elif message.kind == NoticeKind.rating_link:
            url = (
                f"{self.settings.evaluation_url.rstrip('/')}/api/v1/evaluations/invitations/"
                f"{params.get('invitation_id')}/token"
            )
            link = await self._call("POST", url, gone=(404, 409, 410))
            if link is None:
                raise Skip("link_unavailable")  # rated already, expired, or gone
            params["url"] = link["url"]
            expires_at = _when(link.get("expires_at"))
            params["valid_until"] = notices.valid_until(expires_at) if expires_at else ""
        elif message.kind == NoticeKind.rating_code:
            expires_at = _when(params.get("expires_at"))
            if expires_at is not None and expires_at <= now:
                raise Skip("code_expired")
        return params

    async def _call(self, method: str, url: str, *, gone: tuple[int, ...] = (404,)) -> dict[str, Any] | None:
        """A JSON answer; None when the resource is gone; Retry when the call may succeed later."""
        try:
            response = await self.caller.client().request(method, url)
        except (httpx.HTTPError, ServiceCallError) as error:
            raise Retry(f"call_failed:{type(error).__name__}"[:40]) from error
        if response.status_code in gone:
            return None
        if response.status_code >= 300:
            # 401/403 too: a refused service token is a configuration fault that will be mended; retry.
            raise Retry(f"call_http_{response.status_code}")
        try:
            body = response.json()
        except ValueError as error:
            raise Retry("call_bad_answer") from error
        if not isinstance(body, dict):
            raise Retry("call_bad_answer")
        return body

    async def _record(self, claimed: Claimed, delivery: Delivery, now: datetime) -> None:
        async with self.database.transaction() as session:
            message = await repository.get_message(session, claimed.id)
            if message is None:
                return
            outcome = record_delivery(message, delivery, now)
        SMS_MESSAGES.labels(claimed.kind, outcome).inc()
        if outcome not in ("sent",) and not outcome.startswith("skipped"):
            # Ids and reasons only: never the number, never the text (a code may be in it).
            logger.warning(
                "SMS not sent",
                extra={
                    "message_id": str(claimed.id),
                    "kind": claimed.kind,
                    "outcome": outcome,
                    "reason": delivery.reason,
                },
            )


def record_delivery(message: SmsMessage, delivery: Delivery, now: datetime) -> str:
    """Applies a delivery's outcome to the message; returns the counter's outcome label."""
    message.updated_at = now
    if delivery.phone_masked:
        message.phone_masked = delivery.phone_masked
    message.reason = delivery.reason
    if delivery.transient and not notices.gives_up(message.attempts):
        message.status = MessageStatus.pending.value
        message.next_attempt_at = now + notices.retry_delay(message.attempts)
        return "retried"
    message.next_attempt_at = None
    message.params = notices.without_secrets(message.kind, message.params)
    if delivery.transient:
        message.status = MessageStatus.failed.value
        message.reason = f"gave_up:{delivery.reason}"[:40]
        return "failed"
    message.status = delivery.status.value
    if delivery.status is MessageStatus.sent:
        message.sent_at = now
        message.provider_message_id = delivery.provider_message_id
        return "sent"
    if delivery.status is MessageStatus.skipped:
        return f"skipped_{delivery.reason}"
    return "failed"


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


# --- the provider's inbound replies -----------------------------------------------------------------------


async def receive_reply(
    session: AsyncSession, settings: NotificationSettings, phone: str, text: str, now: datetime
) -> bool:
    """Stores an opt-out when the reply is one ("TD", "退订", "STOP"); True when it was."""
    keyword = notices.opt_out_keyword(text)
    key = notices.phone_key(settings.sms_phone_key, phone)
    if keyword is None or key is None:
        return False
    await repository.add_opt_out(session, key, keyword, now)
    logger.info("SMS opt-out stored", extra={"phone": mask_phone(phone), "keyword": keyword})
    return True
