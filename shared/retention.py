"""Retention passes: what outlived its retention period is anonymised in batches, in the service's
lifespan and from a one-off command. No domain: a service says what one batch does (which rows are due,
what is removed from them), the kernel runs the batches and reports.

A service gives `Anonymiser` its batch function: `batch(session, now, retention_days, size, *,
skip_locked)` anonymises at most `size` rows due at `now` and returns how many it did. Rows are taken
with `FOR UPDATE SKIP LOCKED` where the database has it, so replicas share the work; each row is
anonymised once (the service marks it), so passes are idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from shared.database import Database
from shared.ids import utcnow
from shared.periodic import BatchedPass
from shared.settings import ServiceSettings

DEFAULT_BATCH_SIZE = 200
DEFAULT_RETENTION_DAYS = 365


class AnonymiseBatch(Protocol):
    def __call__(
        self, session: AsyncSession, now: datetime, retention_days: int, size: int, /, *, skip_locked: bool
    ) -> Awaitable[int]: ...


class Anonymiser(BatchedPass):
    """Anonymises everything past the retention period, in batches; `run_once(now)` says how many."""

    def __init__(
        self,
        database: Database,
        batch: AnonymiseBatch,
        retention_days: int,
        clock: Callable[[], datetime],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        skip_locked = not database.is_sqlite
        self.retention_days = retention_days

        async def one_batch(session: AsyncSession, moment: datetime, size: int) -> int:
            return await batch(session, moment, retention_days, size, skip_locked=skip_locked)

        super().__init__(
            database, one_batch, clock, batch_size=batch_size, done="personal data removed after the retention period"
        )


def retention_days_of(settings: ServiceSettings) -> int:
    """The service's retention period (`<SERVICE>_PERSONAL_DATA_RETENTION_DAYS`), a year by default."""
    days: int = getattr(settings, "personal_data_retention_days", DEFAULT_RETENTION_DAYS)
    return days


def anonymise_command(
    anonymiser: Callable[[Database, ServiceSettings], Anonymiser], counted: str
) -> Callable[[Database, ServiceSettings], Awaitable[None]]:
    """`python -m <service> anonymise`: one pass now (the wall clock), then a JSON line saying how many,
    as `{counted: n, "retention_days": days}`."""

    async def command(database: Database, settings: ServiceSettings) -> None:
        pass_ = anonymiser(database, settings)
        count = await pass_.run_once(utcnow())
        print(json.dumps({counted: count, "retention_days": pass_.retention_days}))

    return command
