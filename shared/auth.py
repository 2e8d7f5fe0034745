"""Bearer-token authentication and role checks.

Production verifies RS256 tokens against the district OIDC provider's JWKS; the embedded mode and tests
verify HS256 tokens from the built-in issuer. Either way a request becomes a `Principal`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

import httpx
import jwt
from cachetools import TLRUCache
from fastapi import Depends, Request

from shared.errors import Forbidden, Unauthorized
from shared.ids import utcnow
from shared.metrics import JWKS_FETCH_FAILURES
from shared.settings import CommonSettings


class Role(StrEnum):
    resident = "resident"
    receptionist = "receptionist"
    social_worker = "social_worker"
    secretary = "secretary"
    department = "department"
    subdistrict_admin = "subdistrict_admin"
    district_admin = "district_admin"
    integration_client = "integration_client"
    # A service acting for the system, never a person: the notification service reading the contact it
    # must send a resident's SMS to (each read recorded) and asking for the resident's rating link.
    notifier = "notifier"


STATION_STAFF = frozenset({Role.receptionist, Role.social_worker, Role.secretary})


@dataclass(frozen=True)
class Principal:
    """Who is calling, in which roles, and over which part of the district."""

    user_id: str
    roles: frozenset[str]
    name: str | None = None
    station_id: str | None = None
    community_id: str | None = None
    subdistrict_id: str | None = None
    department_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_district_admin(self) -> bool:
        return Role.district_admin in self.roles

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        roles = claims.get("roles") or []
        if isinstance(roles, str):
            roles = roles.split()
        return cls(
            user_id=str(claims["sub"]),
            roles=frozenset(str(role) for role in roles),
            name=claims.get("name"),
            station_id=claims.get("station_id"),
            community_id=claims.get("community_id"),
            subdistrict_id=claims.get("subdistrict_id"),
            department_id=claims.get("department_id"),
            claims=claims,
        )


def claim_id(value: str | None) -> uuid.UUID | None:
    """A scope claim of the token (`station_id`, `community_id`, `subdistrict_id`, `department_id`) as an
    id. A missing or malformed claim is None: it scopes to nothing, so a query filtered by it matches no
    row, and the request is never failed by it."""
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def overseen_subdistrict(principal: Principal) -> uuid.UUID | None:
    """The area an administrator oversees, for the district-wide figures every service shows them: a
    district admin the whole district (None), a subdistrict admin their subdistrict (a token without a
    readable one: 403 `out_of_scope`); any other role 403 `role_required`."""
    if principal.is_district_admin:
        return None
    if principal.has_role(Role.subdistrict_admin):
        own = claim_id(principal.subdistrict_id)
        if own is None:
            raise Forbidden("No subdistrict in the caller's scope.", code="out_of_scope")
        return own
    raise Forbidden("The district overview is for district and subdistrict admins.", code="role_required")


VERIFIED_TOKENS_KEPT = 10_000
# How long a verified token is trusted without a new signature check, at most (never past its `exp`).
VERIFIED_TOKEN_SECONDS = 300.0

logger = logging.getLogger("shared.auth")


class JwksKeys:
    """The district OIDC provider's signing keys by key id, fetched from its JWKS URL.

    Never on the event loop: the async path uses an async HTTP client, with a timeout. A token naming a
    key id not in hand triggers a fetch, but at most one per `cooldown_seconds` (a stream of made-up key
    ids must not make the gateway hammer the provider), and concurrent requests share one fetch. Requests
    that need no fetch (known keys, HS256, /livez) never wait for one.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float,
        cooldown_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        service: str = "service",
    ) -> None:
        self.url = url
        self.service = service  # the process verifying tokens: the label of its fetch failures
        self.timeout_seconds = timeout_seconds
        self.cooldown_seconds = cooldown_seconds
        self.clock = clock
        self.fetches = 0
        self._keys: dict[str | None, Any] = {}
        self._fetched_at = -math.inf
        self._fetch: asyncio.Task[None] | None = None

    def _lookup(self, key_id: str | None) -> Any:
        if key_id is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(key_id)

    def _may_fetch(self) -> bool:
        return self.clock() - self._fetched_at >= self.cooldown_seconds

    def _store(self, document: Any) -> None:
        keys: dict[str | None, Any] = {}
        for jwk in jwt.PyJWKSet.from_dict(document).keys:
            if jwk.public_key_use in (None, "sig"):
                keys[jwk.key_id] = jwk.key
        self._keys = keys

    async def key(self, key_id: str | None) -> Any:
        key = self._lookup(key_id)
        if key is None and self._may_fetch():
            await self._refresh()
            key = self._lookup(key_id)
        if key is None:
            raise Unauthorized("The token's signing key is not one of the issuer's keys.", code="invalid_token")
        return key

    async def _refresh(self) -> None:
        loop = asyncio.get_running_loop()
        if self._fetch is None or self._fetch.done() or self._fetch.get_loop() is not loop:
            self._fetched_at = self.clock()  # from the start: the unknown ids arriving meanwhile wait for this one
            self._fetch = loop.create_task(self._download())
        await asyncio.shield(self._fetch)

    async def _download(self) -> None:
        self.fetches += 1
        try:
            async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
                response = await client.get(self.url)
                response.raise_for_status()
                self._store(response.json())
        except Exception as error:  # unreachable, slow or malformed: the known keys stay in use
            self._failed(error)

    def _failed(self, error: Exception) -> None:
        JWKS_FETCH_FAILURES.labels(self.service).inc()
        logger.warning("JWKS fetch failed", extra={"url": self.url, "error": repr(error)})

    def key_blocking(self, key_id: str | None) -> Any:
        """The same for synchronous callers outside the event loop (scripts, worker threads)."""
        key = self._lookup(key_id)
        if key is None and self._may_fetch():
            self._fetched_at = self.clock()
            self.fetches += 1
            try:
                response = httpx.get(self.url, timeout=self.timeout_seconds)
                response.raise_for_status()
                self._store(response.json())
            except Exception as error:
                self._failed(error)
            key = self._lookup(key_id)
        if key is None:
            raise Unauthorized("The token's signing key is not one of the issuer's keys.", code="invalid_token")
        return key


def _expiry(claims: dict[str, Any]) -> float:
    expires = claims.get("exp")
    return float(expires) if isinstance(expires, int | float) and not isinstance(expires, bool) else -math.inf


class TokenVerifier:
    def __init__(
        self,
        settings: CommonSettings,
        *,
        kept: int = VERIFIED_TOKENS_KEPT,
        kept_seconds: float = VERIFIED_TOKEN_SECONDS,
        clock: Callable[[], float] = time.time,
        leeway_seconds: float = 30,
    ) -> None:
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self._secret = settings.jwt_secret
        self.leeway_seconds = leeway_seconds  # clock skew forgiven between the issuer and us
        self.jwks = (
            JwksKeys(
                settings.jwt_jwks_url,
                timeout_seconds=settings.jwt_jwks_timeout_seconds,
                cooldown_seconds=settings.jwt_jwks_cooldown_seconds,
                service=settings.service_name,
            )
            if settings.jwt_jwks_url
            else None
        )
        # Verified tokens, least recently used evicted past `kept`; each entry lives `kept_seconds` at most
        # and never past the token's own `exp` (the clock is wall time, like `exp`). cachetools' caches are
        # not thread-safe and `verify` runs in worker threads too, hence the lock.
        self._verified: TLRUCache[str, Principal] = TLRUCache(
            maxsize=kept,
            ttu=lambda _token, principal, now: min(now + kept_seconds, _expiry(principal.claims)),
            timer=clock,
        )
        self._verified_lock = threading.Lock()

    def _remembered(self, token: str) -> Principal | None:
        with self._verified_lock:
            return self._verified.get(token)

    def _remember(self, token: str, principal: Principal) -> Principal:
        with self._verified_lock:
            self._verified[token] = principal  # an already expired entry is not stored
        return principal

    async def verify_async(self, token: str) -> Principal:
        """The token's principal; a verified token is remembered until it expires (a signature check per
        request is waste: the gateway and a service see the same token on every call of a session). A
        JWKS fetch, when one is needed, is awaited, never run on the loop."""
        principal = self._remembered(token)
        if principal is not None:
            return principal
        key = await self.jwks.key(_key_id(token)) if self.jwks is not None else None
        return self._remember(token, self._decode(token, key))

    def verify(self, token: str) -> Principal:
        """The same for synchronous callers; may block on a JWKS fetch (use `verify_async` on the loop)."""
        principal = self._remembered(token)
        if principal is not None:
            return principal
        key = self.jwks.key_blocking(_key_id(token)) if self.jwks is not None else None
        return self._remember(token, self._decode(token, key))

    def _decode(self, token: str, key: Any) -> Principal:
        if self.jwks is not None:
            algorithms = ["RS256"]
        else:
            key, algorithms = self._secret, ["HS256"]
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,  # a fixed list: `alg: none` and algorithm swaps are refused
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
                leeway=self.leeway_seconds,
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized("The token has expired.", code="token_expired") from error
        except jwt.InvalidTokenError as error:
            raise Unauthorized(f"The token is not valid: {error}", code="invalid_token") from error
        return Principal.from_claims(claims)


def _key_id(token: str) -> str | None:
    try:
        key_id = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError as error:
        raise Unauthorized(f"The token is not valid: {error}", code="invalid_token") from error
    return key_id if isinstance(key_id, str) else None


def issue_token(
    settings: CommonSettings,
    subject: str,
    roles: Iterable[str],
    *,
    lifetime: timedelta = timedelta(hours=8),
    **claims: Any,
) -> str:
    """HS256 tokens for the embedded mode's built-in issuer and for tests."""
    now = utcnow()
    payload = {
        "sub": subject,
        "roles": sorted(roles),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        **{key: value for key, value in claims.items() if value is not None},
    }
    return jwt.encode(payload, settings.jwt_secret, algorithm="HS256")


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Use the Bearer scheme.", code="invalid_authorization_header")
    return token.strip()


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier


def principal_of(request: Request) -> Principal | None:
    """The caller named by the request's bearer token, or None without one. Synchronous: with JWKS it may
    block on a key fetch, so request handlers use `optional_principal` (or `await principal_async`)."""
    token = bearer_token(request)
    if token is None:
        return None
    return _verifier(request).verify(token)


async def principal_async(request: Request) -> Principal | None:
    token = bearer_token(request)
    if token is None:
        return None
    return await _verifier(request).verify_async(token)


async def optional_principal(request: Request) -> Principal | None:
    # Async so FastAPI does not hop to a worker thread per request; a JWKS fetch is awaited, not blocking.
    return await principal_async(request)


async def current_principal(principal: Principal | None = Depends(optional_principal)) -> Principal:
    if principal is None:
        raise Unauthorized("A bearer token is required.", code="token_missing")
    return principal


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits only callers holding one of `roles`."""

    async def check(principal: Principal = Depends(current_principal)) -> Principal:
        if not principal.has_role(*roles):
            raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.", code="role_required")
        return principal

    return check
