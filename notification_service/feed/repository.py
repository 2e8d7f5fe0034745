"""Every query of the feed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.feed.drafts import Audience
from notification_service.feed.models import FeedCursor, FeedItem, FeedStaff
from shared.database import affected_rows
from shared.pagination import PageParameters, keyset_page
from shared.upserts import Upsert, upsert_newer

SORT = "-sequence"


def _is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def next_sequence(session: AsyncSession, person_id: str) -> int:
    """The person's next item number. The upsert locks the person's cursor row until commit, so two
    transactions adding items for one person commit one after the other, in number order."""
    insert = postgresql_insert if _is_postgresql(session) else sqlite_insert
    statement = (
        insert(FeedCursor)
        .values(person_id=person_id, last_sequence=1)
        .on_conflict_do_update(
            index_elements=[FeedCursor.person_id], set_={"last_sequence": FeedCursor.last_sequence + 1}
        )
        .returning(FeedCursor.last_sequence)
    )
    return int((await session.execute(statement)).scalar_one())


async def has_item(session: AsyncSession, event_id: str, person_id: str, change: str | None) -> bool:
    """Whether the person already has an item of this event, or of the same change (drafts.FeedDraft.change)."""
    same = FeedItem.event_id == event_id
    if change is not None:
        same = sa.or_(same, FeedItem.change == change)
    found = await session.execute(sa.select(FeedItem.id).where(FeedItem.person_id == person_id, same).limit(1))
    return found.first() is not None


async def audience_people(session: AsyncSession, audience: Audience) -> list[str]:
    """The people an audience names: the named ones, then the active staff of its department or station."""
    people = list(dict.fromkeys(audience.person_ids))
    clauses = []
    if audience.department_id is not None:
        clauses.append(FeedStaff.department_id == audience.department_id)
    if audience.station_id is not None:
        station = FeedStaff.station_id == audience.station_id
        if audience.station_roles:
            station = sa.and_(station, FeedStaff.role.in_(sorted(audience.station_roles)))
        clauses.append(station)
    if clauses:
        found = await session.execute(
            sa.select(FeedStaff.id).where(FeedStaff.active.is_(True), sa.or_(*clauses)).order_by(FeedStaff.id)
        )
        people += [person for person in found.scalars() if person not in people]
    return people


class StaffRow(TypedDict):
    id: str
    role: str
    station_id: str | None
    department_id: str | None
    active: bool
    updated_at: datetime


async def keep_staff(session: AsyncSession, members: list[StaffRow]) -> None:
    """Keeps the copies of staff members, many per statement, in order; an event older than the one kept
    changes nothing (one as old replaces it)."""
    columns = ("role", "station_id", "department_id", "active")
    await upsert_newer(session, FeedStaff, [Upsert(dict(member), columns) for member in members], replace_equal=True)


def _own(person_id: str) -> sa.Select[FeedItem]:
    return sa.select(FeedItem).where(FeedItem.person_id == person_id)


async def page_items(
    session: AsyncSession, person_id: str, page: PageParameters, *, unread_only: bool
) -> tuple[list[FeedItem], str | None]:
    query = _own(person_id)
    if unread_only:
        query = query.where(FeedItem.read_at.is_(None))
    return await keyset_page(session, query, FeedItem.id, page, order=[(FeedItem.sequence, True)], sort=SORT)


async def unread_count(session: AsyncSession, person_id: str) -> int:
    counted = await session.execute(
        sa.select(sa.func.count())
        .select_from(FeedItem)
        .where(FeedItem.person_id == person_id, FeedItem.read_at.is_(None))
    )
    return int(counted.scalar_one())


async def own_item(session: AsyncSession, person_id: str, item_id: uuid.UUID) -> FeedItem | None:
    found = await session.execute(_own(person_id).where(FeedItem.id == item_id))
    return found.scalar_one_or_none()


async def mark_read_up_to(session: AsyncSession, person_id: str, sequence: int | None, at: datetime) -> int:
    """Marks the person's unread items read, up to `sequence` (None: all of them). Returns how many."""
    statement = sa.update(FeedItem).where(FeedItem.person_id == person_id, FeedItem.read_at.is_(None))
    if sequence is not None:
        statement = statement.where(FeedItem.sequence <= sequence)
    result = await session.execute(statement.values(read_at=at).execution_options(synchronize_session=False))
    return affected_rows(result)


async def items_after(session: AsyncSession, person_id: str, sequence: int, limit: int) -> Sequence[FeedItem]:
    """The person's items numbered above `sequence`, oldest first (what a stream has not sent yet)."""
    found = await session.execute(
        _own(person_id).where(FeedItem.sequence > sequence).order_by(FeedItem.sequence).limit(limit)
    )
    return found.scalars().all()


async def last_sequence(session: AsyncSession, person_id: str) -> int:
    found = await session.execute(sa.select(FeedCursor.last_sequence).where(FeedCursor.person_id == person_id))
    return int(found.scalar_one_or_none() or 0)


async def announce(session: AsyncSession, channel: str, person_ids: Sequence[str]) -> None:
    """PostgreSQL NOTIFY for each person, delivered to every listening replica when this transaction commits
    (and never if it rolls back)."""
    for person_id in person_ids:
        await session.execute(sa.select(sa.func.pg_notify(channel, person_id)))
