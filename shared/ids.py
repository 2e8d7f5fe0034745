"""Time-ordered identifiers and UTC time, used for every key and timestamp."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    """A UUIDv7: time-ordered, so primary-key indexes stay append-mostly."""
    return uuid7()


def utcnow() -> datetime:
    return datetime.now(UTC)


_STABLE_NAMESPACE = uuid.UUID("6f1d8a52-0b7e-4c1e-9a55-3c2b1f0d9e77")


def stable_id(*parts: str) -> uuid.UUID:
    """The same id for the same names on every run (demo data, imports that must be idempotent)."""
    return uuid.uuid5(_STABLE_NAMESPACE, "/".join(parts))
