from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status

from evaluation_service import access
from evaluation_service.access import Caller, MaybeCaller
from evaluation_service.invitations.tokens import token_hash, well_formed
from evaluation_service.page.ratelimit import RatingGuard
from evaluation_service.ratings import repository, service
from evaluation_service.ratings.models import Rating
from evaluation_service.ratings.schemas import (
    AppealCreate,
    AppealDecision,
    AppealRead,
    FollowUpCreate,
    FollowUpRead,
    InboxRating,
    SubmittedRating,
    TokenRatingCreate,
)
from shared.clock import Now
from shared.errors import Problem
from shared.idempotency import Idempotent, IdempotentRoute
from shared.pagination import Page, PageParameters, page_parameters
from shared.privacy import mask_text
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1/ratings", tags=["ratings"], route_class=IdempotentRoute)


class TooManyRequests(Problem):
    status, code, title = 429, "too_many_requests", "Too many requests"


async def guard_request(request: Request, token: str | None) -> None:
    """Per client address and per token; raises 429 with Retry-After."""
    guard: RatingGuard = request.app.state.rating_guard
    token_key = token_hash(token) if token is not None and well_formed(token) else None
    wait = await guard.check(request.client.host if request.client else "unknown", token_key)
    if wait is not None:
        raise TooManyRequests(
            f"Too many attempts; retry in {wait} s.", code="rate_limited", headers={"Retry-After": str(wait)}
        )


# Who sees the full free text (comments, follow-up notes, appeals): only its author, in the answer to the
# request that wrote it. Every read (the inbox, one rating, the appeals list, a decision's answer, the
# `evaluation.submitted` event) shows it masked by the kernel's masker (phones in any format, e-mails, the
# names the ticket service knows for the matter), whoever reads, so no full read happens to be recorded.
Names = dict[uuid.UUID, list[str]]


def _masked(text: str | None, names: Iterable[str]) -> str | None:
    return mask_text(text, names) if text else text


def masked_appeal(appeal: AppealRead, names: Names) -> AppealRead:
    known = names.get(appeal.ticket_id, ())
    return appeal.model_copy(
        update={"reason": mask_text(appeal.reason, known), "decision_note": _masked(appeal.decision_note, known)}
    )


def inbox_item(rating: Rating, names: Names) -> InboxRating:
    """A rating as the department reads it: phone numbers, e-mails and the resident's names typed into a
    comment or a note are masked (138****5678, 欧***); the inbox names no resident."""
    known = names.get(rating.ticket_id, ())
    return InboxRating(
        **{name: getattr(rating, name) for name in InboxRating.model_fields if name not in _DERIVED | {"comment"}},
        comment=_masked(rating.comment, known),
        follow_up_done=bool(rating.follow_ups),
        follow_ups=[
            FollowUpRead.model_validate(item).model_copy(update={"note": mask_text(item.note, known)})
            for item in rating.follow_ups
        ],
        appeal=masked_appeal(AppealRead.model_validate(rating.appeal), names) if rating.appeal is not None else None,
    )


_DERIVED = {"follow_up_done", "follow_ups", "appeal"}


@router.post(
    "",
    response_model=SubmittedRating,
    status_code=status.HTTP_201_CREATED,
    summary="Rate a closed ticket with an invitation token (the resident's app)",
    responses={409: {"description": "Already rated"}, 410: {"description": "Invitation expired"}},
    dependencies=[Idempotent],
)
async def submit_rating(
    data: TokenRatingCreate, request: Request, session: SessionDep, principal: MaybeCaller, now: Now
) -> SubmittedRating:
    await guard_request(request, data.token)
    access.require_token_channel(data.channel.value)
    submission = service.Submission(
        scores=data,
        channel=data.channel,
        rater_id=principal.user_id if principal is not None else None,
        resident_code=data.resident_code,
    )
    try:
        rating = await service.submit_with_token(session, data.token, submission, now)
    except service.ResidentCodeRefused:
        await session.commit()  # the try counts, although nothing else of this request is kept
        raise
    return SubmittedRating.model_validate(rating)


@router.get("", response_model=Page[InboxRating], summary="The department's inbox of ratings")
async def list_ratings(
    session: SessionDep,
    principal: Caller,
    page: Annotated[PageParameters, Depends(page_parameters)],
    follow_up: Annotated[
        Literal["required", "open", "done"] | None,
        Query(description="required: flagged (2 or lower); open: flagged and nothing recorded yet; done."),
    ] = None,
    station_id: Annotated[uuid.UUID | None, Query()] = None,
    social_worker_id: Annotated[str | None, Query(max_length=64)] = None,
    department_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[InboxRating]:
    scope = access.inbox_scope(principal)
    items, next_cursor = await repository.page_inbox(
        session,
        page,
        subdistrict_id=scope.subdistrict_id,
        department_id=scope.department_id or department_id,
        station_id=station_id,
        social_worker_id=social_worker_id,
        follow_up=follow_up,
    )
    names = await repository.resident_names(session, (item.ticket_id for item in items))
    return Page(items=[inbox_item(item, names) for item in items], next_cursor=next_cursor)


@router.get("/appeals", response_model=Page[AppealRead], summary="Disputes about ratings")
async def list_appeals(
    session: SessionDep,
    principal: Caller,
    page: Annotated[PageParameters, Depends(page_parameters)],
    status_filter: Annotated[Literal["pending", "upheld", "rejected"] | None, Query(alias="status")] = None,
) -> Page[AppealRead]:
    scope = access.appeals_filter(principal)
    items, next_cursor = await repository.page_appeals(
        session, page, subdistrict_id=scope.subdistrict_id, raised_by=scope.raised_by, status=status_filter
    )
    names = await repository.resident_names(session, (item.ticket_id for item in items))
    return Page(
        items=[masked_appeal(AppealRead.model_validate(item), names) for item in items], next_cursor=next_cursor
    )


@router.post(
    "/appeals",
    response_model=AppealRead,
    status_code=status.HTTP_201_CREATED,
    summary="Dispute a rating",
    dependencies=[Idempotent],
)
async def raise_appeal(data: AppealCreate, session: SessionDep, principal: Caller, now: Now) -> AppealRead:
    return AppealRead.model_validate(await service.raise_appeal(session, data, principal, now))


@router.post(
    "/appeals/{appeal_id}/decision",
    response_model=AppealRead,
    summary="The department decides",
    dependencies=[Idempotent],
)
async def decide_appeal(
    appeal_id: uuid.UUID, data: AppealDecision, session: SessionDep, principal: Caller, now: Now
) -> AppealRead:
    decided = AppealRead.model_validate(await service.decide_appeal(session, appeal_id, data, principal, now))
    # The department wrote the decision note; the reason is the social worker's words: masked for it.
    names = await repository.resident_names(session, [decided.ticket_id])
    return decided.model_copy(update={"reason": mask_text(decided.reason, names.get(decided.ticket_id, ()))})


@router.get("/{rating_id}", response_model=InboxRating)
async def get_rating(rating_id: uuid.UUID, session: SessionDep, principal: Caller) -> InboxRating:
    rating = await service.visible_rating(session, rating_id, principal)
    return inbox_item(rating, await repository.resident_names(session, [rating.ticket_id]))


@router.post(
    "/{rating_id}/follow-ups",
    response_model=FollowUpRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record what the department did about a rating",
    dependencies=[Idempotent],
)
async def record_follow_up(
    rating_id: uuid.UUID, data: FollowUpCreate, session: SessionDep, principal: Caller, now: Now
) -> FollowUpRead:
    return FollowUpRead.model_validate(await service.record_follow_up(session, rating_id, data, principal, now))
