"""Every query of the SLA policies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ticket_service.sla_policies.models import SlaPolicyRow
from ticket_service.sla_policies.rules import Budgets


async def all_policies(session: AsyncSession) -> list[SlaPolicyRow]:
    query = sa.select(SlaPolicyRow).order_by(SlaPolicyRow.service_category, SlaPolicyRow.priority)
    return list(await session.scalars(query))


async def get_policy(
    session: AsyncSession, service_category: str, priority: str, *, for_update: bool = False
) -> SlaPolicyRow | None:
    key = (service_category, priority)
    if for_update:
        return await session.get(SlaPolicyRow, key, with_for_update=True, populate_existing=True)
    return await session.get(SlaPolicyRow, key)


async def seed_defaults(session: AsyncSession, defaults: Iterable[tuple[str, str, Budgets]], now: datetime) -> None:
    """Inserts the missing rows and brings rows nobody configured to the settings' values. Replicas may
    run it at once: conflicting inserts are skipped, and an update touches only rows that differ."""
    rows = [
        {
            "service_category": category,
            "priority": priority,
            "accept_minutes": budgets.accept_minutes,
            "resolve_minutes": budgets.resolve_minutes,
            "configured_by": None,
            "updated_at": now,
            "version": 1,
        }
        for category, priority, budgets in defaults
    ]
    if not rows:
        return
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(SlaPolicyRow).values(rows).on_conflict_do_nothing())
    table = cast(sa.Table, SlaPolicyRow.__table__)  # a declarative class's table is typed as a FromClause
    for row in rows:
        await session.execute(
            sa.update(table)
            .where(
                table.c.service_category == row["service_category"],
                table.c.priority == row["priority"],
                table.c.configured_by.is_(None),
                sa.or_(
                    table.c.accept_minutes != row["accept_minutes"],
                    table.c.resolve_minutes != row["resolve_minutes"],
                ),
            )
            .values(
                accept_minutes=row["accept_minutes"],
                resolve_minutes=row["resolve_minutes"],
                updated_at=now,
                version=table.c.version + 1,
            )
        )
