"""Use cases for ratings, the department's inbox and appeals. They never commit: the caller's
transaction does."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service import access
from evaluation_service.events import (
    APPEAL_DECIDED,
    APPEAL_RAISED,
    EVALUATION_SUBMITTED,
    FOLLOW_UP_RECORDED,
    outbox,
)
from evaluation_service.invitations import codes
from evaluation_service.invitations.models import Invitation
from evaluation_service.invitations.tokens import token_hash, well_formed
from evaluation_service.ratings import metrics, repository
from evaluation_service.ratings.models import Appeal, FollowUp, Rating
from evaluation_service.ratings.routing import department_for
from evaluation_service.ratings.schemas import AppealCreate, AppealDecision, Channel, FollowUpCreate, RatingScores
from evaluation_service.reports.scoring import Rating as ScoredRating
from evaluation_service.reports.scoring import needs_follow_up
from evaluation_service.settings import current_settings
from evaluation_service.tickets.models import ClosedTicket
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Problem, Unprocessable
from shared.privacy import mask_text


class Gone(Problem):
    status, code, title = 410, "gone", "Gone"


class ResidentCodeRefused(Unprocessable):
    """The resident's code was missing, wrong, old or tried too often. A try spent counts even though the
    rating is refused: the caller commits before answering (see the routers)."""

    def __init__(self, refusal: codes.CodeRefusal) -> None:
        super().__init__(_CODE_REFUSALS[refusal], field="resident_code", code=refusal.value)
        self.refusal = refusal


_CODE_REFUSALS = {
    codes.CodeRefusal.required: "This link was shown at the station: enter the code sent to the resident's phone.",
    codes.CodeRefusal.wrong: "The code is not the one sent to the resident.",
    codes.CodeRefusal.expired: "The code has expired: ask the station for a new one.",
    codes.CodeRefusal.exhausted: "The code was tried too often: ask the station for a new one.",
}


# --- submitting a rating ---------------------------------------------------------------------------


def _not_found() -> NotFound:
    return NotFound("No such invitation.", code="invitation_not_found")


async def invitation_for_token(session: AsyncSession, token: str) -> Invitation:
    if not well_formed(token):
        raise _not_found()
    invitation = await repository.invitation_by_hash(session, token_hash(token))
    if invitation is None:
        raise _not_found()
    return invitation


def invitation_state(invitation: Invitation, now: datetime) -> str:
    if invitation.redeemed_at is not None:
        return "used"
    if invitation.expires_at <= now:
        return "expired"
    return "open"


def refuse_unusable(invitation: Invitation, now: datetime) -> None:
    state = invitation_state(invitation, now)
    if state == "used":
        raise Conflict("This ticket has already been rated.", code="already_rated")
    if state == "expired":
        raise Gone("The invitation to rate this ticket has expired.", code="invitation_expired")


@dataclass(frozen=True, slots=True)
class Submission:
    scores: RatingScores
    channel: Channel
    rater_id: str | None  # who is rating, when known (the resident's account, a staff caller)
    submitted_by: str | None = None  # the staff member, for the in-person channel
    resident_confirmed: bool = True
    resident_code: str | None = None  # what was typed as the code sent to the resident (desk links, in person)


async def check_resident_code(session: AsyncSession, invitation: Invitation, typed: str | None, now: datetime) -> None:
    """A link shown at the desk, and every in-person rating, count only with the code sent to the resident.

    A try is spent with one conditional UPDATE (no more tries than allowed, even for concurrent requests).
    """
    settings = current_settings()
    stored = invitation.resident_code_hash
    refusal = codes.refusal_before_trying(
        typed,
        invitation.resident_code_expires_at,
        invitation.resident_code_attempts,
        settings.resident_code_max_attempts,
        now,
    )
    if refusal is not None:
        raise ResidentCodeRefused(refusal)
    assert stored is not None  # a code with an expiry was sent (no expiry: refused as expired above)
    if not await repository.spend_code_try(session, invitation.id, stored, settings.resident_code_max_attempts):
        raise ResidentCodeRefused(codes.CodeRefusal.exhausted)
    if not codes.matches(stored, typed):
        raise ResidentCodeRefused(codes.CodeRefusal.wrong)


async def submit(session: AsyncSession, invitation: Invitation, submission: Submission, now: datetime) -> Rating:
    ticket = await session.get(ClosedTicket, invitation.ticket_id)
    if ticket is None:  # an invitation exists only for a recorded closed ticket
        raise _not_found()
    # Whoever rates, whoever carries the scores in person, and the resident's own account: none of them
    # may be someone who handled the matter.
    raters = (submission.rater_id, submission.submitted_by, invitation.resident_id)
    access.require_not_handled(raters, [*(ticket.handled_by or ()), invitation.social_worker_id])
    refuse_unusable(invitation, now)
    if not submission.resident_confirmed:
        raise Unprocessable(
            "The resident must confirm the scores before staff submit them.",
            field="resident_confirmed",
            code="resident_not_confirmed",
        )
    if submission.channel is Channel.in_person or invitation.resident_code_hash is not None:
        await check_resident_code(session, invitation, submission.resident_code, now)
    # A link or QR code is good only while its token is the current one (a fresh token, or the ticket
    # closing again, replaces it); staff in person go by the invitation itself.
    shown_token = invitation.token_hash if submission.channel is not Channel.in_person else None
    if not await repository.redeem(session, invitation.id, now, token_hash=shown_token):
        # Lost a race, or the state changed since it was read: read it again and say why.
        fresh = await repository.invitation_by_id(session, invitation.id, fresh=True)
        assert fresh is not None
        refuse_unusable(fresh, now)
        if shown_token is not None and fresh.token_hash != shown_token:
            raise _not_found()
        raise Conflict("This ticket has already been rated.", code="already_rated")
    # The invitation is ours now: read the closing it stands for as it is now (it may have closed again).
    ticket = await session.get(ClosedTicket, invitation.ticket_id, populate_existing=True)
    assert ticket is not None
    access.require_not_handled(raters, ticket.handled_by or ())
    scores = submission.scores
    departments = await repository.departments_in(session, ticket.subdistrict_id)
    comment = scores.comment.strip() if scores.comment else None
    rating = Rating(
        ticket_id=ticket.ticket_id,
        invitation_id=invitation.id,
        attitude=scores.attitude,
        ability=scores.ability,
        comment=comment or None,
        channel=submission.channel.value,
        submitted_by=submission.submitted_by,
        resident_confirmed=submission.resident_confirmed,
        social_worker_id=ticket.completed_by,
        station_id=ticket.station_id,
        community_id=ticket.community_id,
        community_name=ticket.community_name,
        subdistrict_id=ticket.subdistrict_id,
        department_id=department_for(departments, ticket.subdistrict_id, ticket.service_category),
        service_category=ticket.service_category,
        ticket_closed_at=ticket.closed_at,
        follow_up_required=needs_follow_up(ScoredRating(scores.attitude, scores.ability)),
        submitted_at=now,
    )
    session.add(rating)
    try:
        await session.flush()
    except IntegrityError as error:  # the unique constraint: another rating of this ticket won
        raise Conflict("This ticket has already been rated.", code="already_rated") from error
    event = submitted_event(rating, ticket.resident_names or ())
    await outbox.add(session, EVALUATION_SUBMITTED, event, subject=str(rating.ticket_id))
    metrics.count_rating(session, rating.subdistrict_id)
    return rating


def submitted_event(rating: Rating, names: Iterable[str] = ()) -> dict[str, Any]:
    """What the department receives. Names no resident."""
    return {
        "rating_id": str(rating.id),
        "ticket_id": str(rating.ticket_id),
        "attitude": rating.attitude,
        "ability": rating.ability,
        # A phone number, e-mail or the resident's name typed into the comment does not travel: masked.
        "comment": mask_text(rating.comment, names) if rating.comment else rating.comment,
        "channel": rating.channel,
        "follow_up_required": rating.follow_up_required,
        "social_worker_id": rating.social_worker_id,
        "station_id": str(rating.station_id),
        "community_id": str(rating.community_id) if rating.community_id else None,
        "community_name": rating.community_name,
        "subdistrict_id": str(rating.subdistrict_id),
        "department_id": str(rating.department_id) if rating.department_id else None,
        "service_category": rating.service_category,
        "ticket_closed_at": rating.ticket_closed_at.isoformat(),
        "submitted_at": rating.submitted_at.isoformat(),
    }


async def submit_with_token(session: AsyncSession, token: str, submission: Submission, now: datetime) -> Rating:
    invitation = await invitation_for_token(session, token)
    return await submit(session, invitation, submission, now)


async def submit_in_person(
    session: AsyncSession,
    invitation_id: uuid.UUID,
    scores: RatingScores,
    resident_confirmed: bool,
    resident_code: str | None,
    principal: Principal,
    now: datetime,
) -> Rating:
    invitation = await repository.invitation_by_id(session, invitation_id)
    access.require_carries_in_person(principal, invitation.station_id if invitation is not None else None)
    assert invitation is not None
    submission = Submission(
        scores=scores,
        channel=Channel.in_person,
        rater_id=None,  # the resident rates; staff only carry the scores
        submitted_by=principal.user_id,
        resident_confirmed=resident_confirmed,
        resident_code=resident_code,
    )
    return await submit(session, invitation, submission, now)


# --- the department's inbox ------------------------------------------------------------------------


async def visible_rating(session: AsyncSession, rating_id: uuid.UUID, principal: Principal) -> Rating:
    scope = access.inbox_scope(principal)
    rating = await repository.get_rating(session, rating_id)
    if rating is None or not scope.covers(rating.subdistrict_id, rating.department_id):
        raise NotFound("No such rating.", code="rating_not_found")
    return rating


async def record_follow_up(
    session: AsyncSession, rating_id: uuid.UUID, data: FollowUpCreate, principal: Principal, now: datetime
) -> FollowUp:
    scope = access.department_scope(principal)
    rating = await repository.get_rating(session, rating_id)
    if rating is None or not scope.covers(rating.subdistrict_id, rating.department_id):
        raise NotFound("No such rating.", code="rating_not_found")
    follow_up = FollowUp(
        rating_id=rating.id,
        department_id=access.uuid_claim(principal.department_id),
        recorded_by=principal.user_id,
        action=data.action.value,
        note=data.note,
        recorded_at=now,
    )
    session.add(follow_up)
    await session.flush()
    await outbox.add(
        session,
        FOLLOW_UP_RECORDED,
        {
            "follow_up_id": str(follow_up.id),
            "rating_id": str(rating.id),
            "ticket_id": str(rating.ticket_id),
            "action": follow_up.action,
            "recorded_by": follow_up.recorded_by,
            "recorded_at": now.isoformat(),
        },
        subject=str(rating.ticket_id),
    )
    return follow_up


# --- appeals ---------------------------------------------------------------------------------------


async def raise_appeal(session: AsyncSession, data: AppealCreate, principal: Principal, now: datetime) -> Appeal:
    """The rated social worker (or their station's secretary) disputes a rating of one of their tickets.
    They never see the rating itself: the appeal names the ticket."""
    rating = await repository.rating_for_ticket(session, data.ticket_id)
    if rating is None or not access.may_appeal(principal, rating.social_worker_id, rating.station_id):
        raise NotFound("No rating of this ticket that the caller may dispute.", code="rating_not_found")
    appeal = Appeal(
        rating_id=rating.id,
        ticket_id=rating.ticket_id,
        subdistrict_id=rating.subdistrict_id,
        raised_by=principal.user_id,
        reason=data.reason,
        raised_at=now,
        status="pending",
    )
    session.add(appeal)
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict("This rating has already been disputed.", code="appeal_exists") from error
    await outbox.add(
        session,
        APPEAL_RAISED,
        {
            "appeal_id": str(appeal.id),
            "rating_id": str(rating.id),
            "ticket_id": str(rating.ticket_id),
            "subdistrict_id": str(rating.subdistrict_id),
            "department_id": str(rating.department_id) if rating.department_id else None,
            "raised_by": appeal.raised_by,
        },
        subject=str(rating.ticket_id),
    )
    return appeal


async def decide_appeal(
    session: AsyncSession, appeal_id: uuid.UUID, data: AppealDecision, principal: Principal, now: datetime
) -> Appeal:
    scope = access.department_scope(principal)
    appeal = await repository.get_appeal(session, appeal_id, for_update=True)
    rating = await repository.get_rating(session, appeal.rating_id) if appeal is not None else None
    if appeal is None or rating is None or not scope.covers(rating.subdistrict_id, rating.department_id):
        raise NotFound("No such appeal.", code="appeal_not_found")
    if appeal.status != "pending":
        raise Conflict(f"The appeal was already {appeal.status}.", code="appeal_already_decided")
    appeal.status = data.outcome.value
    appeal.decided_by = principal.user_id
    appeal.decision_note = data.note
    appeal.decided_at = now
    await session.flush()
    await outbox.add(
        session,
        APPEAL_DECIDED,
        {
            "appeal_id": str(appeal.id),
            "rating_id": str(appeal.rating_id),
            "ticket_id": str(appeal.ticket_id),
            "outcome": appeal.status,
            "decided_by": appeal.decided_by,
            "decided_at": now.isoformat(),
        },
        subject=str(appeal.ticket_id),
    )
    return appeal
