"""Use cases for invitations. They never commit: the caller's transaction does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service import access
from evaluation_service.events import RESIDENT_CODE_ISSUED, outbox
from evaluation_service.invitations import codes
from evaluation_service.invitations.models import Invitation
from evaluation_service.invitations.tokens import new_token, token_hash
from evaluation_service.ratings import repository
from evaluation_service.ratings.service import refuse_unusable
from evaluation_service.settings import current_settings
from evaluation_service.tickets.models import ClosedTicket
from shared.auth import Principal
from shared.errors import Conflict, NotFound


@dataclass(frozen=True, slots=True)
class IssuedToken:
    invitation: Invitation
    token: str


async def visible_invitation(session: AsyncSession, invitation_id: uuid.UUID, principal: Principal) -> Invitation:
    invitation = await repository.invitation_by_id(session, invitation_id)
    if invitation is None:
        raise NotFound("No such invitation.", code="invitation_not_found")
    if access.sees_invitation(principal, invitation.resident_id, invitation.station_id):
        return invitation
    # Someone who may not see an invitation learns nothing of it, not even that it exists.
    raise NotFound("No such invitation.", code="invitation_not_found")


async def issue_token(
    session: AsyncSession, invitation_id: uuid.UUID, principal: Principal, now: datetime
) -> IssuedToken:
    """A fresh token for the link or QR code; it replaces the previous one, which stops working.

    Nobody who handled the ticket gets a link to rate it (403 `handled_ticket`). The resident themself gets
    their link from their own account, or by SMS: the notification service (role `notifier`, a service,
    never a person) asks for it and sends it only to the ticket's contact phone. A colleague of the station
    who did not handle the ticket may show a link at the desk: it counts only with a six-digit code that goes
    to the resident (the
    `evaluation.rating_code_issued` event; the notification service sends it to the ticket's contact).
    The expiry stays as set when the ticket closed.
    """
    invitation = await repository.invitation_by_id(session, invitation_id)
    if invitation is None:
        raise NotFound("No such invitation.", code="invitation_not_found")
    ticket = await session.get(ClosedTicket, invitation.ticket_id)
    handled_by = [*(ticket.handled_by or () if ticket is not None else ())]
    if invitation.social_worker_id is not None:
        handled_by.append(invitation.social_worker_id)
    # The resident's own link (no code): from their account, or texted to the ticket's contact by the notifier.
    at_the_desk = (
        access.link_kind(principal, invitation.resident_id, invitation.station_id, handled_by) is access.LinkKind.desk
    )
    refuse_unusable(invitation, now)
    if invitation.token_issued_at is not None and not access.replaces_issued_link(principal):
        # The SMS carries the first link of a closing only: never replace one the resident (or a colleague
        # at the desk) already holds, which would stop it working.
        raise Conflict("A link was already issued for this closing.", code="link_already_issued")
    token = new_token()
    invitation.token_hash = token_hash(token)
    invitation.token_issued_at = now
    invitation.token_issued_by = principal.user_id
    code = None
    if at_the_desk:
        settings = current_settings()
        code = codes.new_code()
        invitation.resident_code_hash = codes.stored_form(code)
        invitation.resident_code_expires_at = now + timedelta(minutes=settings.resident_code_valid_minutes)
    else:
        invitation.resident_code_hash = None
        invitation.resident_code_expires_at = None
    invitation.resident_code_attempts = 0
    await session.flush()
    if code is not None:
        assert invitation.resident_code_expires_at is not None  # set with the code
        await outbox.add(
            session,
            RESIDENT_CODE_ISSUED,
            {
                "invitation_id": str(invitation.id),
                "ticket_id": str(invitation.ticket_id),
                "station_id": str(invitation.station_id),
                "code": code,
                "expires_at": invitation.resident_code_expires_at.isoformat(),
                "issued_by": principal.user_id,
            },
            subject=str(invitation.ticket_id),
        )
    return IssuedToken(invitation, token)
