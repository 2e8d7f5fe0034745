"""Every query of the duty rota: a station's patterns, shifts, swaps and the leave of its people."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ticket_service.rota.models import RotaPattern, RotaShift, RotaSwap, StaffLeave

Entry = TypeVar("Entry", bound=RotaPattern | RotaShift | RotaSwap | StaffLeave)


async def patterns_valid_since(session: AsyncSession, station_id: uuid.UUID, since: date) -> list[RotaPattern]:
    """The station's weekly patterns still valid on `since` or later (or without an end)."""
    query = (
        sa.select(RotaPattern)
        .where(
            RotaPattern.station_id == station_id,
            sa.or_(RotaPattern.valid_until.is_(None), RotaPattern.valid_until >= since),
        )
        .order_by(RotaPattern.id)
    )
    return list(await session.scalars(query))


async def shifts_between(
    session: AsyncSession, station_id: uuid.UUID, start: datetime, end: datetime
) -> list[RotaShift]:
    """The station's one-off shifts that end after `start` and start before `end`."""
    query = (
        sa.select(RotaShift)
        .where(RotaShift.station_id == station_id, RotaShift.end_at > start, RotaShift.start_at < end)
        .order_by(RotaShift.start_at, RotaShift.id)
    )
    return list(await session.scalars(query))


async def person_shifts_between(
    session: AsyncSession, station_id: uuid.UUID, person_id: str, start: datetime, end: datetime
) -> list[RotaShift]:
    """One person's shifts at the station that overlap `start`..`end`, however old."""
    query = sa.select(RotaShift).where(
        RotaShift.person_id == person_id,
        RotaShift.station_id == station_id,
        RotaShift.end_at > start,
        RotaShift.start_at < end,
    )
    return list(await session.scalars(query))


async def swaps_between(session: AsyncSession, station_id: uuid.UUID, first: date, last: date) -> list[RotaSwap]:
    query = (
        sa.select(RotaSwap)
        .where(RotaSwap.station_id == station_id, RotaSwap.on_date >= first, RotaSwap.on_date <= last)
        .order_by(RotaSwap.on_date, RotaSwap.id)
    )
    return list(await session.scalars(query))


async def swap_of(
    session: AsyncSession, station_id: uuid.UUID, on_date: date, role: str, from_person_id: str
) -> uuid.UUID | None:
    """The swap already recorded for this person's shift of this role on this day, if any."""
    query = sa.select(RotaSwap.id).where(
        RotaSwap.station_id == station_id,
        RotaSwap.on_date == on_date,
        RotaSwap.role == role,
        RotaSwap.from_person_id == from_person_id,
    )
    return await session.scalar(query)


async def leaves_of(session: AsyncSession, people: Iterable[str], start: datetime, end: datetime) -> list[StaffLeave]:
    """The people's leave that ends after `start` and starts before `end` (at any station)."""
    wanted = sorted(set(people))
    if not wanted:
        return []
    query = sa.select(StaffLeave).where(
        StaffLeave.person_id.in_(wanted), StaffLeave.end_at > start, StaffLeave.start_at < end
    )
    return list(await session.scalars(query.order_by(StaffLeave.start_at, StaffLeave.id)))


async def get_entry(session: AsyncSession, model: type[Entry], entry_id: uuid.UUID) -> Entry | None:
    return await session.get(model, entry_id)


async def add(session: AsyncSession, entry: RotaPattern | RotaShift | RotaSwap | StaffLeave) -> None:
    session.add(entry)
    await session.flush()


async def delete(session: AsyncSession, entry: RotaPattern | RotaShift | RotaSwap | StaffLeave) -> None:
    await session.delete(entry)
