"""Use cases of notes and public replies. They never commit: the caller's transaction does.

Notes are the staff's; public replies are the station's answers to the resident (the public reads them,
masked, in Open311). Both are kept as typed, and shown in full only to whoever handles the matter (and,
for replies, the resident), each such answer recorded like every other full read (privacy/service.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.errors import Conflict, Forbidden, Unprocessable
from shared.ids import new_id
from shared.pagination import Page, PageParameters
from ticket_service.access import reads_notes, writes_on_ticket
from ticket_service.events import TICKET_REPLIED, outbox
from ticket_service.privacy import service as privacy
from ticket_service.privacy.masking import masked_text, ticket_names
from ticket_service.replies import repository
from ticket_service.replies.models import TicketMessage
from ticket_service.replies.rules import MessageKind, TextRefused, clean_text, may_reply
from ticket_service.replies.schemas import TicketMessageCreate, TicketMessageRead
from ticket_service.stations import repository as stations
from ticket_service.tickets import service as tickets
from ticket_service.tickets.models import Ticket


async def write(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    kind: MessageKind,
    data: TicketMessageCreate,
    principal: Principal,
    now: datetime,
) -> tuple[Ticket, TicketMessage]:
    """A note or a public reply on a visible ticket, by whoever works it."""
    ticket = await tickets.visible_ticket(session, ticket_id, principal, for_update=True)
    station = await stations.get_station(session, ticket.station_id)
    if station is None or not writes_on_ticket(principal, ticket, station):
        raise Forbidden("Whoever works the ticket writes on it.", code="not_allowed")
    try:
        text = clean_text(data.text)
    except TextRefused as refused:
        raise Unprocessable(refused.message, field="text", code=refused.code) from None
    if ticket.personal_data_removed_at is not None:
        # What would be written now would outlive the retention pass that already ran.
        raise Conflict("The matter's personal data was removed: it takes no more words.", code="personal_data_removed")
    if kind is MessageKind.reply and not may_reply(ticket.status):
        raise Conflict(f"The ticket is {ticket.status}.", code=f"ticket_{ticket.status}")
    message = TicketMessage(
        id=new_id(),  # the event names it before the flush
        ticket_id=ticket.id,
        kind=kind.value,
        text=text,
        author_id=principal.user_id,
        created_at=now,
        ticket_status=ticket.status,
    )
    session.add(message)
    if kind is MessageKind.reply:
        # A reply is news of the ticket: lists sorted by update, Open311 `updated_after` and sync see it.
        ticket.updated_at = max(ticket.updated_at, now)
        await outbox.add(
            session,
            TICKET_REPLIED,
            {
                **tickets.ticket_state(ticket, station),
                # Ids only: the words may carry personal data and stay in the ticket service.
                "reply_id": str(message.id),
                "replied_by": principal.user_id,
                "replied_at": now.isoformat(),
            },
            subject=str(ticket.id),
        )
    await session.flush()
    return ticket, message


async def readable_ticket(
    session: AsyncSession, ticket_id: uuid.UUID, kind: MessageKind, principal: Principal
) -> Ticket:
    ticket = await tickets.visible_ticket(session, ticket_id, principal)
    if kind is MessageKind.note and not reads_notes(principal, ticket):
        raise Forbidden("Notes are the staff's own.", code="notes_staff_only")
    return ticket


async def shown(
    session: AsyncSession,
    ticket: Ticket,
    messages: list[TicketMessage],
    principal: Principal,
    now: datetime,
    endpoint: str,
) -> list[TicketMessageRead]:
    """The messages as this reader may see them: in full (and the read recorded, when anything would have
    been masked) for whoever handles the matter; masked as the description is for everyone else."""
    full = [TicketMessageRead.model_validate(message) for message in messages]
    names = ticket_names(ticket)
    masked = [
        read.model_copy(update={"text": masked_text(read.text, names), "text_masked": True})
        if masked_text(read.text, names) != read.text
        else read
        for read in full
    ]
    if not privacy.handles(principal, ticket):
        return masked
    if masked != full:
        await privacy.record_read(session, ticket, principal, now, endpoint)
    return full


async def page(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    kind: MessageKind,
    parameters: PageParameters,
    principal: Principal,
    now: datetime,
    endpoint: str,
) -> Page[TicketMessageRead]:
    ticket = await readable_ticket(session, ticket_id, kind, principal)
    messages, next_cursor = await repository.page_messages(session, ticket.id, kind, parameters)
    return Page(items=await shown(session, ticket, messages, principal, now, endpoint), next_cursor=next_cursor)
