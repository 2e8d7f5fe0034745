"""Records a closed ticket's figures and invites its resident to rate the work."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.directory.models import StationCopy
from evaluation_service.events import INVITATION_CREATED, INVITATION_RENEWED, consumer, outbox
from evaluation_service.invitations.models import Invitation
from evaluation_service.invitations.tokens import new_token, token_hash
from evaluation_service.settings import current_settings
from evaluation_service.tickets.contract import TicketClosed, read_ticket_closed
from evaluation_service.tickets.models import ClosedTicket
from shared.database import affected_rows
from shared.events import EventEnvelope

logger = logging.getLogger("evaluation.invitations")


@consumer.on("ticket.closed")
async def ticket_closed(session: AsyncSession, event: EventEnvelope) -> None:
    closed = read_ticket_closed(event.data, event.time)
    if closed.status is not None and closed.status != "closed":
        # Invitations are only for closed tickets, whatever a publisher sends under this name.
        logger.warning("ticket.closed for a ticket that is not closed", extra={"ticket_id": str(closed.ticket_id)})
        return
    recorded = await session.get(ClosedTicket, closed.ticket_id)
    if recorded is not None:
        await _closed_again(session, recorded, closed, event)  # one invitation per ticket
        return
    station = await session.get(StationCopy, closed.station_id)
    community_id = closed.community_id or (station.community_id if station else None)
    community_name = closed.community_name or (station.community_name if station else "")
    session.add(
        ClosedTicket(
            ticket_id=closed.ticket_id,
            station_id=closed.station_id,
            community_id=community_id,
            community_name=community_name,
            subdistrict_id=closed.subdistrict_id,
            service_category=closed.service_category,
            responsibility_level=closed.responsibility_level,
            owner_id=closed.owner_id,
            completed_by=closed.completed_by,
            resident_id=closed.resident_id,
            resident_names=list(closed.resident_names) or None,
            handled_by=list(closed.handled_by),
            created_at=closed.created_at,
            accepted_at=closed.accepted_at,
            closed_at=closed.closed_at,
            accepted_on_time=closed.accepted_on_time,
            resolved_on_time=closed.resolved_on_time,
            acceptance_working_minutes=closed.acceptance_working_minutes,
            resolution_working_minutes=closed.resolution_working_minutes,
            recorded_at=event.time,
        )
    )
    invitation = Invitation(
        ticket_id=closed.ticket_id,
        token_hash=token_hash(new_token()),  # never shown: the app asks for a fresh token to show
        resident_id=closed.resident_id,
        social_worker_id=closed.completed_by,
        station_id=closed.station_id,
        community_id=community_id,
        community_name=community_name,
        subdistrict_id=closed.subdistrict_id,
        service_category=closed.service_category or "",
        created_at=closed.closed_at,
        expires_at=closed.closed_at + timedelta(days=current_settings().invitation_valid_days),
    )
    session.add(invitation)
    await session.flush()
    await outbox.add(session, INVITATION_CREATED, _invitation_event(invitation), subject=str(closed.ticket_id))


async def _closed_again(
    session: AsyncSession, recorded: ClosedTicket, closed: TicketClosed, event: EventEnvelope
) -> None:
    """A reopened ticket closed again, or the same closing delivered again under another message id.

    One rating per ticket, keeping the worker as at the close that was rated. Not rated yet: the record
    follows the latest closing (who completed the work this time, its figures) and the resident's invitation
    is valid again from it, under a new token (links shown for the earlier closing stop working). Rated
    already: the rating and the closing it rated stay as they are.
    """
    if not closed.closed_at_reported or closed.closed_at <= recorded.closed_at:
        return  # the same closing again, or an older one arriving late
    expires_at = closed.closed_at + timedelta(days=current_settings().invitation_valid_days)
    # One conditional statement: a redemption committed first wins, and this then changes nothing.
    renewed = await session.execute(
        sa.update(Invitation)
        .where(Invitation.ticket_id == closed.ticket_id, Invitation.redeemed_at.is_(None))
        .values(
            token_hash=token_hash(new_token()),
            token_issued_at=None,
            token_issued_by=None,
            resident_code_hash=None,  # a code went with the replaced desk link
            resident_code_expires_at=None,
            resident_code_attempts=0,
            social_worker_id=closed.completed_by or Invitation.social_worker_id,
            resident_id=closed.resident_id or Invitation.resident_id,
            service_category=closed.service_category or Invitation.service_category,
            expires_at=expires_at,
        )
        .execution_options(synchronize_session=False)
    )
    if affected_rows(renewed) != 1:
        logger.info("a rated ticket closed again; its rating stands", extra={"ticket_id": str(closed.ticket_id)})
        return
    recorded.handled_by = list(dict.fromkeys([*(recorded.handled_by or ()), *closed.handled_by]))
    recorded.resident_names = list(dict.fromkeys([*(recorded.resident_names or ()), *closed.resident_names])) or None
    for name in (
        "service_category",
        "responsibility_level",
        "owner_id",
        "completed_by",
        "resident_id",
        "created_at",
        "accepted_at",
        "accepted_on_time",
        "resolved_on_time",
        "acceptance_working_minutes",
        "resolution_working_minutes",
    ):
        value = getattr(closed, name)
        if value is not None:  # what this closing does not say stays as the last one said it
            setattr(recorded, name, value)
    recorded.closed_at = closed.closed_at
    recorded.recorded_at = event.time
    await session.flush()
    invitation = await session.scalar(
        sa.select(Invitation).where(Invitation.ticket_id == closed.ticket_id).execution_options(populate_existing=True)
    )
    assert invitation is not None
    await outbox.add(session, INVITATION_RENEWED, _invitation_event(invitation), subject=str(closed.ticket_id))


def _invitation_event(invitation: Invitation) -> dict[str, str]:
    return {
        "invitation_id": str(invitation.id),
        "ticket_id": str(invitation.ticket_id),
        "station_id": str(invitation.station_id),
        "expires_at": invitation.expires_at.isoformat(),
    }
