"""Records a closed ticket's figures and invites its resident to rate the work."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.directory.models import StationCopy
from evaluation_service.events import INVITATION_CREATED, consumer, outbox
from evaluation_service.invitations.models import Invitation
from evaluation_service.invitations.tokens import new_token, token_hash
from evaluation_service.settings import current_settings
from evaluation_service.tickets.contract import read_ticket_closed
from evaluation_service.tickets.models import ClosedTicket
from shared.events import EventEnvelope

logger = logging.getLogger("evaluation.invitations")


@consumer.on("ticket.closed")
async def ticket_closed(session: AsyncSession, event: EventEnvelope) -> None:
    closed = read_ticket_closed(event.data, event.time)
    if closed.status is not None and closed.status != "closed":
        # Invitations are only for closed tickets, whatever a publisher sends under this name.
        logger.warning("ticket.closed for a ticket that is not closed", extra={"ticket_id": str(closed.ticket_id)})
        return
    if await session.get(ClosedTicket, closed.ticket_id) is not None:
        return  # the same closing sent again under another message id: one invitation per ticket
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
    await outbox.add(
        session,
        INVITATION_CREATED,
        {
            "invitation_id": str(invitation.id),
            "ticket_id": str(closed.ticket_id),
            "station_id": str(closed.station_id),
            "expires_at": invitation.expires_at.isoformat(),
        },
        subject=str(closed.ticket_id),
    )
