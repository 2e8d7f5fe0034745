"""The audit trail: every change to a project, meeting, motion or case, field by field."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service.audit.models import AuditEntry
from shared.context import request_id_var
from shared.pagination import PageParameters, keyset_page

SEED_ACTOR = "seed"


def jsonable(value: Any) -> Any:
    """Audit values are stored as JSON: ids, dates and amounts as strings."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    return str(value)


def record(
    session: AsyncSession,
    *,
    actor_id: str,
    entity_type: str,
    entity_id: uuid.UUID,
    action: str,
    changes: Mapping[str, tuple[Any, Any]],
    at: datetime,
    scope_id: uuid.UUID | None = None,
) -> None:
    """Adds one row per field whose value changed (``changes``: field -> (old, new))."""
    request_id = request_id_var.get()
    for field, (old, new) in changes.items():
        old_json, new_json = jsonable(old), jsonable(new)
        if old_json == new_json:
            continue
        session.add(
            AuditEntry(
                entity_type=entity_type,
                entity_id=entity_id,
                scope_id=scope_id or entity_id,
                action=action,
                field=field,
                old_value=old_json,
                new_value=new_json,
                actor_id=actor_id,
                request_id=request_id,
                changed_at=at,
            )
        )


async def page_entries(
    session: AsyncSession,
    scope_id: uuid.UUID,
    parameters: PageParameters,
    *,
    entity_types: tuple[str, ...] | None = None,
) -> tuple[list[AuditEntry], str | None]:
    query = sa.select(AuditEntry).where(AuditEntry.scope_id == scope_id)
    if entity_types is not None:
        query = query.where(AuditEntry.entity_type.in_(entity_types))
    return await keyset_page(session, query, AuditEntry.id, parameters)
