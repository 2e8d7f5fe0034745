"""Copies kept from another service's events, written many rows per statement.

A run of events (the embedded mode delivers a seeding district's thousands of events in runs) becomes one
`INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE copy is older` per statement shape, executed for all its
rows at once, with exactly the effect of applying the events one by one:

- each row updates only the columns its event carried (rows with different columns go in different
  statements);
- a row older than the copy changes nothing (the `updated_at` guard), so a late event never undoes a newer;
- the same key twice in a run is applied in order: the run is cut before the repeat (PostgreSQL refuses to
  update one row twice in a statement, and the later event must win).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class Upsert:
    """One event's row: `row` is inserted when the key is new (with every column it names); otherwise the
    columns in `changes` (and `updated_at`) are set, if the copy is older than `row["updated_at"]`."""

    row: dict[str, Any]
    changes: tuple[str, ...]


async def upsert_newer(
    session: AsyncSession,
    model: type[Any],
    upserts: Sequence[Upsert],
    *,
    key: str = "id",
    replace_equal: bool = False,
) -> None:
    """Applies the upserts in their order, one statement per shape for each run of distinct keys.
    `model` is the copy's mapped class; `replace_equal`: a row as old as the copy also applies (else only a
    strictly newer one does)."""
    table: sa.Table = model.__table__
    seen: set[Hashable] = set()
    run: list[Upsert] = []
    for upsert in upserts:
        identifier = upsert.row[key]
        if identifier in seen:
            await _write(session, table, run, key, replace_equal)
            seen.clear()
            run = []
        seen.add(identifier)
        run.append(upsert)
    await _write(session, table, run, key, replace_equal)


async def _write(session: AsyncSession, table: sa.Table, run: list[Upsert], key: str, replace_equal: bool) -> None:
    if not run:
        return
    shapes: dict[tuple[tuple[str, ...], tuple[str, ...]], list[dict[str, Any]]] = {}
    for upsert in run:
        shapes.setdefault((tuple(upsert.row), upsert.changes), []).append(upsert.row)
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for (_, changes), rows in shapes.items():
        statement = insert(table)
        guard = (
            table.c.updated_at <= statement.excluded.updated_at
            if replace_equal
            else table.c.updated_at < statement.excluded.updated_at
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c[key]],
                set_={column: statement.excluded[column] for column in (*changes, "updated_at")},
                where=guard,
            ),
            rows,
        )
