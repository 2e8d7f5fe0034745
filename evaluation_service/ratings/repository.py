from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from evaluation_service.directory.models import DepartmentCopy
from evaluation_service.invitations.models import Invitation
from evaluation_service.ratings.models import Appeal, FollowUp, Rating
from evaluation_service.ratings.routing import DepartmentChoice
from evaluation_service.tickets.models import ClosedTicket
from shared.database import affected_rows
from shared.pagination import PageParameters, keyset_page


async def invitation_by_hash(session: AsyncSession, token_hash: str, *, fresh: bool = False) -> Invitation | None:
    query = sa.select(Invitation).where(Invitation.token_hash == token_hash)
    if fresh:
        query = query.execution_options(populate_existing=True)
    return await session.scalar(query)


async def invitation_by_id(
    session: AsyncSession, invitation_id: uuid.UUID, *, fresh: bool = False
) -> Invitation | None:
    query = sa.select(Invitation).where(Invitation.id == invitation_id)
    if fresh:
        query = query.execution_options(populate_existing=True)
    return await session.scalar(query)


async def redeem(
    session: AsyncSession, invitation_id: uuid.UUID, now: datetime, *, token_hash: str | None = None
) -> bool:
    """Marks the invitation used if it is neither used nor expired (and, given ``token_hash``, that token is
    still its current one), in one statement: of two concurrent redemptions exactly one changes the row (the
    other waits for the row lock, then sees it used)."""
    conditions = [Invitation.id == invitation_id, Invitation.redeemed_at.is_(None), Invitation.expires_at > now]
    if token_hash is not None:
        conditions.append(Invitation.token_hash == token_hash)
    result = await session.execute(
        sa.update(Invitation).where(*conditions).values(redeemed_at=now).execution_options(synchronize_session=False)
    )
    return affected_rows(result) == 1


async def spend_code_try(session: AsyncSession, invitation_id: uuid.UUID, code_hash: str, max_attempts: int) -> bool:
    """Counts one try of the resident's code, if that code is still the current one and tries are left."""
    result = await session.execute(
        sa.update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.resident_code_hash == code_hash,
            Invitation.resident_code_attempts < max_attempts,
        )
        .values(resident_code_attempts=Invitation.resident_code_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result) == 1


async def resident_names(session: AsyncSession, ticket_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """The names to mask in each ticket's free text (the ticket service's, as `ticket.closed` carried them)."""
    wanted = set(ticket_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        sa.select(ClosedTicket.ticket_id, ClosedTicket.resident_names).where(ClosedTicket.ticket_id.in_(wanted))
    )
    return {ticket_id: list(names or ()) for ticket_id, names in rows.all()}


async def departments_in(session: AsyncSession, subdistrict_id: uuid.UUID) -> list[DepartmentChoice]:
    rows = await session.scalars(sa.select(DepartmentCopy).where(DepartmentCopy.subdistrict_id == subdistrict_id))
    return [DepartmentChoice(d.id, d.kind, d.subdistrict_id, tuple(d.service_categories or ())) for d in rows.all()]


def _with_details(query: sa.Select[Rating]) -> sa.Select[Rating]:
    return query.options(selectinload(Rating.follow_ups), selectinload(Rating.appeal))


async def get_rating(session: AsyncSession, rating_id: uuid.UUID) -> Rating | None:
    return await session.scalar(_with_details(sa.select(Rating).where(Rating.id == rating_id)))


async def rating_for_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> Rating | None:
    return await session.scalar(sa.select(Rating).where(Rating.ticket_id == ticket_id))


_HAS_FOLLOW_UP = sa.exists().where(FollowUp.rating_id == Rating.id)


async def page_inbox(
    session: AsyncSession,
    parameters: PageParameters,
    *,
    subdistrict_id: uuid.UUID | None,
    department_id: uuid.UUID | None,
    station_id: uuid.UUID | None,
    social_worker_id: str | None,
    follow_up: str | None,
) -> tuple[list[Rating], str | None]:
    query = _with_details(sa.select(Rating))
    if subdistrict_id is not None:
        query = query.where(Rating.subdistrict_id == subdistrict_id)
    if department_id is not None:
        query = query.where(Rating.department_id == department_id)
    if station_id is not None:
        query = query.where(Rating.station_id == station_id)
    if social_worker_id is not None:
        query = query.where(Rating.social_worker_id == social_worker_id)
    if follow_up == "required":
        query = query.where(Rating.follow_up_required.is_(True))
    elif follow_up == "open":
        query = query.where(Rating.follow_up_required.is_(True), ~_HAS_FOLLOW_UP)
    elif follow_up == "done":
        query = query.where(_HAS_FOLLOW_UP)
    return await keyset_page(session, query, Rating.id, parameters)


async def get_appeal(session: AsyncSession, appeal_id: uuid.UUID, *, for_update: bool = False) -> Appeal | None:
    query = sa.select(Appeal).where(Appeal.id == appeal_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def page_appeals(
    session: AsyncSession,
    parameters: PageParameters,
    *,
    subdistrict_id: uuid.UUID | None,
    raised_by: str | None,
    status: str | None,
) -> tuple[list[Appeal], str | None]:
    query = sa.select(Appeal)
    if subdistrict_id is not None:
        query = query.where(Appeal.subdistrict_id == subdistrict_id)
    if raised_by is not None:
        query = query.where(Appeal.raised_by == raised_by)
    if status is not None:
        query = query.where(Appeal.status == status)
    return await keyset_page(session, query, Appeal.id, parameters)
