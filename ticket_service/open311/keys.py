"""Integration clients' API keys: random, shown once, stored as SHA-256 (they are not passwords:
high-entropy keys need no slow hash, and a lookup by hash keeps every POST fast)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from ticket_service.open311 import repository
from ticket_service.open311.models import ApiKey

PREFIX = "o311_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


async def find_active(session: AsyncSession, key: str) -> ApiKey | None:
    if not key or len(key) > 200:
        return None
    return await repository.active_key(session, hash_key(key))
