"""Retention: a closed or cancelled matter's personal data is removed once the retention period
(`TICKET_PERSONAL_DATA_RETENTION_DAYS`) has passed since it closed; its figures stay.

Removed: the resident's name, phone and account, the description (replaced by a notice), the exact
address and the photos (the `media_urls` given at intake, and every attachment's stored files: the rows
stay, saying removed); coordinates are rounded to about 100 m; phone numbers, e-mail addresses and
the ticket's names in the history's and video links' notes and the on-site office's outcome are
masked; the contact-read log keeps who read what, but no longer whose. (Answers stored for an
Idempotency-Key are purged by the kernel 24 hours after their request, long before.)
Kept: station, community, category, item, channel, states, owners, every time and SLA figure, the
history's rows. Nothing is published: the anonymised ticket says nothing new to other services, and
no event ever carried the contact.

Runs as a periodic task in the service's lifespan and as `python -m ticket_service anonymise`. A
ticket is anonymised once (`personal_data_removed_at`), so passes are idempotent; replicas take rows
with `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.database import Database
from shared.ids import utcnow
from shared.periodic import BatchedPass
from shared.settings import ServiceSettings
from shared.sync import record_tombstone
from ticket_service.attachments import service as attachments
from ticket_service.attachments.service import Files
from ticket_service.privacy.masking import ANONYMISED_DESCRIPTION, masked_text, round_coordinate, ticket_names
from ticket_service.privacy.models import ContactRead
from ticket_service.replies.models import TicketMessage
from ticket_service.tickets.lifecycle import TicketState
from ticket_service.tickets.models import Ticket, TicketChange, VideoLinkSession

DEFAULT_BATCH_SIZE = 200


def cutoff(now: datetime, retention_days: int) -> datetime:
    """Matters closed at or before this moment are past the retention period."""
    return now - timedelta(days=retention_days)


def _due(before: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        Ticket.personal_data_removed_at.is_(None),
        sa.or_(
            sa.and_(Ticket.status == TicketState.CLOSED.value, Ticket.closed_at <= before),
            sa.and_(Ticket.status == TicketState.CANCELLED.value, Ticket.cancelled_at <= before),
        ),
    )


def anonymise_ticket(ticket: Ticket, now: datetime) -> None:
    ticket.onsite_outcome = masked_text(ticket.onsite_outcome, ticket_names(ticket))
    ticket.result_text = masked_text(ticket.result_text, ticket_names(ticket))
    ticket.resident_name = None
    ticket.resident_phone = None
    ticket.resident_id = None
    ticket.description = ANONYMISED_DESCRIPTION
    ticket.location_address = None
    ticket.latitude = round_coordinate(ticket.latitude)
    ticket.longitude = round_coordinate(ticket.longitude)
    ticket.media_urls = []
    ticket.personal_data_removed_at = now


async def _mask_notes(session: AsyncSession, table: sa.Table, column: str, names: dict[uuid.UUID, list[str]]) -> None:
    # Core statements on the table: the history is append-only for the ORM (its guard refuses updates);
    # masking contact in its notes is the one change the law asks of it, and touches nothing else.
    notes = table.c[column]
    rows = await session.execute(
        sa.select(table.c.id, table.c.ticket_id, notes).where(table.c.ticket_id.in_(list(names)), notes.is_not(None))
    )
    for row_id, ticket_id, note in rows.all():
        masked = masked_text(note, names[ticket_id])
        if masked != note:
            await session.execute(sa.update(table).where(table.c.id == row_id).values({column: masked}))


async def anonymise_batch(
    session: AsyncSession,
    now: datetime,
    retention_days: int,
    batch_size: int,
    *,
    skip_locked: bool,
    files: Files | None = None,
) -> int:
    query = (
        sa.select(Ticket)
        .where(_due(cutoff(now, retention_days)))
        .order_by(Ticket.id)
        .limit(batch_size)
        .with_for_update(skip_locked=skip_locked)
    )
    tickets = list(await session.scalars(query))
    if not tickets:
        return 0
    # The names to look for in the notes, before anonymising removes them from the tickets.
    names = {ticket.id: ticket_names(ticket) for ticket in tickets}
    for ticket in tickets:
        anonymise_ticket(ticket, now)
        # Offline apps drop their cached copy (contact, description) on their next sync.
        record_tombstone(session, ticket, "anonymised")
    ids = list(names)
    await _mask_notes(session, TicketChange.__table__, "note", names)
    await _mask_notes(session, VideoLinkSession.__table__, "notes", names)
    # Result texts, notes and public replies (ticket_service/replies) are typed about the matter too.
    await _mask_notes(session, TicketChange.__table__, "result_text", names)
    await _mask_notes(session, TicketMessage.__table__, "text", names)
    await session.execute(
        sa.update(ContactRead.__table__)
        .where(ContactRead.__table__.c.ticket_id.in_(ids))
        .values(resident_id=None, resident_name_masked=None, resident_phone_masked=None)
    )
    if files is not None:
        # The photos and files: deleted from the store inside this transaction (a failed delete rolls the
        # batch back, to be tried again); their rows stay, saying they were removed (ticket_service/attachments).
        await attachments.remove_for_retention(session, files, ids, now)
    return len(tickets)


class Anonymiser(BatchedPass):
    """Anonymises every matter past the retention period, in batches; `run_once(now)` says how many."""

    def __init__(
        self,
        database: Database,
        retention_days: int,
        clock: Callable[[], datetime],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        files: Files | None = None,
    ) -> None:
        skip_locked = not database.is_sqlite

        async def batch(session: AsyncSession, moment: datetime, size: int) -> int:
            return await anonymise_batch(session, moment, retention_days, size, skip_locked=skip_locked, files=files)

        super().__init__(
            database, batch, clock, batch_size=batch_size, done="personal data removed after the retention period"
        )


async def anonymise_command(database: Database, settings: ServiceSettings) -> None:
    """`python -m ticket_service anonymise`: one pass now, then a JSON line saying how many."""
    retention_days = getattr(settings, "personal_data_retention_days", 365)
    files = attachments.files_from_settings(settings) if hasattr(settings, "attachment_store") else None
    count = await Anonymiser(database, retention_days, utcnow, files=files).run_once()
    print(json.dumps({"anonymised_tickets": count, "retention_days": retention_days}))
