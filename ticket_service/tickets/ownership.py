"""Loads the people the three responsibility rules choose from, and asks the pure rules to choose.

The catalogue's staff list is the authority on who works where. A station the catalogue has not yet
told us the staff of (an older catalogue) trusts its rota and the caller's verified token instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import STATION_STAFF, Principal
from shared.errors import Unprocessable
from ticket_service.access import is_secretary_of, works_at
from ticket_service.rota import service as rota
from ticket_service.rota.duty import RECEPTION, DutyAnswer
from ticket_service.stations import repository as stations
from ticket_service.stations.copies import StationStaff
from ticket_service.stations.models import StationCopy
from ticket_service.tickets import repository
from ticket_service.tickets.assignment import (
    Assignment,
    AssignmentBasis,
    NoOwnerAvailable,
    Owner,
    OwnerKind,
    SocialWorker,
    assign_backstop,
    assign_first_inquiry,
    designate,
)
from ticket_service.tickets.lifecycle import InvalidInput, ResponsibilityLevel
from ticket_service.tickets.models import Ticket


async def first_inquiry(
    session: AsyncSession,
    station: StationCopy,
    principal: Principal,
    now: datetime,
    *,
    staff: StationStaff | None = None,
) -> tuple[Assignment, str]:
    """Rule 1, with the fall-backs that keep a ticket from ever being without an owner.

    Returns the assignment and the reason code kept in the history. `staff`: the station's staff as the
    in-memory copies hold them (stations/copies.py), instead of reading the staff copies here.
    """
    receiver_id = principal.user_id if principal.has_role(*STATION_STAFF) else None
    has_staff_list = staff.has_list if staff is not None else await stations.has_staff_list(session, station)
    if has_staff_list:
        if staff is not None:
            staff_ids = staff.ids
        else:
            staff_ids = {member.id for member in await stations.station_staff(session, station)}
        if receiver_id is not None and receiver_id in staff_ids:
            # The usual case at the desk: the receiver owns it, and the rota need not be read at all.
            nobody = DutyAnswer(role=RECEPTION, at=now, on_duty=(), next_start_at=None, next_on_duty=())
            assignment = assign_first_inquiry(receiver_id=receiver_id, station_staff=staff_ids, duty=nobody)
            return assignment, assignment.basis.value
        duty = await rota.who_is_on_duty(session, station, RECEPTION, now)
    else:
        duty = await rota.who_is_on_duty(session, station, RECEPTION, now)
        staff_ids = set(duty.person_ids) | set(duty.next_person_ids)
        if receiver_id is not None and works_at(principal, station):
            staff_ids.add(receiver_id)
    try:
        assignment = assign_first_inquiry(receiver_id=receiver_id, station_staff=staff_ids, duty=duty)
        return assignment, assignment.basis.value
    except NoOwnerAvailable:
        pass
    # Nobody on or due on reception duty within the rota's horizon: the community's secretary owns it.
    if staff is not None:
        secretary_id = staff.secretary_id()
    else:
        secretary = await stations.secretary_for(session, station)
        secretary_id = secretary.id if secretary is not None else None
    if secretary_id is not None:
        owner = Owner(OwnerKind.PERSON, secretary_id)
        return Assignment(owner, ResponsibilityLevel.BACKSTOP, AssignmentBasis.SECRETARY_CLAIMED), "nobody_on_duty"
    if principal.is_district_admin:
        # A station with no staff and no rota yet: the district administrator who raised it owns it.
        owner = Owner(OwnerKind.PERSON, principal.user_id)
        return Assignment(owner, ResponsibilityLevel.BACKSTOP, AssignmentBasis.NAMED_PERSON), "district_fallback"
    raise Unprocessable(
        "Nobody at this station can own a ticket yet: no staff on its rota and no secretary.",
        field="station_id",
        code="no_owner_available",
    )


async def social_workers(session: AsyncSession, station: StationCopy, now: datetime) -> list[SocialWorker]:
    workers = await stations.station_staff(session, station, role=stations.SOCIAL_WORKER)
    ids = [worker.id for worker in workers]
    counts = await repository.open_ticket_counts(session, ids)
    last = await repository.last_assigned(session, ids)
    on_leave = await rota.people_on_leave(session, ids, now)
    return [
        SocialWorker(
            person_id=worker.id,
            station_ids=frozenset({str(station.id)}),
            skills=frozenset(worker.service_categories or []),
            open_ticket_count=counts.get(worker.id, 0),
            last_assigned_at=last.get(worker.id),
            on_leave=worker.id in on_leave,
        )
        for worker in workers
    ]


async def designated(
    session: AsyncSession, ticket: Ticket, station: StationCopy, designee_id: str | None, now: datetime
) -> Assignment:
    workers = await social_workers(session, station, now)
    try:
        return designate(
            service_category=ticket.service_category,
            station_id=str(station.id),
            social_workers=workers,
            designee_id=designee_id,
        )
    except InvalidInput as error:
        if designee_id is None:
            raise Unprocessable(
                "No social worker of this station has this skill and is available; name one, or ask the secretary.",
                field="designee_id",
                code=error.reason,
            ) from error
        raise


async def backstop(
    session: AsyncSession,
    ticket: Ticket,
    station: StationCopy,
    principal: Principal | None,
    now: datetime,
    *,
    person_id: str | None = None,
    department_id: str | None = None,
    escalated: bool = False,
) -> Assignment:
    secretary = await stations.secretary_for(session, station)
    secretary_id = secretary.id if secretary is not None else None
    if principal is not None and is_secretary_of(principal, station):
        secretary_id = principal.user_id
    community = [staff.id for staff in await stations.community_staff(session, station)]
    departments = [
        str(department.id) for department in await stations.subdistrict_departments(session, station.subdistrict_id)
    ]
    people = [*community, *([person_id] if person_id else [])]
    on_leave = await rota.people_on_leave(session, people, now)
    return assign_backstop(
        secretary_id=secretary_id,
        community_staff=community,
        subdistrict_department_ids=departments,
        person_id=person_id,
        department_id=department_id,
        people_on_leave=on_leave,
        escalated=escalated,
    )


async def escalation_owner(
    session: AsyncSession, ticket: Ticket, station: StationCopy, to_level: ResponsibilityLevel, now: datetime
) -> tuple[Assignment | None, ResponsibilityLevel]:
    """Who owns a ticket an SLA breach pushed up to ``to_level``, and the level it lands on.

    Nobody to designate: straight to the secretary (backstop). No secretary known: the current owner
    keeps it (None), at the higher level: a ticket is never left without an owner.
    """
    if to_level is ResponsibilityLevel.DESIGNATED:
        try:
            assignment = designate(
                service_category=ticket.service_category,
                station_id=str(station.id),
                social_workers=[
                    worker
                    for worker in await social_workers(session, station, now)
                    if worker.person_id != ticket.owner_id
                ],
            )
            return assignment, to_level
        except NoOwnerAvailable:
            to_level = ResponsibilityLevel.BACKSTOP
    try:
        return await backstop(session, ticket, station, None, now, escalated=True), to_level
    except (NoOwnerAvailable, Unprocessable):  # no secretary: the rule's own error, not an HTTP problem
        return None, to_level
