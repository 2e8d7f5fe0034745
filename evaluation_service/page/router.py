"""The resident's page at /e/{token}: a plain HTML form that posts back to itself."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.directory.models import StaffCopy, StationCopy
from evaluation_service.invitations.models import Invitation
from evaluation_service.invitations.tokens import token_hash, well_formed
from evaluation_service.page import views
from evaluation_service.page.ratelimit import RatingGuard
from evaluation_service.pages import html_response
from evaluation_service.ratings import service
from evaluation_service.ratings.schemas import COMMENT_MAX_LENGTH, Channel, RatingScores
from evaluation_service.tickets.models import ClosedTicket
from shared.auth import principal_async
from shared.clock import Now
from shared.errors import Conflict, Forbidden, NotFound, Problem
from shared.service import SessionDep

router = APIRouter(prefix="/e", tags=["resident page"], include_in_schema=False)


async def _limited(request: Request, token: str) -> HTMLResponse | None:
    guard: RatingGuard = request.app.state.rating_guard
    address = request.client.host if request.client else "unknown"  # as the kernel middleware established it
    wait = await guard.check(address, token_hash(token) if well_formed(token) else None)
    if wait is None:
        return None
    return html_response(views.rate_limited_page(wait), 429, {"Retry-After": str(wait)})


async def _context(session: AsyncSession, invitation: Invitation) -> views.TicketContext:
    station = await session.get(StationCopy, invitation.station_id)
    ticket = await session.get(ClosedTicket, invitation.ticket_id)
    worker = await session.get(StaffCopy, invitation.social_worker_id) if invitation.social_worker_id else None
    station_name = station.name if station is not None else f"{invitation.community_name}家门口服务站"
    return views.TicketContext(
        station_name=station_name,
        service_category=invitation.service_category,
        closed_at=ticket.closed_at if ticket is not None else invitation.created_at,
        social_worker_name=worker.name if worker is not None else None,
    )


def _problem_page(problem: Problem) -> HTMLResponse:
    if isinstance(problem, Conflict):
        return html_response(views.used_page(), 409)
    if isinstance(problem, service.Gone):
        return html_response(views.expired_page(), 410)
    if isinstance(problem, Forbidden):
        return html_response(views.forbidden_page(), 403)
    return html_response(views.not_found_page(), 404)


def wants_html(request: Request) -> bool:
    """These pages are for people: HTML unless the client asks for JSON and not for HTML (an API client
    gets problem+json, as everywhere else)."""
    accept = request.headers.get("accept", "").lower()
    return "text/html" in accept or "json" not in accept


def _not_found(request: Request, page: str | None = None) -> HTMLResponse:
    if not wants_html(request):
        raise NotFound("No such invitation.", code="invitation_not_found")
    return html_response(page or views.not_found_page(), 404)


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
async def incomplete_link(request: Request) -> HTMLResponse:
    """The link without its token: cut off when it was copied, or typed in by hand."""
    limited = await _limited(request, "")
    return limited or _not_found(request, views.incomplete_link_page())


@router.get("/{token}/{rest:path}", response_class=HTMLResponse)
async def extra_path(token: str, rest: str, request: Request) -> HTMLResponse:
    """Something pasted after the token (a chat app glues the next words on): never a valid link."""
    limited = await _limited(request, token)
    return limited or _not_found(request)


def _via(request: Request, value: object = None) -> str:
    via = value if isinstance(value, str) else request.query_params.get("via")
    return Channel.qr.value if via == Channel.qr.value else Channel.link.value


@router.get("/{token}", response_class=HTMLResponse)
async def rating_form(token: str, request: Request, session: SessionDep, now: Now) -> HTMLResponse:
    limited = await _limited(request, token)
    if limited is not None:
        return limited
    try:
        invitation = await service.invitation_for_token(session, token)
        service.refuse_unusable(invitation, now)
    except NotFound:
        return _not_found(request)
    except Problem as problem:
        return _problem_page(problem)
    return html_response(
        views.form_page(await _context(session, invitation), _via(request), asks_code=_asks_code(invitation))
    )


def _asks_code(invitation: Invitation) -> bool:
    """A link a colleague showed at the desk: the rating counts only with the code sent to the resident."""
    return invitation.resident_code_hash is not None


def _read_form(form: Mapping[str, object]) -> tuple[RatingScores | None, views.FormState]:
    state = views.FormState()
    code = form.get("resident_code")
    state.values["resident_code"] = code[:20] if isinstance(code, str) else ""
    scores: dict[str, int] = {}
    for name in ("attitude", "ability"):
        raw = form.get(name)
        raw = raw if isinstance(raw, str) else ""
        state.values[name] = raw
        if raw not in {"1", "2", "3", "4", "5"}:
            state.errors[name] = f"请为{views.DIMENSIONS[name]}选择 1 到 5 分。"
        else:
            scores[name] = int(raw)
    comment = form.get("comment")
    comment = comment if isinstance(comment, str) else ""
    state.values["comment"] = comment
    if len(comment.strip()) > COMMENT_MAX_LENGTH:
        state.errors["comment"] = f"意见建议最多 {COMMENT_MAX_LENGTH} 字。"
    if state.errors:
        return None, state
    return RatingScores(attitude=scores["attitude"], ability=scores["ability"], comment=comment.strip() or None), state


@router.post("/{token}", response_class=HTMLResponse)
async def submit_form(token: str, request: Request, session: SessionDep, now: Now) -> HTMLResponse:
    limited = await _limited(request, token)
    if limited is not None:
        return limited
    try:
        invitation = await service.invitation_for_token(session, token)
        service.refuse_unusable(invitation, now)
    except Problem as problem:
        return _problem_page(problem)
    form = dict((await request.form(max_files=0, max_fields=10)).items())
    scores, state = _read_form(form)
    via = _via(request, form.get("via"))
    asks_code = _asks_code(invitation)
    if scores is None:
        return html_response(views.form_page(await _context(session, invitation), via, state, asks_code=asks_code), 422)
    try:
        principal = await principal_async(request)
        submission = service.Submission(
            scores=scores,
            channel=Channel(via),
            rater_id=principal.user_id if principal is not None else None,
            resident_code=state.values["resident_code"] or None,
        )
        await service.submit(session, invitation, submission, now)
    except service.ResidentCodeRefused as refused:
        await session.commit()  # the try counts, although the rating is not kept
        state.errors["resident_code"] = views.CODE_REFUSALS[refused.refusal]
        return html_response(views.form_page(await _context(session, invitation), via, state, asks_code=True), 422)
    except Problem as problem:
        await session.rollback()  # the page reports it; nothing of this request is kept
        return _problem_page(problem)
    return html_response(views.thanks_page())
