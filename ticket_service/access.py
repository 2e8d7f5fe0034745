"""Who may see and change what, in one place (the routers and use cases ask here)."""

from __future__ import annotations

import uuid

from shared.auth import STATION_STAFF, Principal, Role, overseen_subdistrict
from shared.errors import Forbidden, NotFound
from ticket_service.stations.models import StaffCopy, StationCopy
from ticket_service.tickets.models import Ticket
from ticket_service.tickets.visibility import can_see, owns


def works_at(principal: Principal, station: StationCopy) -> bool:
    """Station staff at this station, or the secretary of its community."""
    if principal.has_role(*STATION_STAFF) and principal.station_id == str(station.id):
        return True
    return (
        principal.has_role(Role.secretary)
        and station.community_id is not None
        and principal.community_id == str(station.community_id)
    )


def is_secretary_of(principal: Principal, station: StationCopy) -> bool:
    if not principal.has_role(Role.secretary):
        return False
    if station.community_id is not None and principal.community_id == str(station.community_id):
        return True
    return principal.station_id == str(station.id)


def in_subdistrict(principal: Principal, station: StationCopy) -> bool:
    return principal.subdistrict_id is not None and principal.subdistrict_id == str(station.subdistrict_id)


def can_read_rota(principal: Principal, station: StationCopy) -> bool:
    if principal.is_district_admin or works_at(principal, station):
        return True
    return principal.has_role(Role.department, Role.subdistrict_admin) and in_subdistrict(principal, station)


def can_manage_rota(principal: Principal, station: StationCopy) -> bool:
    if principal.is_district_admin or is_secretary_of(principal, station):
        return True
    return principal.has_role(Role.subdistrict_admin) and in_subdistrict(principal, station)


def require_rota_reader(principal: Principal, station: StationCopy | None) -> StationCopy:
    if station is None:
        raise NotFound("No such station.", code="station_not_found")
    if not can_read_rota(principal, station):
        raise Forbidden("This station's rota is for its staff and its subdistrict.", code="out_of_scope")
    return station


def require_rota_manager(principal: Principal, station: StationCopy | None) -> StationCopy:
    station = require_rota_reader(principal, station) if not principal.is_district_admin else station
    if station is None:
        raise NotFound("No such station.", code="station_not_found")
    if not can_manage_rota(principal, station):
        raise Forbidden("The community's secretary or an administrator keeps the rota.", code="rota_manager_required")
    return station


# --- reassigning an absent owner's tickets (ticket_service/reassignment) ------------------------------


def may_reassign_in_bulk(principal: Principal) -> bool:
    """Secretaries (their community's stations) and administrators move someone's open tickets at once."""
    return principal.has_role(Role.secretary, Role.subdistrict_admin, Role.district_admin)


def reassigns_tickets_of(principal: Principal, staff: StaffCopy) -> bool:
    """A known staff member's tickets: a secretary moves those of their community's people, a subdistrict
    administrator those of the subdistrict's (across scope: 403, as for the rota)."""
    if principal.is_district_admin:
        return True
    if principal.has_role(Role.secretary):
        mine = (principal.community_id, principal.station_id)
        return any(value is not None and str(value) in mine for value in (staff.community_id, staff.station_id))
    return principal.has_role(Role.subdistrict_admin) and (
        staff.subdistrict_id is not None and principal.subdistrict_id == str(staff.subdistrict_id)
    )


def reassigns_at(principal: Principal, station: StationCopy) -> bool:
    if principal.is_district_admin or is_secretary_of(principal, station):
        return True
    return principal.has_role(Role.subdistrict_admin) and in_subdistrict(principal, station)


# --- the notification service ----------------------------------------------------------------------

# Recorded on each contact read the notifier makes: it reads a resident's phone to text them.
NOTIFY_PURPOSE = "resident_sms"


def reads_contact_to_notify(principal: Principal) -> bool:
    """The notification service (role `notifier`, a service acting for the system, never a person) reads
    the contact of any ticket to text its resident, each read recorded; it sees nothing else of tickets."""
    return principal.has_role(Role.notifier)


# --- notes and public replies (ticket_service/replies) -----------------------------------------------

# Who reads a ticket's internal notes: staff of the district within their scope, never the resident, an
# integration (another district system) or the notifier.
_NOTE_READERS = (*STATION_STAFF, Role.department, Role.subdistrict_admin, Role.district_admin)


def writes_on_ticket(principal: Principal, ticket: Ticket, station: StationCopy) -> bool:
    """Who writes notes and public replies on a ticket: whoever works it (as for its transitions)."""
    return principal.is_district_admin or owns(principal, ticket) or works_at(principal, station)


def reads_notes(principal: Principal, ticket: Ticket) -> bool:
    return can_see(principal, ticket) and principal.has_role(*_NOTE_READERS)


# --- handovers: transfer, return, duplicates, asking for the backstop (ticket_service/handovers) ------


def hands_over(principal: Principal, ticket: Ticket, station: StationCopy) -> bool:
    """Who moves a ticket to another station, or returns it: its owner, the secretary of the station it is
    at, a district administrator (subdistrict administrators do not see tickets)."""
    return principal.is_district_admin or owns(principal, ticket) or is_secretary_of(principal, station)


def links_duplicates(principal: Principal, ticket: Ticket, station: StationCopy) -> bool:
    """Who links a ticket as a duplicate (on the duplicate and on its parent): whoever works it."""
    return writes_on_ticket(principal, ticket, station)


def asks_for_backstop(principal: Principal, ticket: Ticket) -> bool:
    """The owner, a person at the station, asks the secretary for the backstop (the secretary applies it)."""
    return ticket.owner_kind == "person" and owns(principal, ticket) and principal.has_role(*STATION_STAFF)


# --- SLA policies and a ticket's priority (ticket_service/sla_policies) -----------------------------

_SLA_POLICY_READERS = (*STATION_STAFF, Role.department, Role.subdistrict_admin, Role.district_admin)


def reads_sla_policies(principal: Principal) -> bool:
    """The district's staff read the budgets their tickets run on; residents and integrations do not."""
    return principal.has_role(*_SLA_POLICY_READERS)


def sets_sla_policies(principal: Principal) -> bool:
    return principal.is_district_admin


def sets_priority(principal: Principal, ticket: Ticket, station: StationCopy) -> bool:
    """The station's staff, the community's secretary, whoever owns it, and district admins."""
    return principal.is_district_admin or owns(principal, ticket) or works_at(principal, station)


# --- attachments (ticket_service/attachments) --------------------------------------------------------


def handles_attachments(principal: Principal, ticket: Ticket, station: StationCopy) -> bool:
    """Who attaches files to a ticket and sees them: whoever works it (its owner, the station's staff, the
    community's secretary, district administrators). A photo of a resident's home is theirs to handle:
    departments of the subdistrict, the resident's own account and integrations see the ticket, not its files."""
    return principal.is_district_admin or owns(principal, ticket) or works_at(principal, station)


def removes_attachment(principal: Principal, uploaded_by: str, station: StationCopy) -> bool:
    """Who removes an attachment: whoever uploaded it, the community's secretary, district administrators."""
    return principal.is_district_admin or principal.user_id == uploaded_by or is_secretary_of(principal, station)


def overview_subdistrict(principal: Principal) -> uuid.UUID | None:
    """Whose figures the district overview shows: the kernel's rule for administrators' areas."""
    return overseen_subdistrict(principal)
