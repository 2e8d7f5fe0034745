"""Use cases for the on-site office (现场办公): a hard problem settled at the station over several sessions.

A case opens (directly, or from a ticket's ``onsite_office.requested``), departments and officials are
invited, sessions are held (meetings of kind onsite_office, each closed with minutes), commitments are
recorded with owners and due dates, and the case stays open until it is resolved; then
``onsite_office.resolved`` tells the ticket service.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service import events
from deliberation_service.access import require_station_staff, runs_station
from deliberation_service.audit import service as audit
from deliberation_service.events import outbox
from deliberation_service.meetings import repository as meetings_repository
from deliberation_service.meetings import service as meetings
from deliberation_service.meetings.models import Meeting
from deliberation_service.meetings.schemas import MeetingSummary, SessionCreate
from deliberation_service.meetings.voting import MeetingState
from deliberation_service.onsite_office.models import OnsiteCase, OnsiteCommitment, OnsiteInvitation
from deliberation_service.onsite_office.schemas import (
    CaseCreate,
    CaseRead,
    CommitmentCreate,
    CommitmentRead,
    InvitationsAdd,
    Official,
)
from deliberation_service.stations.repository import known_station
from shared.auth import Principal, Role, claim_id
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.pagination import PageParameters, keyset_page

ENTITY = "onsite_office"
OPEN, RESOLVED = "open", "resolved"


async def invited_departments(session: AsyncSession, case_id: uuid.UUID) -> list[uuid.UUID]:
    query = sa.select(OnsiteInvitation.department_id).where(OnsiteInvitation.case_id == case_id)
    return list((await session.scalars(query.order_by(OnsiteInvitation.id))).all())


def _is_subdistrict_admin(principal: Principal, case: OnsiteCase) -> bool:
    return principal.has_role(Role.subdistrict_admin) and principal.subdistrict_id == str(case.subdistrict_id)


async def can_see(session: AsyncSession, principal: Principal, case: OnsiteCase) -> bool:
    if runs_station(principal, case.station_id) or _is_subdistrict_admin(principal, case):
        return True
    department = claim_id(principal.department_id)
    return (
        principal.has_role(Role.department)
        and department is not None
        and department in await invited_departments(session, case.id)
    )


async def visible_case(
    session: AsyncSession, case_id: uuid.UUID, principal: Principal, *, for_update: bool = False
) -> OnsiteCase:
    query = sa.select(OnsiteCase).where(OnsiteCase.id == case_id)
    if for_update:
        query = query.with_for_update()
    case = (await session.scalars(query)).one_or_none()
    if case is None or not await can_see(session, principal, case):
        raise NotFound("No such on-site office case.", code="case_not_found")
    return case


async def managed_case(session: AsyncSession, case_id: uuid.UUID, principal: Principal) -> OnsiteCase:
    case = await visible_case(session, case_id, principal, for_update=True)
    require_station_staff(principal, case.station_id)
    return case


def _require_open(case: OnsiteCase) -> None:
    if case.state == RESOLVED:
        raise Conflict("The case is resolved.", code="case_resolved")


def case_state(case: OnsiteCase, departments: list[uuid.UUID]) -> dict[str, Any]:
    return {
        "case_id": str(case.id),
        "ticket_id": str(case.ticket_id) if case.ticket_id else None,
        "station_id": str(case.station_id),
        "community_id": str(case.community_id),
        "subdistrict_id": str(case.subdistrict_id),
        "title": case.title,
        "state": case.state,
        "invited_departments": [str(d) for d in departments],
    }


async def _create(
    session: AsyncSession,
    *,
    station_id: uuid.UUID,
    community_id: uuid.UUID,
    subdistrict_id: uuid.UUID,
    title: str,
    description: str,
    ticket_id: uuid.UUID | None,
    departments: list[uuid.UUID],
    officials: list[Official],
    actor_id: str,
    now: datetime,
    case_id: uuid.UUID | None = None,
) -> OnsiteCase:
    case = OnsiteCase(
        station_id=station_id,
        community_id=community_id,
        subdistrict_id=subdistrict_id,
        title=title,
        description=description,
        ticket_id=ticket_id,
        raised_by=actor_id,
        invited_officials=[o.model_dump(mode="json") for o in officials],
        state=OPEN,
        created_at=now,
    )
    if case_id is not None:
        case.id = case_id
    session.add(case)
    await session.flush()
    departments = list(dict.fromkeys(departments))
    for department in departments:
        session.add(OnsiteInvitation(case_id=case.id, department_id=department, invited_at=now))
    await session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        entity_type=ENTITY,
        entity_id=case.id,
        action="open",
        changes={
            "state": (None, OPEN),
            "title": (None, title),
            "ticket_id": (None, ticket_id),
            "invited_departments": (None, departments or None),
            "invited_officials": (None, case.invited_officials or None),
        },
        at=now,
    )
    await outbox.add(
        session,
        events.ONSITE_OFFICE_OPENED,
        {**case_state(case, departments), "opened_at": now.isoformat(), "raised_by": actor_id},
        subject=str(case.id),
    )
    return case


async def open_case(
    session: AsyncSession, data: CaseCreate, principal: Principal, *, now: datetime, case_id: uuid.UUID | None = None
) -> OnsiteCase:
    station = await known_station(session, data.station_id)
    require_station_staff(principal, station.id)
    assert station.community_id is not None  # known_station checked it
    return await _create(
        session,
        station_id=station.id,
        community_id=station.community_id,
        subdistrict_id=station.subdistrict_id,
        title=data.title,
        description=data.description,
        ticket_id=None,
        departments=data.invited_departments,
        officials=data.invited_officials,
        actor_id=principal.user_id,
        now=now,
        case_id=case_id,
    )


async def open_case_from_ticket(session: AsyncSession, data: dict[str, Any], *, now: datetime) -> OnsiteCase:
    """From the ticket service's ``onsite_office.requested``; one case per ticket, whatever is redelivered."""
    ticket_id = uuid.UUID(data["ticket_id"])
    existing = (await session.scalars(sa.select(OnsiteCase).where(OnsiteCase.ticket_id == ticket_id))).one_or_none()
    if existing is not None:
        return existing
    return await _create(
        session,
        station_id=uuid.UUID(data["station_id"]),
        community_id=uuid.UUID(data["community_id"]),
        subdistrict_id=uuid.UUID(data["subdistrict_id"]),
        title=str(data.get("title") or "现场办公")[:200],
        description=str(data.get("description") or data.get("title") or "")[:10000] or "-",
        ticket_id=ticket_id,
        departments=[],
        officials=[],
        actor_id=str(data.get("requested_by") or "ticket"),
        now=now,
    )


async def invite(
    session: AsyncSession, case_id: uuid.UUID, data: InvitationsAdd, principal: Principal, *, now: datetime
) -> OnsiteCase:
    case = await managed_case(session, case_id, principal)
    _require_open(case)
    before = await invited_departments(session, case.id)
    added = [d for d in dict.fromkeys(data.department_ids) if d not in before]
    for department in added:
        session.add(OnsiteInvitation(case_id=case.id, department_id=department, invited_at=now))
    await session.flush()
    officials_before = list(case.invited_officials or [])
    officials_after = officials_before + [o.model_dump(mode="json") for o in data.officials]
    case.invited_officials = officials_after
    audit.record(
        session,
        actor_id=principal.user_id,
        entity_type=ENTITY,
        entity_id=case.id,
        action="invite",
        changes={
            "invited_departments": (before, before + added),
            "invited_officials": (officials_before, officials_after),
        },
        at=now,
    )
    return case


async def schedule_session(
    session: AsyncSession,
    case_id: uuid.UUID,
    data: SessionCreate,
    principal: Principal,
    *,
    now: datetime,
    meeting_id: uuid.UUID | None = None,
) -> Meeting:
    case = await managed_case(session, case_id, principal)
    _require_open(case)
    departments = [str(d) for d in await invited_departments(session, case.id)]
    return await meetings.schedule_session(
        session,
        case_id=case.id,
        station_id=case.station_id,
        community_id=case.community_id,
        subdistrict_id=case.subdistrict_id,
        invited_departments=departments,
        data=data,
        actor_id=principal.user_id,
        now=now,
        meeting_id=meeting_id,
    )


async def _commitment_maker(session: AsyncSession, case_id: uuid.UUID, principal: Principal) -> OnsiteCase:
    """Station staff record commitments; an invited department records its own."""
    case = await visible_case(session, case_id, principal, for_update=True)
    if not (runs_station(principal, case.station_id) or principal.has_role(Role.department)):
        raise Forbidden("Station staff and invited departments record commitments.", code="role_required")
    return case


async def add_commitment(
    session: AsyncSession, case_id: uuid.UUID, data: CommitmentCreate, principal: Principal, *, now: datetime
) -> OnsiteCommitment:
    case = await _commitment_maker(session, case_id, principal)
    _require_open(case)
    meeting = await meetings_repository.get_meeting(session, data.session_id)
    if meeting is None or meeting.case_id != case.id:
        raise Unprocessable("No such session of this case.", field="session_id", code="unknown_session")
    if MeetingState(meeting.state) is MeetingState.SCHEDULED:
        raise Conflict("Commitments are made at a session that has been held.", code="session_not_held")
    if principal.has_role(Role.department) and not runs_station(principal, case.station_id):
        own = claim_id(principal.department_id)
        if data.owner_department_id is None or data.owner_department_id != own:
            raise Forbidden("A department records its own commitments.", code="out_of_scope")
    commitment = OnsiteCommitment(
        case_id=case.id,
        meeting_id=meeting.id,
        description=data.description,
        owner_name=data.owner_name,
        owner_department_id=data.owner_department_id,
        due_date=data.due_date,
        created_at=now,
    )
    session.add(commitment)
    await session.flush()
    audit.record(
        session,
        actor_id=principal.user_id,
        entity_type="commitment",
        entity_id=commitment.id,
        scope_id=case.id,
        action="commit",
        changes={
            "description": (None, data.description),
            "owner_name": (None, data.owner_name),
            "owner_department_id": (None, data.owner_department_id),
            "due_date": (None, data.due_date),
        },
        at=now,
    )
    await outbox.add(
        session,
        events.ONSITE_OFFICE_COMMITMENT_MADE,
        {
            "case_id": str(case.id),
            "commitment_id": str(commitment.id),
            "session_id": str(meeting.id),
            "station_id": str(case.station_id),
            "subdistrict_id": str(case.subdistrict_id),
            "description": commitment.description,
            "owner_name": commitment.owner_name,
            "owner_department_id": str(commitment.owner_department_id) if commitment.owner_department_id else None,
            "due_date": commitment.due_date.isoformat(),
        },
        subject=str(case.id),
    )
    return commitment


async def fulfil_commitment(
    session: AsyncSession, case_id: uuid.UUID, commitment_id: uuid.UUID, principal: Principal, *, now: datetime
) -> OnsiteCommitment:
    case = await _commitment_maker(session, case_id, principal)
    commitment = await session.get(OnsiteCommitment, commitment_id, with_for_update=True)
    if commitment is None or commitment.case_id != case.id:
        raise NotFound("No such commitment.", code="commitment_not_found")
    if principal.has_role(Role.department) and not runs_station(principal, case.station_id):
        if commitment.owner_department_id is None or str(commitment.owner_department_id) != principal.department_id:
            raise Forbidden("A department fulfils its own commitments.", code="out_of_scope")
    if commitment.fulfilled_at is not None:
        raise Conflict("The commitment is already fulfilled.", code="commitment_already_fulfilled")
    audit.record(
        session,
        actor_id=principal.user_id,
        entity_type="commitment",
        entity_id=commitment.id,
        scope_id=case.id,
        action="fulfil",
        changes={"fulfilled_at": (None, now)},
        at=now,
    )
    commitment.fulfilled_at = now
    await outbox.add(
        session,
        events.ONSITE_OFFICE_COMMITMENT_FULFILLED,
        {
            "case_id": str(case.id),
            "commitment_id": str(commitment.id),
            "station_id": str(case.station_id),
            "owner_department_id": str(commitment.owner_department_id) if commitment.owner_department_id else None,
            "due_date": commitment.due_date.isoformat(),
            "fulfilled_at": now.isoformat(),
            "on_time": now.date() <= commitment.due_date,
        },
        subject=str(case.id),
    )
    return commitment


async def resolve(
    session: AsyncSession, case_id: uuid.UUID, outcome: str, principal: Principal, *, now: datetime
) -> OnsiteCase:
    case = await managed_case(session, case_id, principal)
    if case.state == RESOLVED:
        raise Conflict("The case is already resolved.", code="case_already_resolved")
    sessions = await meetings_repository.meetings_of_case(session, case.id)
    held = [s for s in sessions if s.state == MeetingState.CLOSED.value]
    if not held:
        raise Conflict("A case is resolved at a session: none has been held and closed.", code="no_session_held")
    if any(s.state != MeetingState.CLOSED.value for s in sessions):
        raise Conflict("A session is still scheduled or open; close it first.", code="session_pending")
    audit.record(
        session,
        actor_id=principal.user_id,
        entity_type=ENTITY,
        entity_id=case.id,
        action="resolve",
        changes={"state": (case.state, RESOLVED), "outcome": (case.outcome, outcome), "resolved_at": (None, now)},
        at=now,
    )
    case.state = RESOLVED
    case.outcome = outcome
    case.resolved_at = now
    case.resolved_by = principal.user_id
    departments = await invited_departments(session, case.id)
    await outbox.add(
        session,
        events.ONSITE_OFFICE_RESOLVED,
        {
            **case_state(case, departments),
            "outcome": outcome,
            "resolved_at": now.isoformat(),
            "resolved_by": principal.user_id,
            "sessions_held": len(held),
        },
        subject=str(case.id),
    )
    return case


async def read_model(session: AsyncSession, case: OnsiteCase) -> CaseRead:
    sessions = await meetings_repository.meetings_of_case(session, case.id)
    query = sa.select(OnsiteCommitment).where(OnsiteCommitment.case_id == case.id)
    commitments = (await session.scalars(query.order_by(OnsiteCommitment.due_date, OnsiteCommitment.id))).all()
    return CaseRead.model_validate(case).model_copy(
        update={
            "invited_departments": await invited_departments(session, case.id),
            "sessions": [MeetingSummary.model_validate(s) for s in sessions],
            "commitments": [CommitmentRead.model_validate(c) for c in commitments],
        }
    )


async def page_cases(
    session: AsyncSession, parameters: PageParameters, principal: Principal, *, state: str | None = None
) -> tuple[list[OnsiteCase], str | None]:
    query = sa.select(OnsiteCase)
    if principal.is_district_admin:
        pass
    elif principal.has_role(Role.subdistrict_admin) and claim_id(principal.subdistrict_id):
        query = query.where(OnsiteCase.subdistrict_id == claim_id(principal.subdistrict_id))
    elif principal.has_role(Role.department) and claim_id(principal.department_id):
        invited = sa.select(OnsiteInvitation.case_id).where(
            OnsiteInvitation.department_id == claim_id(principal.department_id)
        )
        query = query.where(OnsiteCase.id.in_(invited))
    elif runs_station(principal, claim_id(principal.station_id) or uuid.UUID(int=0)):
        query = query.where(OnsiteCase.station_id == claim_id(principal.station_id))
    else:
        raise Forbidden("This role sees no on-site office cases.", code="role_required")
    if state is not None:
        query = query.where(OnsiteCase.state == state)
    return await keyset_page(session, query, OnsiteCase.id, parameters)
