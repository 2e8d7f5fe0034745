"""The embedded mode's token issuer: OAuth2 password grant over the seeded demo users.

Switched off in production, where tokens come from the district's OIDC provider.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import bcrypt
from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from shared.auth import issue_token
from shared.errors import Problem

DEMO_USERS_FILE = Path(__file__).with_name("demo_users.json")

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


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class InvalidGrant(Problem):
    status, code, title = 400, "invalid_grant", "Invalid grant"


@router.post("/auth/token", response_model=TokenResponse, summary="Get a token (embedded mode's demo users)")
async def token(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    grant_type: Annotated[str, Form(pattern="^password$")] = "password",
) -> Any:
    settings = request.app.state.settings
    if not settings.token_issuer_enabled:
        raise Problem("Tokens come from the district's identity provider.", code="issuer_disabled", status=404)
    user = demo_users().get(username)
    hashed = user.password_hash if user else _DUMMY_HASH
    # bcrypt is slow on purpose; off the event loop so other requests keep flowing.
    matches = await asyncio.to_thread(bcrypt.checkpw, password.encode(), hashed)
    if not matches or user is None:
        raise InvalidGrant("Unknown user or wrong password.")
    lifetime = timedelta(minutes=settings.token_lifetime_minutes)
    access_token = issue_token(settings, user.subject, user.roles, lifetime=lifetime, name=user.name, **user.scope)
    return TokenResponse(access_token=access_token, expires_in=int(lifetime.total_seconds()))
