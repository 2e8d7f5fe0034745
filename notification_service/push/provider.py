"""The push-provider port and its adapters: Web Push (VAPID, RFC 8030/8291/8292, with pywebpush) and one
HTTP shape for the Chinese vendors' channels.

A provider answers each push with an outcome: sent; gone (the push service says the device no longer
exists: 404/410, so the device is removed); retry (5xx, 429, a timeout or a network error: the worker
tries again with backoff); failed (refused for good); skipped (this channel is not set up here). A
provider never logs a device's endpoint or token, nor the push's text: only the platform and the outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
import httpx
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid, Vapid01
from py_vapid.utils import b64urlencode
from pywebpush import WebPushException, webpush_async

from notification_service.push.models import PushPlatform
from notification_service.push.rules import payload_bytes
from notification_service.settings import NotificationSettings

logger = logging.getLogger("notification.push")


class PushOutcome(StrEnum):
    sent = "sent"
    gone = "gone"
    retry = "retry"
    failed = "failed"
    skipped = "skipped"


@dataclass(frozen=True, slots=True)
class PushRequest:
    platform: str
    address: str  # the Web Push endpoint, or the vendor's token
    p256dh: str | None
    auth: str | None
    payload: dict[str, Any]
    urgent: bool
    ttl_seconds: int


@dataclass(frozen=True, slots=True)
class PushResult:
    outcome: PushOutcome
    detail: str | None = None  # a status code or an error class, never the request


class PushProvider(Protocol):
    async def send(self, request: PushRequest) -> PushResult: ...

    async def aclose(self) -> None: ...


def _outcome_for_status(status: int) -> PushResult:
    if 200 <= status < 300:
        return PushResult(PushOutcome.sent)
    if status in (404, 410):
        return PushResult(PushOutcome.gone, f"http_{status}")
    if status == 429 or status >= 500:
        return PushResult(PushOutcome.retry, f"http_{status}")
    return PushResult(PushOutcome.failed, f"http_{status}")


def load_vapid(private_key: str) -> Vapid01 | None:
    """The VAPID key from settings: PEM, or base64url (raw 32 bytes or DER); empty: Web Push is off."""
    key = private_key.strip()
    if not key:
        return None
    if "-----BEGIN" in key:
        return Vapid.from_pem(key.encode())
    return Vapid.from_string(key)


def vapid_public_key(vapid: Vapid01) -> str:
    """The application server key a browser subscribes with (base64url, uncompressed point)."""
    point = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    key: str = b64urlencode(point)
    return key


class WebPushProvider:
    """Web Push with VAPID over pywebpush's aiohttp path: the event loop is never blocked. `Urgency: high`
    for urgent items (the push service may wake the device), `normal` otherwise; `TTL` from settings."""

    def __init__(self, settings: NotificationSettings) -> None:
        self.vapid = load_vapid(settings.push_vapid_private_key)
        self.subject = settings.push_vapid_subject
        self.timeout = aiohttp.ClientTimeout(
            total=settings.push_timeout_seconds, connect=min(settings.push_timeout_seconds, 3.0)
        )
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def send(self, request: PushRequest) -> PushResult:
        if self.vapid is None:
            return PushResult(PushOutcome.skipped, "web_push_off")
        origin = urlsplit(request.address)
        # A fresh claims dict each time: pywebpush fills in `aud` and `exp` in place.
        claims: dict[str, str | int] = {"sub": self.subject, "aud": f"{origin.scheme}://{origin.netloc}"}
        try:
            response = await webpush_async(
                subscription_info={
                    "endpoint": request.address,
                    "keys": {"p256dh": request.p256dh or "", "auth": request.auth or ""},
                },
                data=payload_bytes(request.payload).decode(),
                vapid_private_key=self.vapid,
                vapid_claims=claims,
                ttl=request.ttl_seconds,
                headers={"Urgency": "high" if request.urgent else "normal"},
                timeout=self.timeout,
                aiohttp_session=self._client(),
            )
        except WebPushException as error:
            status = error.status_code
            if status is None:
                return PushResult(PushOutcome.retry, "webpush_error")
            return _outcome_for_status(status)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return PushResult(PushOutcome.retry, type(error).__name__[:40])
        except ValueError as error:  # keys that cannot be encrypted to (checked at registration; belt and braces)
            return PushResult(PushOutcome.failed, type(error).__name__[:40])
        status = getattr(response, "status", 201)
        return _outcome_for_status(int(status))

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class VendorHttpProvider:
    """One shape for the vendors' channels: POST JSON {token, title, body, url, urgent, ttl, data} to the
    platform's configured address with its bearer token. Each vendor's own API (OAuth for Huawei/Honor,
    AppSecret for Xiaomi, a signed JWT for APNs ...) sits behind that address, in a relay or an aggregator
    (README "Push"). Tested against a local receiver only, never against the vendors."""

    def __init__(self, settings: NotificationSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.urls = dict(settings.push_vendor_urls)
        self.tokens = dict(settings.push_vendor_tokens)
        timeout = httpx.Timeout(settings.push_timeout_seconds, connect=min(settings.push_timeout_seconds, 3.0))
        self.client = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def send(self, request: PushRequest) -> PushResult:
        url = self.urls.get(request.platform)
        if not url:
            return PushResult(PushOutcome.skipped, "channel_not_configured")
        token = self.tokens.get(request.platform)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {
            "platform": request.platform,
            "token": request.address,
            "title": request.payload.get("title"),
            "body": request.payload.get("body"),
            "url": request.payload.get("url"),
            "urgent": request.urgent,
            "ttl": request.ttl_seconds,
            "data": request.payload,
        }
        try:
            response = await self.client.post(url, json=body, headers=headers)
        except httpx.HTTPError as error:
            return PushResult(PushOutcome.retry, type(error).__name__[:40])
        return _outcome_for_status(response.status_code)

    async def aclose(self) -> None:
        await self.client.aclose()


class ChannelRouter:
    """The provider the worker talks to: Web Push for `web`, the vendor shape for every other platform."""

    def __init__(self, web: PushProvider, vendor: PushProvider) -> None:
        self.web = web
        self.vendor = vendor

    async def send(self, request: PushRequest) -> PushResult:
        provider = self.web if request.platform == PushPlatform.web else self.vendor
        return await provider.send(request)

    async def aclose(self) -> None:
        await self.web.aclose()
        await self.vendor.aclose()


def provider_for(settings: NotificationSettings) -> ChannelRouter:
    return ChannelRouter(WebPushProvider(settings), VendorHttpProvider(settings))
