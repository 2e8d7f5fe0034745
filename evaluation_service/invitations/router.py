from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from evaluation_service import access
from evaluation_service.access import Caller, StationStaff
from evaluation_service.invitations import repository, service
from evaluation_service.invitations.qr import qr_svg, qr_svg_data_uri
from evaluation_service.invitations.schemas import InvitationRead, RatingLink
from evaluation_service.ratings import service as ratings
from evaluation_service.ratings.schemas import InPersonRatingCreate, RatingScores, SubmittedRating
from evaluation_service.settings import EvaluationSettings
from shared.clock import Now
from shared.idempotency import Idempotent, IdempotentRoute
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1/evaluations", tags=["evaluations"], route_class=IdempotentRoute)


def public_base_url(request: Request) -> str:
    """Where residents open /e/{token}: configured (EVALUATION_PUBLIC_BASE_URL), never the request's Host."""
    settings: EvaluationSettings = request.app.state.runtime.settings
    return settings.public_base_url.rstrip("/")


@router.get("/invitations", response_model=Page[InvitationRead], summary="Rating invitations of closed tickets")
async def list_invitations(
    session: SessionDep,
    principal: Caller,
    page: Annotated[PageParameters, Depends(page_parameters)],
    ticket_id: Annotated[uuid.UUID | None, Query()] = None,
    station_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[InvitationRead]:
    scope = access.invitation_filter(principal, station_id)
    items, next_cursor = await repository.page_invitations(
        session, page, ticket_id=ticket_id, station_id=scope.station_id, resident_id=scope.resident_id
    )
    return Page(items=[InvitationRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get("/invitations/{invitation_id}", response_model=InvitationRead)
async def get_invitation(invitation_id: uuid.UUID, session: SessionDep, principal: Caller) -> InvitationRead:
    return InvitationRead.model_validate(await service.visible_invitation(session, invitation_id, principal))


@router.post(
    "/invitations/{invitation_id}/token",
    response_model=RatingLink,
    status_code=status.HTTP_201_CREATED,
    summary="A fresh rating link: the resident's own, or a desk QR code bound to the resident by a code",
    description=(
        "The resident gets their own link; so does the notification service (role `notifier`), which texts it "
        "to the ticket's contact phone only, and only while no link was issued for this closing (else 409 "
        "`link_already_issued`: it never replaces a link the resident holds). A station colleague who did not "
        "handle the ticket gets a desk link and QR code that count only with the six-digit code sent to the "
        "resident "
        "(`evaluation.rating_code_issued`). Staff who handled the ticket: 403 `handled_ticket`."
    ),
    responses={
        403: {"description": "The caller handled the ticket"},
        409: {"description": "Rated already; or, for the notifier, a link was already issued for this closing"},
        410: {"description": "Invitation expired"},
    },
    dependencies=[Idempotent],
)
async def issue_token(
    invitation_id: uuid.UUID, request: Request, session: SessionDep, principal: Caller, now: Now
) -> RatingLink:
    issued = await service.issue_token(session, invitation_id, principal, now)
    url = f"{public_base_url(request)}/e/{issued.token}"
    qr_url = f"{url}?via=qr"
    return RatingLink(
        invitation_id=issued.invitation.id,
        token=issued.token,
        url=url,
        qr_url=qr_url,
        qr_svg=qr_svg(qr_url),
        qr_svg_data_uri=qr_svg_data_uri(qr_url),
        expires_at=issued.invitation.expires_at,
        resident_code_required=issued.invitation.resident_code_hash is not None,
        resident_code_expires_at=issued.invitation.resident_code_expires_at,
    )


@router.post(
    "/invitations/{invitation_id}/in-person",
    response_model=SubmittedRating,
    status_code=status.HTTP_201_CREATED,
    summary="Submit the resident's rating in person, with the code the resident received",
    description=(
        "A station colleague who did not handle the ticket carries the scores once the resident confirmed "
        "them and read out the code sent to their phone (ask for a desk link first: that sends it). "
        "Staff who handled the ticket: 403 `rater_handled_ticket`."
    ),
    responses={403: {"description": "The caller handled the ticket"}, 410: {"description": "Invitation expired"}},
    dependencies=[Idempotent],
)
async def rate_in_person(
    invitation_id: uuid.UUID, data: InPersonRatingCreate, session: SessionDep, principal: StationStaff, now: Now
) -> SubmittedRating:
    scores = RatingScores(attitude=data.attitude, ability=data.ability, comment=data.comment)
    try:
        rating = await ratings.submit_in_person(
            session, invitation_id, scores, data.resident_confirmed, data.resident_code, principal, now
        )
    except ratings.ResidentCodeRefused:
        await session.commit()  # the try counts, although nothing else of this request is kept
        raise
    return SubmittedRating.model_validate(rating)
