"""Retention: a closed ticket's personal data is removed once the retention period
(`EVALUATION_PERSONAL_DATA_RETENTION_DAYS`) has passed since it closed; the figures stay.

Removed: the resident's account on the closed ticket and its invitation, and the resident's comment
on the rating (their own words, which may name them); phone numbers and e-mail addresses in the
department's follow-up notes and in appeals are masked, and so are the resident's names there (the
names themselves, kept only for masking, are removed). Kept: every score, flag, count and time, so
reports and assessments read the same before and after. Nothing is published.

Runs as a periodic task in the service's lifespan and as `python -m evaluation_service anonymise`;
a closed ticket is anonymised once (`personal_data_removed_at`), so passes are idempotent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.invitations.models import Invitation
from evaluation_service.ratings.models import Appeal, FollowUp, Rating
from evaluation_service.tickets.models import ClosedTicket
from shared.database import Database, table_of
from shared.ids import utcnow
from shared.privacy import mask_text
from shared.retention import DEFAULT_BATCH_SIZE, Anonymiser, retention_days_of
from shared.retention import anonymise_command as retention_command
from shared.settings import ServiceSettings


async def _mask_columns(
    session: AsyncSession,
    table: sa.Table,
    columns: tuple[str, ...],
    ticket_id: sa.ColumnElement[uuid.UUID],
    where: sa.ColumnElement[bool],
    names: dict[uuid.UUID, list[str]],
) -> None:
    query = sa.select(table.c.id, ticket_id, *(table.c[column] for column in columns)).where(where)
    for row_id, row_ticket_id, *values in (await session.execute(query)).all():
        known = names.get(row_ticket_id, ())
        masked = {
            column: (value, mask_text(value, known)) for column, value in zip(columns, values, strict=True) if value
        }
        changed = {column: new for column, (old, new) in masked.items() if new != old}
        if changed:
            await session.execute(sa.update(table).where(table.c.id == row_id).values(changed))


async def anonymise_batch(
    session: AsyncSession, now: datetime, retention_days: int, batch_size: int, *, skip_locked: bool
) -> int:
    query = (
        sa.select(ClosedTicket)
        .where(
            ClosedTicket.personal_data_removed_at.is_(None),
            ClosedTicket.closed_at <= now - timedelta(days=retention_days),
        )
        .order_by(ClosedTicket.closed_at, ClosedTicket.ticket_id)
        .limit(batch_size)
        .with_for_update(skip_locked=skip_locked)
    )
    tickets = list(await session.scalars(query))
    if not tickets:
        return 0
    names = {ticket.ticket_id: list(ticket.resident_names or ()) for ticket in tickets}  # read before removing
    for ticket in tickets:
        ticket.resident_id = None
        ticket.resident_names = None
        ticket.personal_data_removed_at = now
    ids: list[uuid.UUID] = [ticket.ticket_id for ticket in tickets]
    invitations = table_of(Invitation)
    await session.execute(sa.update(invitations).where(invitations.c.ticket_id.in_(ids)).values(resident_id=None))
    # Core statements on the table: a rating is immutable for the ORM (its guard refuses updates) because
    # its scores never change; removing the resident's words is the one change the law asks of it.
    ratings = table_of(Rating)
    await session.execute(
        sa.update(ratings).where(ratings.c.ticket_id.in_(ids), ratings.c.comment.is_not(None)).values(comment=None)
    )
    rating_ids = sa.select(ratings.c.id).where(ratings.c.ticket_id.in_(ids)).scalar_subquery()
    follow_ups = table_of(FollowUp)
    rating_ticket = sa.select(ratings.c.ticket_id).where(ratings.c.id == follow_ups.c.rating_id).scalar_subquery()
    await _mask_columns(session, follow_ups, ("note",), rating_ticket, follow_ups.c.rating_id.in_(rating_ids), names)
    appeals = table_of(Appeal)
    await _mask_columns(
        session, appeals, ("reason", "decision_note"), appeals.c.ticket_id, appeals.c.ticket_id.in_(ids), names
    )
    return len(tickets)


def retention_pass(
    database: Database, retention_days: int, clock: Callable[[], datetime], *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Anonymiser:
    """The retention pass over closed tickets (the kernel's `Anonymiser` with this service's batch):
    `run_once(now)` says how many were anonymised."""
    return Anonymiser(database, anonymise_batch, retention_days, clock, batch_size=batch_size)


def _command_anonymiser(database: Database, settings: ServiceSettings) -> Anonymiser:
    return retention_pass(database, retention_days_of(settings), utcnow)


# `python -m evaluation_service anonymise`: one pass now, then a JSON line saying how many.
anonymise_command = retention_command(_command_anonymiser, "anonymised_closed_tickets")
