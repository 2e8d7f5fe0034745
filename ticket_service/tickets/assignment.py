"""The three responsibility rules: who owns a resident's request.

Pure rules: the caller loads staff, workloads and the duty answer; these functions only decide.
Every function returns an ``Assignment`` with a real owner or raises — a ticket is never left
without an owner (``NoOwnerAvailable`` tells the caller to go one level up, finally to the secretary).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

from ticket_service.rota.duty import DutyAnswer
from ticket_service.tickets.lifecycle import InvalidInput, ResponsibilityLevel, require_aware

__all__ = [
    "Assignment",
    "AssignmentBasis",
    "NoOwnerAvailable",
    "Owner",
    "OwnerKind",
    "SocialWorker",
    "assign_backstop",
    "assign_first_inquiry",
    "designate",
    "rank_social_workers",
]


class NoOwnerAvailable(InvalidInput):
    """Nobody can take the ticket at this level; the caller must escalate or ask the secretary."""


class OwnerKind(StrEnum):
    PERSON = "person"
    DEPARTMENT = "department"  # a subdistrict functional department, named under backstop


@dataclass(frozen=True, slots=True)
class Owner:
    kind: OwnerKind
    id: str


class AssignmentBasis(StrEnum):
    """Why this owner — stored in the ticket's append-only history as the "why"."""

    RECEIVER = "receiver"  # first inquiry: the staff member the resident consulted
    ON_DUTY = "on_duty"  # first inquiry: on reception duty at that moment
    NEXT_SHIFT = "next_shift"  # first inquiry: nobody on duty, the next shift's duty person
    NAMED_DESIGNEE = "named_designee"  # designated: chosen by name
    SKILL_AND_WORKLOAD = "skill_and_workload"  # designated: chosen automatically
    NAMED_PERSON = "named_person"  # backstop: the secretary named a person
    NAMED_DEPARTMENT = "named_department"  # backstop: the secretary named a department
    SECRETARY_CLAIMED = "secretary_claimed"  # backstop: the secretary took it personally
    SECRETARY_BY_ESCALATION = "secretary_by_escalation"  # backstop reached by an SLA breach


@dataclass(frozen=True, slots=True)
class Assignment:
    owner: Owner
    level: ResponsibilityLevel
    basis: AssignmentBasis
    # Set when the owner's shift has not started yet (outside opening hours): the resident is told
    # the station opens then, and the acceptance clock only runs in working minutes anyway.
    waits_until: datetime | None = None

    @property
    def owner_id(self) -> str:
        return self.owner.id


# --- 1. first inquiry -------------------------------------------------------------------------------


def assign_first_inquiry(
    *,
    receiver_id: str | None,
    station_staff: Collection[str],
    duty: DutyAnswer,
) -> Assignment:
    """The receiver if they work at the station, else reception duty now, else the next shift.

    ``duty`` is the reception ``duty_answer`` for the station at the moment of intake. People on the
    rota who are not (or no longer) on the station's staff list are skipped: the catalogue's staff
    list is the authority, a stale rota is not.
    """
    if receiver_id is not None:
        _require_id(receiver_id, "receiver_id")
        if receiver_id in station_staff:
            return _person(receiver_id, ResponsibilityLevel.FIRST_INQUIRY, AssignmentBasis.RECEIVER)
    for person_id in duty.person_ids:
        if person_id in station_staff:
            return _person(person_id, ResponsibilityLevel.FIRST_INQUIRY, AssignmentBasis.ON_DUTY)
    for person_id in duty.next_person_ids:
        if person_id in station_staff:
            return _person(
                person_id,
                ResponsibilityLevel.FIRST_INQUIRY,
                AssignmentBasis.NEXT_SHIFT,
                waits_until=duty.next_start_at,
            )
    raise NoOwnerAvailable("duty_rota", "nobody_on_duty", "no staff member on or due on reception duty")


# --- 2. designated ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SocialWorker:
    """What designation needs to know about one social worker (loaded by the caller)."""

    person_id: str
    station_ids: frozenset[str]
    skills: frozenset[str]  # service categories (or items) they handle
    open_ticket_count: int = 0
    last_assigned_at: datetime | None = None
    on_leave: bool = False


_NEVER: Final = datetime.min.replace(tzinfo=UTC)


def rank_social_workers(
    *, service_category: str, station_id: str, social_workers: Sequence[SocialWorker]
) -> list[SocialWorker]:
    """Eligible workers, best first: has the skill and is not on leave; then fewest open tickets,
    then longest since last assigned (never assigned first), then person id so ties are stable."""
    _require_id(service_category, "service_category")
    _check_social_workers(social_workers)
    eligible = [
        worker
        for worker in social_workers
        if station_id in worker.station_ids and service_category in worker.skills and not worker.on_leave
    ]
    return sorted(
        eligible,
        key=lambda worker: (
            worker.open_ticket_count,
            worker.last_assigned_at is not None,
            worker.last_assigned_at.astimezone(UTC) if worker.last_assigned_at is not None else _NEVER,
            worker.person_id,
        ),
    )


def designate(
    *,
    service_category: str,
    station_id: str,
    social_workers: Sequence[SocialWorker],
    designee_id: str | None = None,
) -> Assignment:
    """A social worker for an ordinary hard problem, by name or chosen automatically.

    A named designee must belong to the station and not be on leave; their skills are not checked —
    the owner or secretary who names them knows the case better than the skill list does.
    """
    _require_id(service_category, "service_category")
    _require_id(station_id, "station_id")
    _check_social_workers(social_workers)
    if designee_id is not None:
        _require_id(designee_id, "designee_id")
        worker = next(
            (
                worker
                for worker in social_workers
                if worker.person_id == designee_id and station_id in worker.station_ids
            ),
            None,
        )
        if worker is None:
            raise InvalidInput("designee_id", "designee_not_at_station")
        if worker.on_leave:
            raise InvalidInput("designee_id", "designee_on_leave")
        return _person(designee_id, ResponsibilityLevel.DESIGNATED, AssignmentBasis.NAMED_DESIGNEE)
    ranked = rank_social_workers(
        service_category=service_category, station_id=station_id, social_workers=social_workers
    )
    if ranked:
        return _person(ranked[0].person_id, ResponsibilityLevel.DESIGNATED, AssignmentBasis.SKILL_AND_WORKLOAD)
    skilled = [
        worker for worker in social_workers if station_id in worker.station_ids and service_category in worker.skills
    ]
    reason = "skilled_social_workers_on_leave" if skilled else "no_social_worker_with_skill"
    raise NoOwnerAvailable("service_category", reason)


def _check_social_workers(social_workers: Sequence[SocialWorker]) -> None:
    seen: set[str] = set()
    for index, worker in enumerate(social_workers):
        prefix = f"social_workers[{index}]"
        _require_id(worker.person_id, f"{prefix}.person_id")
        if worker.person_id in seen:
            raise InvalidInput(f"{prefix}.person_id", "duplicate_person")
        seen.add(worker.person_id)
        if worker.open_ticket_count < 0:
            raise InvalidInput(f"{prefix}.open_ticket_count", "negative")
        if worker.last_assigned_at is not None:
            require_aware(worker.last_assigned_at, f"{prefix}.last_assigned_at")


# --- 3. backstop ------------------------------------------------------------------------------------


def assign_backstop(
    *,
    secretary_id: str | None,
    community_staff: Collection[str],
    subdistrict_department_ids: Collection[str],
    person_id: str | None = None,
    department_id: str | None = None,
    people_on_leave: Collection[str] = frozenset(),
    escalated: bool = False,
) -> Assignment:
    """The secretary names a person or a department, or (naming nobody) owns it personally.

    ``escalated`` marks the automatic case: an SLA breach pushed the ticket here and nobody has
    decided yet, so it lands with the secretary until they name someone.
    """
    if person_id is not None and department_id is not None:
        raise InvalidInput("department_id", "person_and_department_both_named")
    if person_id is not None:
        _require_id(person_id, "person_id")
        if person_id not in community_staff and person_id != secretary_id:
            raise InvalidInput("person_id", "person_not_in_community")
        if person_id in people_on_leave:
            raise InvalidInput("person_id", "person_on_leave")
        return _person(person_id, ResponsibilityLevel.BACKSTOP, AssignmentBasis.NAMED_PERSON)
    if department_id is not None:
        _require_id(department_id, "department_id")
        if department_id not in subdistrict_department_ids:
            raise InvalidInput("department_id", "department_not_in_subdistrict")
        return Assignment(
            owner=Owner(OwnerKind.DEPARTMENT, department_id),
            level=ResponsibilityLevel.BACKSTOP,
            basis=AssignmentBasis.NAMED_DEPARTMENT,
        )
    if secretary_id is None or not secretary_id.strip():
        # The last rung: with no secretary there is nobody to own it — the caller must surface this.
        raise NoOwnerAvailable("secretary_id", "no_secretary")
    basis = AssignmentBasis.SECRETARY_BY_ESCALATION if escalated else AssignmentBasis.SECRETARY_CLAIMED
    return _person(secretary_id, ResponsibilityLevel.BACKSTOP, basis)


# --- helpers ----------------------------------------------------------------------------------------


def _person(
    person_id: str,
    level: ResponsibilityLevel,
    basis: AssignmentBasis,
    waits_until: datetime | None = None,
) -> Assignment:
    return Assignment(owner=Owner(OwnerKind.PERSON, person_id), level=level, basis=basis, waits_until=waits_until)


def _require_id(value: str, field_name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field_name, "required")
