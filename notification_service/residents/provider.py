"""The SMS provider port and its adapters: a log (the default: nothing leaves) and an HTTP gateway.

A provider answers each message with an outcome: sent (with the provider's message id), a permanent
failure (the gateway refused it: do not try again) or a transient one (try again later). A provider never
logs the phone number or the message's text (a rating code is in it): only the masked number and the kind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import httpx

from notification_service.settings import NotificationSettings
from shared.ids import new_id
from shared.privacy import mask_phone

logger = logging.getLogger("notification.sms")


class Outcome(StrEnum):
    sent = "sent"
    permanent_failure = "permanent_failure"
    transient_failure = "transient_failure"


@dataclass(frozen=True, slots=True)
class SmsRequest:
    phone: str
    kind: str
    text: str
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    provider_message_id: str | None = None
    detail: str | None = None  # why it failed: a status code or an error class, never the request


class SmsProvider(Protocol):
    async def send(self, message: SmsRequest) -> SendResult: ...

    async def aclose(self) -> None: ...


class LogSmsProvider:
    """Sends nothing: logs that a message would have gone out (masked number, kind). For the embedded mode
    and for installations without an SMS contract yet."""

    async def send(self, message: SmsRequest) -> SendResult:
        logger.info("SMS sent (log provider)", extra={"phone": mask_phone(message.phone), "kind": message.kind})
        return SendResult(Outcome.sent, provider_message_id=f"log-{new_id()}")

    async def aclose(self) -> None:
        return None


class HttpSmsProvider:
    """A real SMS gateway over HTTP: POST JSON {phone, sign_name, template, params, text} with a bearer token.

    2xx with a message id: sent. 4xx: refused for good (bad number, template not approved...). 5xx, 429,
    a timeout or a network error: try again later (the worker's backoff).
    """

    def __init__(self, settings: NotificationSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not settings.sms_http_url:
            raise ValueError("sms_http_url is required for the http SMS provider")
        self.url = settings.sms_http_url
        self.sign_name = settings.sms_sign_name
        timeout = httpx.Timeout(settings.sms_timeout_seconds, connect=min(settings.sms_timeout_seconds, 3.0))
        headers = {"Authorization": f"Bearer {settings.sms_http_token}"} if settings.sms_http_token else {}
        self.client = httpx.AsyncClient(timeout=timeout, headers=headers, transport=transport)

    async def send(self, message: SmsRequest) -> SendResult:
        body = {
            "phone": message.phone,
            "sign_name": self.sign_name,
            "template": message.kind,
            "params": message.params,
            "text": message.text,
        }
        try:
            response = await self.client.post(self.url, json=body)
        except httpx.HTTPError as error:
            return SendResult(Outcome.transient_failure, detail=type(error).__name__)
        if 200 <= response.status_code < 300:
            message_id = _message_id(response)
            if message_id is None:
                # Taken but unconfirmed: the gateway's contract promises an id; without it, it may not have sent.
                return SendResult(Outcome.transient_failure, detail="no_message_id")
            return SendResult(Outcome.sent, provider_message_id=message_id)
        if response.status_code == 429 or response.status_code >= 500:
            return SendResult(Outcome.transient_failure, detail=f"http_{response.status_code}")
        return SendResult(Outcome.permanent_failure, detail=f"http_{response.status_code}")

    async def aclose(self) -> None:
        await self.client.aclose()


def _message_id(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    value = body.get("message_id") or body.get("id") or body.get("biz_id")
    return str(value)[:100] if value else None


def provider_for(settings: NotificationSettings) -> SmsProvider:
    if settings.sms_provider == "http":
        return HttpSmsProvider(settings)
    return LogSmsProvider()
