"""Reading other services' events tolerantly: required fields are checked, optional ones may be missing.

Publishers are extended over time; an event that lacks an optional field (or carries one we cannot read)
still counts. Only a missing or unreadable *required* field makes the message a permanent failure.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from shared.events import PermanentFailure


def required_uuid(data: dict[str, Any], key: str) -> uuid.UUID:
    value = data.get(key)
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError) as error:
        raise PermanentFailure(f"{key} is missing or not a UUID: {value!r}") from error


def optional_uuid(data: dict[str, Any], key: str) -> uuid.UUID | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def optional_str(data: dict[str, Any], key: str, max_length: int) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text[:max_length] or None


def optional_bool(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    return value if isinstance(value, bool) else None


def optional_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def optional_datetime(data: dict[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def optional_str_list(data: dict[str, Any], key: str, max_length: int = 64) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [str(item)[:max_length] for item in value if isinstance(item, (str, uuid.UUID)) and str(item)]
