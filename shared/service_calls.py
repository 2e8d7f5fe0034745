"""A service calling another service's HTTP API as itself (never on behalf of a person).

The caller holds a bearer token for one role (e.g. `notifier`):
- production: obtained from the district OIDC provider by OAuth2 client credentials (RFC 6749 §4.4) at
  `service_token_url` with `service_client_id`/`service_client_secret`;
- the embedded and distributed modes: signed by the service itself with the built-in HS256 issuer
  (`shared.auth.issue_token`), which every service there verifies.

Either way the token is kept until shortly before it expires; a 401 answer drops it and the call is tried
once more with a fresh one. Every call has timeouts. In the embedded mode the launcher hands the service an
in-process transport to the gateway, so the same URLs reach the other services without a network.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable
from datetime import timedelta

import httpx

from shared.auth import issue_token
from shared.settings import CommonSettings, Mode

logger = logging.getLogger("shared.service_calls")

# A token is renewed this long before it expires: a call never leaves with a token about to lapse.
RENEW_BEFORE_SECONDS = 60.0
SELF_SIGNED_LIFETIME = timedelta(minutes=15)


class ServiceCallError(RuntimeError):
    """The token could not be obtained (the OIDC provider refused or could not be reached)."""


class _BearerAuth(httpx.Auth):
    def __init__(self, caller: ServiceCaller) -> None:
        self.caller = caller

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {await self.caller.token()}"
        response = yield request
        if response.status_code == 401:
            # Revoked, or the provider's keys rolled: one more try with a new token, never a loop.
            self.caller.forget_token()
            request.headers["Authorization"] = f"Bearer {await self.caller.token()}"
            yield request


class ServiceCaller:
    """Bearer-authenticated HTTP calls to other services, as `role`, with a cached token."""

    def __init__(
        self,
        settings: CommonSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        role: str = "notifier",
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.role = role
        self.timeout = httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 3.0))
        self.clock = clock
        self.uses_oidc = bool(settings.service_token_url)
        if settings.mode is Mode.production and not self.uses_oidc:
            # Production verifies RS256 tokens from the OIDC provider only: a self-signed one would be refused.
            raise ValueError("service_token_url (and client id and secret) are required in production")
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None
        self.tokens_obtained = 0

    @property
    def subject(self) -> str:
        return f"service:{self.settings.service_name}"

    def forget_token(self) -> None:
        self._token = None
        self._expires_at = 0.0

    async def token(self) -> str:
        if self._token is not None and self.clock() < self._expires_at - RENEW_BEFORE_SECONDS:
            return self._token
        async with self._lock:  # concurrent calls share one fetch
            if self._token is None or self.clock() >= self._expires_at - RENEW_BEFORE_SECONDS:
                self._token, lifetime = await (self._client_credentials() if self.uses_oidc else self._self_signed())
                self._expires_at = self.clock() + lifetime
                self.tokens_obtained += 1
            return self._token

    async def _self_signed(self) -> tuple[str, float]:
        token = issue_token(self.settings, self.subject, [self.role], lifetime=SELF_SIGNED_LIFETIME)
        return token, SELF_SIGNED_LIFETIME.total_seconds()

    async def _client_credentials(self) -> tuple[str, float]:
        settings = self.settings
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    settings.service_token_url,
                    data={"grant_type": "client_credentials"},
                    auth=(settings.service_client_id, settings.service_client_secret),
                    headers={"Accept": "application/json"},
                )
        except httpx.HTTPError as error:
            raise ServiceCallError(f"token endpoint unreachable: {error!r}") from error
        if response.status_code != 200:
            raise ServiceCallError(f"token endpoint answered {response.status_code}")
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in") or 300)
        except (ValueError, KeyError, TypeError) as error:
            raise ServiceCallError("token endpoint answered without an access_token") from error
        return token, max(lifetime, RENEW_BEFORE_SECONDS + 1)

    def client(self) -> httpx.AsyncClient:
        """One client for the caller's lifetime (pooled connections), authenticated, with timeouts."""
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(transport=self.transport, timeout=self.timeout, auth=_BearerAuth(self))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
