"""Who sees a resident's contact in full, and the record of every response that carried it.

Whoever handles the resident's matter (the ticket's current owner: the person, or the owning
department's members) and the resident themself see the name, phone, address and every free text
(description, history notes, video-link records, the on-site office's outcome) in full on the ticket's
detail, history and video links. Everyone else in scope sees them masked (`masking.py`: phones, IDs,
e-mails and the ticket's names in free text too), in lists, exports and Open311 alike. The
station's staff and the community's secretary may reveal them explicitly (`GET .../contact`), for a
colleague's ticket at their desk. District administrators, departments of the subdistrict and
integrations see masked values only: they supervise the figures, not the resident. Every response
that carried a full value writes one `contact_read` row in the request's transaction, so a read that
was not recorded was not answered either.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, Role
from shared.context import current_request_id
from shared.errors import Forbidden, NotFound
from shared.idempotency import StoredAnswer
from shared.privacy import mask_name, mask_phone
from ticket_service.access import NOTIFY_PURPOSE, reads_contact_to_notify, works_at
from ticket_service.privacy import repository
from ticket_service.privacy.masking import carries_contact, masked_contact, masked_text, ticket_names
from ticket_service.privacy.models import ContactRead
from ticket_service.privacy.schemas import ResidentContact
from ticket_service.stations import repository as stations
from ticket_service.tickets import repository as tickets_repository
from ticket_service.tickets import service as tickets
from ticket_service.tickets.models import Ticket, TicketChange, VideoLinkSession
from ticket_service.tickets.schemas import ChangeRead, TicketRead, VideoLinkRead
from ticket_service.tickets.visibility import owns


def handles(principal: Principal, ticket: Ticket) -> bool:
    """The reader handles this resident's matter (or is the resident)."""
    if owns(principal, ticket):
        return True
    return (
        principal.has_role(Role.resident) and ticket.resident_id is not None and ticket.resident_id == principal.user_id
    )


def endpoint_of(request: Request) -> str:
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


def masked_read(ticket: Ticket) -> TicketRead:
    read = TicketRead.model_validate(ticket)
    if not carries_contact(ticket):
        return read
    return read.model_copy(update={**masked_contact(ticket), "contact_masked": True})


def masked_change(change: ChangeRead, names: list[str]) -> ChangeRead:
    return change.model_copy(
        update={"note": masked_text(change.note, names), "result_text": masked_text(change.result_text, names)}
    )


def masked_video_link(link: VideoLinkRead, names: list[str]) -> VideoLinkRead:
    return link.model_copy(
        update={
            "centre": masked_text(link.centre, names),
            "document_issued": masked_text(link.document_issued, names),
            "notes": masked_text(link.notes, names),
        }
    )


@dataclass
class TicketView:
    """What one response shows of a ticket: the ticket, its history, its video links (each when asked)."""

    ticket: TicketRead | None = None
    history: list[ChangeRead] = field(default_factory=list)
    video_links: list[VideoLinkRead] = field(default_factory=list)


def _masked(view: TicketView, ticket: Ticket) -> TicketView:
    names = ticket_names(ticket)
    return TicketView(
        ticket=masked_read(ticket) if view.ticket is not None else None,
        history=[masked_change(change, names) for change in view.history],
        video_links=[masked_video_link(link, names) for link in view.video_links],
    )


async def view_for(
    session: AsyncSession,
    ticket: Ticket,
    principal: Principal,
    now: datetime,
    endpoint: str,
    *,
    read: bool = True,
    changes: Sequence[TicketChange] = (),
    video_links: Sequence[VideoLinkSession] = (),
) -> TicketView:
    """The ticket (when `read`), the given history rows and video links as this reader may see them: in
    full for whoever handles the matter, and then recorded when anything in them would have been masked
    (a phone or a name in a note counts as much as the name field); masked for everyone else."""
    full = TicketView(
        ticket=TicketRead.model_validate(ticket) if read else None,
        history=[ChangeRead.model_validate(change) for change in changes],
        video_links=[VideoLinkRead.model_validate(link) for link in video_links],
    )
    masked = _masked(full, ticket)
    if not handles(principal, ticket):
        return masked
    if masked != full:
        await record_read(session, ticket, principal, now, endpoint)
    return full


async def record_read(
    session: AsyncSession,
    ticket: Ticket,
    principal: Principal,
    now: datetime,
    endpoint: str,
    *,
    purpose: str | None = None,
) -> ContactRead:
    row = ContactRead(
        read_at=now,
        reader_id=principal.user_id,
        reader_roles=sorted(principal.roles),
        ticket_id=ticket.id,
        station_id=ticket.station_id,
        resident_id=ticket.resident_id,
        resident_name_masked=mask_name(ticket.resident_name) if ticket.resident_name is not None else None,
        resident_phone_masked=mask_phone(ticket.resident_phone) if ticket.resident_phone is not None else None,
        endpoint=endpoint[:200],
        request_id=(current_request_id() or None),
        purpose=purpose,
    )
    session.add(row)
    await session.flush()
    return row


async def record_replayed_reads(session: AsyncSession, request: Request, answer: StoredAnswer) -> None:
    """An Idempotency-Key replay sends its caller the stored answer again: each full read the first answer
    recorded is recorded again, under this request (shared/idempotency.py)."""
    if answer.request_id is None:
        return
    first = await repository.reads_of_request(session, answer.caller, answer.request_id)
    now = request.app.state.clock()
    for read in first:
        session.add(
            ContactRead(
                read_at=now,
                reader_id=read.reader_id,
                reader_roles=read.reader_roles,
                ticket_id=read.ticket_id,
                station_id=read.station_id,
                resident_id=read.resident_id,
                resident_name_masked=read.resident_name_masked,
                resident_phone_masked=read.resident_phone_masked,
                endpoint=endpoint_of(request)[:200],
                request_id=current_request_id() or None,
                purpose=read.purpose,
            )
        )
    await session.flush()


async def read_for(
    session: AsyncSession, ticket: Ticket, principal: Principal, now: datetime, endpoint: str
) -> TicketRead:
    """The ticket as this reader may see it: in full (and recorded) for whoever handles the matter."""
    view = await view_for(session, ticket, principal, now, endpoint)
    assert view.ticket is not None
    return view.ticket


async def reveal(
    session: AsyncSession, ticket_id: uuid.UUID, principal: Principal, now: datetime, endpoint: str
) -> ResidentContact:
    """An explicit read of the resident's contact: the handler, the station's staff, the secretary; and the
    notification service (role `notifier`) for any ticket, to text the resident (`access.reads_contact_to_notify`)."""
    if reads_contact_to_notify(principal):
        ticket = await tickets_repository.get_ticket(session, ticket_id)
        if ticket is None:
            raise NotFound("No such ticket.", code="ticket_not_found")
        if carries_contact(ticket):
            await record_read(session, ticket, principal, now, endpoint, purpose=NOTIFY_PURPOSE)
        return _contact(ticket)
    ticket = await tickets.visible_ticket(session, ticket_id, principal)
    station = await stations.get_station(session, ticket.station_id)
    if not (handles(principal, ticket) or (station is not None and works_at(principal, station))):
        raise Forbidden(
            "Only whoever handles the matter and the station's staff read a resident's contact.",
            code="contact_not_allowed",
        )
    if carries_contact(ticket):
        await record_read(session, ticket, principal, now, endpoint)
    return _contact(ticket)


def _contact(ticket: Ticket) -> ResidentContact:
    return ResidentContact(
        ticket_id=ticket.id,
        resident_id=ticket.resident_id,
        resident_name=ticket.resident_name,
        resident_phone=ticket.resident_phone,
        description=ticket.description,
        location_address=ticket.location_address,
        latitude=ticket.latitude,
        longitude=ticket.longitude,
        personal_data_removed_at=ticket.personal_data_removed_at,
    )
