"""Invites the resident to rate a closed ticket."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.events import INVITATION_CREATED, consumer, outbox
from evaluation_service.invitations.models import Invitation
from evaluation_service.invitations.tokens import new_token, token_hash
from evaluation_service.settings import EvaluationSettings
from shared.events import EventEnvelope

_settings = EvaluationSettings()


@consumer.on("ticket.closed")
async def ticket_closed(session: AsyncSession, event: EventEnvelope) -> None:
    data = event.data
    invitation = Invitation(
        ticket_id=uuid.UUID(data["ticket_id"]),
        token_hash=token_hash(new_token()),
        resident_id=data.get("resident_id"),
        social_worker_id=data.get("completed_by"),
        station_id=uuid.UUID(data["station_id"]),
        community_name=data["community_name"],
        subdistrict_id=uuid.UUID(data["subdistrict_id"]),
        service_category=data["service_category"],
        created_at=event.time,
        expires_at=event.time + timedelta(days=_settings.invitation_valid_days),
    )
    session.add(invitation)
    await session.flush()
    await outbox.add(
        session,
        INVITATION_CREATED,
        {
            "invitation_id": str(invitation.id),
            "ticket_id": data["ticket_id"],
            "expires_at": invitation.expires_at.isoformat(),
        },
        subject=data["ticket_id"],
    )
