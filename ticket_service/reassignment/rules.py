"""Who is absent at a moment, and who takes an absent owner's ticket. Pure: no I/O.

An owner is absent when the catalogue says they no longer work (removed or deactivated) or when a leave
on the rota covers the moment. Their open tickets go to someone under the responsibility rules: a
social worker by skill and load (``assignment.designate``), else the community's secretary, else a
department of the subdistrict that handles the category (the backstop rule's own choices).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ticket_service.tickets.assignment import (
    Assignment,
    AssignmentBasis,
    NoOwnerAvailable,
    Owner,
    OwnerKind,
    SocialWorker,
    assign_backstop,
    designate,
)
from ticket_service.tickets.lifecycle import ResponsibilityLevel, require_aware

__all__ = [
    "AbsenceReason",
    "Department",
    "LeaveSpan",
    "absent_at",
    "replacement",
]


class AbsenceReason(StrEnum):
    """The history's "why" of a reassignment (``TicketChange.reason``)."""

    OWNER_LEFT = "owner_left"  # the catalogue removed the person (staff.removed)
    OWNER_INACTIVE = "owner_inactive"  # deactivated (staff.updated, active false), or found so by the sweep
    OWNER_ON_LEAVE = "owner_on_leave"  # a leave on the duty rota covers the moment


@dataclass(frozen=True, slots=True)
class LeaveSpan:
    person_id: str
    start_at: datetime
    end_at: datetime  # exclusive: back at work at this moment


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    service_categories: frozenset[str]


def absent_at(*, inactive: Collection[str], leaves: Iterable[LeaveSpan], now: datetime) -> dict[str, AbsenceReason]:
    """Every person absent at ``now`` with why: inactive beats on leave (leaving is the lasting reason).

    People the caller does not list (unknown to the catalogue) are never absent: a station the catalogue
    has not told us the staff of trusts its rota and tokens.
    """
    require_aware(now, "now")
    absent = {
        leave.person_id: AbsenceReason.OWNER_ON_LEAVE
        for leave in leaves
        if _aware(leave.start_at) <= now < _aware(leave.end_at)
    }
    absent.update({person_id: AbsenceReason.OWNER_INACTIVE for person_id in inactive})
    return absent


def _aware(value: datetime) -> datetime:
    require_aware(value, "leave")
    return value


def replacement(
    *,
    level: ResponsibilityLevel,
    service_category: str,
    station_id: str,
    social_workers: Sequence[SocialWorker],
    absent: Collection[str],
    secretary_id: str | None,
    departments: Sequence[Department] = (),
) -> Assignment | None:
    """Who takes a ticket whose owner is absent; None when nobody can (the caller reports it).

    Below backstop: designation by skill and load among the station's social workers who are present.
    At backstop, or when nobody fits: the secretary (unless absent too), then the first department of
    the subdistrict that handles the category. A backstop ticket never goes back down to designation:
    the secretary decided it was beyond a social worker's remit.
    """
    if level is not ResponsibilityLevel.BACKSTOP:
        present = [worker for worker in social_workers if worker.person_id not in absent]
        try:
            return designate(service_category=service_category, station_id=station_id, social_workers=present)
        except NoOwnerAvailable:
            pass
    if secretary_id is not None and secretary_id not in absent:
        return assign_backstop(
            secretary_id=secretary_id, community_staff=(), subdistrict_department_ids=(), escalated=True
        )
    handling = sorted(department.id for department in departments if service_category in department.service_categories)
    if handling:
        return Assignment(
            owner=Owner(OwnerKind.DEPARTMENT, handling[0]),
            level=ResponsibilityLevel.BACKSTOP,
            basis=AssignmentBasis.NAMED_DEPARTMENT,
        )
    return None
