"""Use cases for invitations. They never commit: the caller's transaction does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.events import RESIDENT_CODE_ISSUED, outbox
from evaluation_service.invitations import codes
from evaluation_service.invitations.models import Invitation
from evaluation_service.invitations.tokens import new_token, token_hash
from evaluation_service.ratings import repository
from evaluation_service.ratings.service import refuse_unusable
from evaluation_service.settings import current_settings
from evaluation_service.tickets.models import ClosedTicket
from shared.auth import STATION_STAFF, Principal, Role
from shared.errors import Conflict, Forbidden, NotFound


@dataclass(frozen=True, slots=True)
class IssuedToken:
    invitation: Invitation
    token: str


def _is_resident_of(principal: Principal, invitation: Invitation) -> bool:
    return principal.has_role(Role.resident) and invitation.resident_id == principal.user_id


def _is_notifier(principal: Principal) -> bool:
    """The notification service, which texts the resident's own link to the ticket's contact phone.

    Only a caller that is nothing but the notifier: a person holding another role too gets no link this way.
    """
    return principal.roles == frozenset({Role.notifier.value})


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
    handled_by = set(ticket.handled_by or ()) if ticket is not None else set()
    handled_by |= {invitation.social_worker_id} - {None}
    is_station_staff = principal.has_role(*STATION_STAFF) and principal.station_id == str(invitation.station_id)
    if is_station_staff and principal.user_id in handled_by:
        raise Forbidden("Staff who handled a ticket never get a link to rate it.", code="handled_ticket")
    # The resident's own link (no code): from their account, or texted to the ticket's contact by the notifier.
    at_the_desk = not (_is_resident_of(principal, invitation) or _is_notifier(principal))
    if at_the_desk and not is_station_staff:
        raise NotFound("No such invitation.", code="invitation_not_found")
    refuse_unusable(invitation, now)
    if _is_notifier(principal) and invitation.token_issued_at is not None:
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
