"""Bearer-token authentication and role checks.

Production verifies RS256 tokens against the district OIDC provider's JWKS; the embedded mode and tests
verify HS256 tokens from the built-in issuer. Either way a request becomes a `Principal`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

import jwt
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from shared.errors import Forbidden, Unauthorized
from shared.ids import utcnow
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


VERIFIED_TOKENS_KEPT = 10_000


class TokenVerifier:
    def __init__(self, settings: CommonSettings) -> None:
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self._secret = settings.jwt_secret
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True) if settings.jwt_jwks_url else None
        self.may_block = self._jwks is not None
        self._verified: OrderedDict[str, Principal] = OrderedDict()

    def verify(self, token: str) -> Principal:
        """The token's principal; a verified token is remembered until it expires (a signature check per
        request is waste: the gateway and a service see the same token on every call of a session)."""
        principal = self._verified.get(token)
        if principal is not None and principal.claims.get("exp", 0) > time.time():
            return principal
        principal = self._verify(token)
        self._verified[token] = principal
        while len(self._verified) > VERIFIED_TOKENS_KEPT:
            try:
                self._verified.popitem(last=False)
            except KeyError:  # emptied by another thread (JWKS verification runs in a worker thread)
                break
        return principal

    def _verify(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ["RS256"]
            else:
                key, algorithms = self._secret, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,  # a fixed list: `alg: none` and algorithm swaps are refused
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized("The token has expired.", code="token_expired") from error
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as error:
            raise Unauthorized(f"The token is not valid: {error}", code="invalid_token") from error
        return Principal.from_claims(claims)


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
    return request.app.state.token_verifier


def principal_of(request: Request) -> Principal | None:
    """The caller named by the request's bearer token, or None without one (may fetch JWKS keys: blocking)."""
    token = bearer_token(request)
    if token is None:
        return None
    return _verifier(request).verify(token)


async def optional_principal(request: Request) -> Principal | None:
    # Async so FastAPI does not hop to a worker thread per request; only a JWKS key fetch may block.
    verifier = _verifier(request)
    if verifier.may_block:
        return await run_in_threadpool(principal_of, request)
    return principal_of(request)


async def current_principal(principal: Principal | None = Depends(optional_principal)) -> Principal:
    if principal is None:
        raise Unauthorized("A bearer token is required.", code="token_missing")
    return principal


def require_roles(*roles: str) -> Callable[..., Principal]:
    """A dependency that admits only callers holding one of `roles`."""

    async def check(principal: Principal = Depends(current_principal)) -> Principal:
        if not principal.has_role(*roles):
            raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.", code="role_required")
        return principal

    return check
