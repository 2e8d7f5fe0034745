from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from evaluation_service.invitations import repository, service
from evaluation_service.invitations.qr import qr_svg, qr_svg_data_uri
from evaluation_service.invitations.schemas import InvitationRead, RatingLink
from evaluation_service.ratings import service as ratings
from evaluation_service.ratings.schemas import InPersonRatingCreate, RatingScores, SubmittedRating
from evaluation_service.settings import EvaluationSettings
from shared.auth import STATION_STAFF, Principal, Role, current_principal, require_roles
from shared.errors import Forbidden
from shared.idempotency import Idempotent, IdempotentRoute
from shared.ids import utcnow
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1/evaluations", tags=["evaluations"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]
Staff = Annotated[Principal, Depends(require_roles(*STATION_STAFF))]


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
    resident_id = None
    if principal.is_district_admin:
        pass
    elif principal.has_role(*STATION_STAFF):
        if station_id is not None and str(station_id) != principal.station_id:
            raise Forbidden("Staff see their own station's invitations.", code="out_of_scope")
        station_id = ratings.uuid_claim(principal.station_id)
        if station_id is None:
            raise Forbidden("No station in the caller's scope.", code="out_of_scope")
    elif principal.has_role(Role.resident):
        resident_id = principal.user_id  # a resident sees their own invitations, nobody else's
    else:
        raise Forbidden("This role sees no invitations.", code="role_required")
    items, next_cursor = await repository.page_invitations(
        session, page, ticket_id=ticket_id, station_id=station_id, resident_id=resident_id
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
async def issue_token(invitation_id: uuid.UUID, request: Request, session: SessionDep, principal: Caller) -> RatingLink:
    issued = await service.issue_token(session, invitation_id, principal, utcnow())
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
    invitation_id: uuid.UUID, data: InPersonRatingCreate, session: SessionDep, principal: Staff
) -> SubmittedRating:
    scores = RatingScores(attitude=data.attitude, ability=data.ability, comment=data.comment)
    try:
        rating = await ratings.submit_in_person(
            session, invitation_id, scores, data.resident_confirmed, data.resident_code, principal, utcnow()
        )
    except ratings.ResidentCodeRefused:
        await session.commit()  # the try counts, although nothing else of this request is kept
        raise
    return SubmittedRating.model_validate(rating)
