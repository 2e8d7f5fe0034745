"""Use cases for invitations. They never commit: the caller's transaction does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.invitations.models import Invitation
from evaluation_service.invitations.tokens import new_token, token_hash
from evaluation_service.ratings import repository
from evaluation_service.ratings.service import refuse_unusable
from evaluation_service.tickets.models import ClosedTicket
from shared.auth import STATION_STAFF, Principal, Role
from shared.errors import Forbidden, NotFound


@dataclass(frozen=True, slots=True)
class IssuedToken:
    invitation: Invitation
    token: str


def _is_resident_of(principal: Principal, invitation: Invitation) -> bool:
    return principal.has_role(Role.resident) and invitation.resident_id == principal.user_id


async def visible_invitation(session: AsyncSession, invitation_id: uuid.UUID, principal: Principal) -> Invitation:
    invitation = await repository.invitation_by_id(session, invitation_id)
    if invitation is None:
        raise NotFound("No such invitation.", code="invitation_not_found")
    if principal.is_district_admin or _is_resident_of(principal, invitation):
        return invitation
    if principal.has_role(*STATION_STAFF) and principal.station_id == str(invitation.station_id):
        return invitation
    # Someone who may not see an invitation learns nothing of it, not even that it exists.
    raise NotFound("No such invitation.", code="invitation_not_found")


async def issue_token(
    session: AsyncSession, invitation_id: uuid.UUID, principal: Principal, now: datetime
) -> IssuedToken:
    """A fresh token for the link or QR code; it replaces the previous one, which stops working.

    Only the staff who handled the ticket (to show it to the resident) or the resident themself may ask.
    The expiry stays as set when the ticket closed.
    """
    invitation = await repository.invitation_by_id(session, invitation_id)
    if invitation is None:
        raise NotFound("No such invitation.", code="invitation_not_found")
    ticket = await session.get(ClosedTicket, invitation.ticket_id)
    handled_by = set(ticket.handled_by or ()) if ticket is not None else set()
    is_handler = principal.has_role(*STATION_STAFF) and principal.user_id in handled_by
    if not (is_handler or _is_resident_of(principal, invitation)):
        if principal.has_role(*STATION_STAFF) and principal.station_id == str(invitation.station_id):
            raise Forbidden("Only the staff who handled the ticket show its rating link.", code="not_handler")
        raise NotFound("No such invitation.", code="invitation_not_found")
    refuse_unusable(invitation, now)
    token = new_token()
    invitation.token_hash = token_hash(token)
    invitation.token_issued_at = now
    invitation.token_issued_by = principal.user_id
    await session.flush()
    return IssuedToken(invitation, token)
