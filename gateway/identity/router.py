"""The embedded mode's token issuer: OAuth2 password grant over the seeded demo users.

Switched off in production, where tokens come from the district's OIDC provider.

Two kinds of demo user: the eight named ones in `demo_users.json` (`resident`, `social_worker`, ...), and
every seeded person, whose login names their station or department (`sw-75629278-1`, `dep-0ee81cbf-1`,
`res-75629278-3`; catalog_service/demo/logins.py). The gateway imports no service, so it asks the
catalogue who such a login names through the same upstream it forwards requests to
(`GET /internal/demo-logins/{username}`: in process in the embedded mode, HTTP otherwise; not in the
route table, so unreachable from outside). Every demo password is `demo-<username>`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import bcrypt
from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field

from shared.auth import issue_token
from shared.errors import Problem

DEMO_USERS_FILE = Path(__file__).with_name("demo_users.json")
# The seeded people's logins (catalog_service/demo/logins.py); anything else is not looked up.
SEEDED_LOGIN = re.compile(r"(rc|jr|sw|sec|dep|res)-[0-9a-f]{8}-[0-9]{1,4}")
LOOKUP_TIMEOUT_SECONDS = 5.0

logger = logging.getLogger("gateway.identity")

router = APIRouter(tags=["identity"])


@dataclass(frozen=True)
class DemoUser:
    username: str
    password_hash: bytes
    subject: str
    name: str
    roles: tuple[str, ...]
    scope: dict[str, str]


@cache
def demo_users() -> dict[str, DemoUser]:
    users = json.loads(DEMO_USERS_FILE.read_text(encoding="utf-8"))
    return {
        user["username"]: DemoUser(
            username=user["username"],
            password_hash=user["password_hash"].encode(),
            subject=user["subject"],
            name=user["name"],
            roles=tuple(user["roles"]),
            scope=user.get("scope", {}),
        )
        for user in users
    }


# Compared against when the user is unknown, so both paths cost one bcrypt check (no user enumeration).
_DUMMY_HASH = bcrypt.hashpw(b"unknown-user", bcrypt.gensalt(rounds=10))


async def _seeded_person(request: Request, username: str) -> DemoUser | None:
    """The seeded person a login names, as the catalogue tells (None when it names nobody)."""
    upstream = getattr(request.app.state, "upstreams", {}).get("catalog")
    if upstream is None:
        return None
    try:
        status, found = await upstream.get_json(f"/internal/demo-logins/{username}", LOOKUP_TIMEOUT_SECONDS)
    except Exception as error:  # the catalogue is away: the login cannot be checked
        logger.warning("demo login lookup failed", extra={"error": repr(error)})
        return None
    if status != 200 or not isinstance(found, dict):
        return None
    return DemoUser(
        username=username,
        password_hash=b"",
        subject=str(found["subject"]),
        name=str(found["name"]),
        roles=tuple(found["roles"]),
        scope={str(key): str(value) for key, value in (found.get("scope") or {}).items()},
    )


class TokenRequest(BaseModel):
    """The OAuth2 password grant's form (a named model, so generated clients get a real type)."""

    username: str = Field(max_length=100)
    password: str = Field(max_length=200)
    grant_type: str = Field("password", pattern="^password$")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class InvalidGrant(Problem):
    status, code, title = 400, "invalid_grant", "Invalid grant"


@router.post("/auth/token", response_model=TokenResponse, summary="Get a token (embedded mode's demo users)")
async def token(request: Request, form: Annotated[TokenRequest, Form()]) -> Any:
    username, password = form.username, form.password
    settings = request.app.state.settings
    if not settings.token_issuer_enabled:
        raise Problem("Tokens come from the district's identity provider.", code="issuer_disabled", status=404)
    user = demo_users().get(username)
    hashed = user.password_hash if user else _DUMMY_HASH
    # bcrypt is slow on purpose; off the event loop so other requests keep flowing. A seeded person's
    # password is derived (`demo-<username>`) and compared in constant time, after the same bcrypt
    # round, so neither kind of login answers faster than an unknown one.
    matches = await asyncio.to_thread(bcrypt.checkpw, password.encode(), hashed)
    if user is None and SEEDED_LOGIN.fullmatch(username):
        user = await _seeded_person(request, username)
        matches = user is not None and hmac.compare_digest(password.encode(), f"demo-{username}".encode())
    if not matches or user is None:
        raise InvalidGrant("Unknown user or wrong password.")
    lifetime = timedelta(minutes=settings.token_lifetime_minutes)
    access_token = issue_token(settings, user.subject, user.roles, lifetime=lifetime, name=user.name, **user.scope)
    return TokenResponse(access_token=access_token, expires_in=int(lifetime.total_seconds()))
