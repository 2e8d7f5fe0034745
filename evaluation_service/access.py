"""Who may see and do what in the evaluation service: every scope and permission rule, in one place.

Pure: no I/O. Routers and use cases ask here; what a refusal looks like (403, or 404 so that an outsider
learns nothing) is decided here too.

- Invitations: district admins see all; station staff their station's; a resident their own.
- Rating links: the resident's own (their account, or texted by the notifier), or a desk link for a
  colleague of the station who did not handle the ticket. Whoever handled it gets none.
- Ratings: whoever rates, carries the scores in person, or owns the resident account must not have handled
  the ticket. In person only through the staff app, by staff of the ticket's station.
- The inbox, one rating, follow-ups, appeal decisions: the functional departments (their subdistrict, or
  what was routed to a district-level department), subdistrict admins read, district admins see all.
- Appeals: the rated social worker or their station's secretary raises one; departments and admins list
  their subdistrict's, staff their own.
- Reports and assessments: district admins and integrations everything; departments and subdistrict
  admins their subdistrict; station staff their station (a social worker's assessment: their own).
  Residents none.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends

from shared.auth import (
    STATION_STAFF,
    Principal,
    Role,
    current_principal,
    optional_principal,
    overseen_subdistrict,
    require_roles,
)
from shared.errors import Forbidden, NotFound

Caller = Annotated[Principal, Depends(current_principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]
StationStaff = Annotated[Principal, Depends(require_roles(*STATION_STAFF))]


def uuid_claim(value: str | None) -> uuid.UUID | None:
    """A scope claim of the caller's token as an id (a claim that is not one: 403 `invalid_scope`)."""
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise Forbidden("The token's scope is not readable.", code="invalid_scope") from error


def _same(value: uuid.UUID | str | None, claim: str | None) -> bool:
    return value is not None and claim is not None and str(value) == claim


def works_at(principal: Principal, station_id: uuid.UUID | str | None) -> bool:
    """Station staff (receptionist, social worker, secretary) of this station."""
    return principal.has_role(*STATION_STAFF) and _same(station_id, principal.station_id)


def _invitation_not_found() -> NotFound:
    return NotFound("No such invitation.", code="invitation_not_found")


# --- invitations and rating links ----------------------------------------------------------------


def is_resident_of(principal: Principal, resident_id: str | None) -> bool:
    return principal.has_role(Role.resident) and resident_id is not None and resident_id == principal.user_id


def is_notifier(principal: Principal) -> bool:
    """The notification service, which texts the resident's own link to the ticket's contact phone.

    Only a caller that is nothing but the notifier: a person holding another role too gets no link this way.
    """
    return principal.roles == frozenset({Role.notifier.value})


def sees_invitation(principal: Principal, resident_id: str | None, station_id: uuid.UUID) -> bool:
    return principal.is_district_admin or is_resident_of(principal, resident_id) or works_at(principal, station_id)


@dataclass(frozen=True, slots=True)
class InvitationFilter:
    station_id: uuid.UUID | None
    resident_id: str | None


def invitation_filter(principal: Principal, station_id: uuid.UUID | None) -> InvitationFilter:
    """Which invitations a caller lists: district admins any (filter as asked), station staff their
    station's (another station: 403), a resident their own, nobody else any."""
    if principal.is_district_admin:
        return InvitationFilter(station_id, None)
    if principal.has_role(*STATION_STAFF):
        if station_id is not None and str(station_id) != principal.station_id:
            raise Forbidden("Staff see their own station's invitations.", code="out_of_scope")
        own = uuid_claim(principal.station_id)
        if own is None:
            raise Forbidden("No station in the caller's scope.", code="out_of_scope")
        return InvitationFilter(own, None)
    if principal.has_role(Role.resident):
        return InvitationFilter(station_id, principal.user_id)  # a resident sees their own, nobody else's
    raise Forbidden("This role sees no invitations.", code="role_required")


class LinkKind(StrEnum):
    own = "own"  # the resident's own link: no code
    desk = "desk"  # shown at the station: counts only with the code sent to the resident


def link_kind(
    principal: Principal, resident_id: str | None, station_id: uuid.UUID, handled_by: Iterable[str]
) -> LinkKind:
    """Which link a caller gets for an invitation. Staff who handled the ticket: 403 `handled_ticket`.
    The resident and the notifier: their own link. A colleague of the station: a desk link. Anyone else
    learns nothing of the invitation (404)."""
    at_station = works_at(principal, station_id)
    if at_station and principal.user_id in set(handled_by):
        raise Forbidden("Staff who handled a ticket never get a link to rate it.", code="handled_ticket")
    if is_resident_of(principal, resident_id) or is_notifier(principal):
        return LinkKind.own
    if not at_station:
        raise _invitation_not_found()
    return LinkKind.desk


def replaces_issued_link(principal: Principal) -> bool:
    """Whoever may replace a link already issued for this closing: anyone but the notifier, whose SMS carries
    the first link only (it never stops a link the resident or a colleague at the desk already holds)."""
    return not is_notifier(principal)


# --- submitting a rating ---------------------------------------------------------------------------


def require_not_handled(raters: Iterable[str | None], handled_by: Iterable[str | None]) -> None:
    """Whoever rates, whoever carries the scores in person, and the resident's own account: none of them
    may be someone who handled the matter (403 `rater_handled_ticket`)."""
    if (set(raters) - {None}) & (set(handled_by) - {None}):
        raise Forbidden("A staff member never rates a ticket they handled.", code="rater_handled_ticket")


def require_token_channel(channel: str) -> None:
    """A token rating comes from the resident (link, QR code, app); in person only through the staff app."""
    if channel == "in_person":
        raise Forbidden("In-person ratings go through the staff app.", code="channel_not_allowed")


def require_carries_in_person(principal: Principal, station_id: uuid.UUID | None) -> None:
    """In person: staff of the ticket's station; anyone else learns nothing of the invitation (404)."""
    if station_id is None or not works_at(principal, station_id):
        raise _invitation_not_found()


# --- the department's inbox, follow-ups and appeals ------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboxScope:
    subdistrict_id: uuid.UUID | None
    department_id: uuid.UUID | None

    def covers(self, subdistrict_id: uuid.UUID, department_id: uuid.UUID | None) -> bool:
        if self.subdistrict_id is not None and subdistrict_id != self.subdistrict_id:
            return False
        return self.department_id is None or department_id == self.department_id


def inbox_scope(principal: Principal) -> InboxScope:
    """District admins see every rating; a subdistrict's departments and admin see that subdistrict's;
    a district-level department sees what was routed to it. Station staff and residents see none."""
    if principal.is_district_admin:
        return InboxScope(None, None)
    if principal.has_role(Role.department, Role.subdistrict_admin):
        subdistrict_id = uuid_claim(principal.subdistrict_id)
        if subdistrict_id is not None:
            return InboxScope(subdistrict_id, None)
        department_id = uuid_claim(principal.department_id)
        if department_id is not None and principal.has_role(Role.department):
            return InboxScope(None, department_id)
    raise Forbidden("Only the functional departments read ratings.", code="role_required")


def department_scope(principal: Principal) -> InboxScope:
    """Follow-ups and appeal decisions: a functional department only, within its inbox."""
    if not principal.has_role(Role.department):
        raise Forbidden("Only a functional department does this.", code="role_required")
    return inbox_scope(principal)


def may_appeal(principal: Principal, social_worker_id: str | None, station_id: uuid.UUID) -> bool:
    """The rated social worker, or the secretary of the rating's station."""
    if social_worker_id is not None and principal.user_id == social_worker_id:
        return True
    return principal.has_role(Role.secretary) and _same(station_id, principal.station_id)


@dataclass(frozen=True, slots=True)
class AppealsFilter:
    subdistrict_id: uuid.UUID | None
    raised_by: str | None


def appeals_filter(principal: Principal) -> AppealsFilter:
    """Departments and subdistrict admins see their subdistrict's appeals, staff their own."""
    if principal.is_district_admin:
        return AppealsFilter(None, None)
    if principal.has_role(Role.department, Role.subdistrict_admin) and principal.subdistrict_id:
        return AppealsFilter(uuid_claim(principal.subdistrict_id), None)
    if principal.has_role(*STATION_STAFF):
        return AppealsFilter(None, principal.user_id)
    raise Forbidden("This role sees no appeals.", code="role_required")


# --- reports and assessments -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportScope:
    subdistrict_id: uuid.UUID | None
    station_id: uuid.UUID | None
    staff_id: str | None = None  # set: the caller sees only this social worker's assessment


def _narrow(own: uuid.UUID | None, requested: uuid.UUID | None, what: str) -> uuid.UUID | None:
    if own is None:
        return requested
    if requested is not None and requested != own:
        raise Forbidden(f"Outside the caller's {what}.", code="out_of_scope")
    return own


def report_scope(
    principal: Principal,
    subdistrict_id: uuid.UUID | None,
    station_id: uuid.UUID | None,
    *,
    subdistrict_level: bool = False,
    assessment: bool = False,
) -> ReportScope:
    """District admins and integrations: everything. A subdistrict's departments and admin: that
    subdistrict. A station's secretary: that station. A social worker: their own assessment, and their
    station's figures. Residents: none (a report is about staff, and no resident's answer is shown)."""
    if principal.is_district_admin or principal.has_role(Role.integration_client):
        return ReportScope(subdistrict_id, station_id)
    if principal.has_role(Role.department, Role.subdistrict_admin):
        own = uuid_claim(principal.subdistrict_id)
        if own is None and principal.has_role(Role.subdistrict_admin):
            raise Forbidden("No subdistrict in the caller's scope.", code="out_of_scope")
        return ReportScope(_narrow(own, subdistrict_id, "subdistrict"), station_id)
    if principal.has_role(*STATION_STAFF):
        own_station = uuid_claim(principal.station_id)
        if own_station is None or subdistrict_level:
            raise Forbidden("Station staff see their own station's figures.", code="out_of_scope")
        staff_id = principal.user_id if assessment and not principal.has_role(Role.secretary) else None
        return ReportScope(
            uuid_claim(principal.subdistrict_id) if subdistrict_id is None else subdistrict_id,
            _narrow(own_station, station_id, "station"),
            staff_id,
        )
    raise Forbidden("This role sees no evaluation reports.", code="role_required")


def assessed_staff(scope: ReportScope, requested: str | None) -> str | None:
    """Whose assessment a caller reads: a social worker only their own (another's: 403)."""
    if scope.staff_id is not None and requested is not None and requested != scope.staff_id:
        raise Forbidden("A social worker sees their own assessment.", code="out_of_scope")
    return requested or scope.staff_id


def overview_subdistrict(principal: Principal) -> uuid.UUID | None:
    """Whose figures the district overview shows: the kernel's rule for administrators' areas."""
    return overseen_subdistrict(principal)
