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

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.database import Database, table_of
from shared.ids import utcnow
from shared.retention import DEFAULT_BATCH_SIZE, Anonymiser, retention_days_of
from shared.retention import anonymise_command as retention_command
from shared.settings import ServiceSettings
from shared.sync import record_tombstone
from ticket_service.attachments import service as attachments
from ticket_service.attachments.service import Files
from ticket_service.privacy import repository
from ticket_service.privacy.masking import ANONYMISED_DESCRIPTION, masked_text, round_coordinate, ticket_names
from ticket_service.replies.models import TicketMessage
from ticket_service.settings import TicketSettings
from ticket_service.tickets.models import Ticket, TicketChange, VideoLinkSession


def cutoff(now: datetime, retention_days: int) -> datetime:
    """Matters closed at or before this moment are past the retention period."""
    return now - timedelta(days=retention_days)


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
    for row_id, ticket_id, note in await repository.notes_of(session, table, column, list(names)):
        masked = masked_text(note, names[ticket_id])
        if masked != note:
            await repository.set_note(session, table, column, row_id, masked)


async def anonymise_batch(
    session: AsyncSession,
    now: datetime,
    retention_days: int,
    batch_size: int,
    *,
    skip_locked: bool,
    files: Files | None = None,
) -> int:
    tickets = await repository.due_for_anonymising(
        session, cutoff(now, retention_days), batch_size, skip_locked=skip_locked
    )
    if not tickets:
        return 0
    # The names to look for in the notes, before anonymising removes them from the tickets.
    names = {ticket.id: ticket_names(ticket) for ticket in tickets}
    for ticket in tickets:
        anonymise_ticket(ticket, now)
        # Offline apps drop their cached copy (contact, description) on their next sync.
        record_tombstone(session, ticket, "anonymised")
    ids = list(names)
    await _mask_notes(session, table_of(TicketChange), "note", names)
    await _mask_notes(session, table_of(VideoLinkSession), "notes", names)
    # Result texts, notes and public replies (ticket_service/replies) are typed about the matter too.
    await _mask_notes(session, table_of(TicketChange), "result_text", names)
    await _mask_notes(session, table_of(TicketMessage), "text", names)
    await repository.forget_residents_in_reads(session, ids)
    if files is not None:
        # The photos and files: deleted from the store inside this transaction (a failed delete rolls the
        # batch back, to be tried again); their rows stay, saying they were removed (ticket_service/attachments).
        await attachments.remove_for_retention(session, files, ids, now)
    return len(tickets)


def retention_pass(
    database: Database,
    retention_days: int,
    clock: Callable[[], datetime],
    *,
    files: Files | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Anonymiser:
    """The retention pass over matters (the kernel's `Anonymiser` with this service's batch): `run_once(now)`
    says how many were anonymised."""
    return Anonymiser(database, partial(anonymise_batch, files=files), retention_days, clock, batch_size=batch_size)


def _command_anonymiser(database: Database, settings: ServiceSettings) -> Anonymiser:
    files = attachments.files_from_settings(settings) if isinstance(settings, TicketSettings) else None
    return retention_pass(database, retention_days_of(settings), utcnow, files=files)


# `python -m ticket_service anonymise`: one pass now, then a JSON line saying how many.
anonymise_command = retention_command(_command_anonymiser, "anonymised_tickets")
