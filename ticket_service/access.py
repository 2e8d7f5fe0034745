"""Who may see and change what, in one place (the routers and use cases ask here)."""

from __future__ import annotations

from shared.auth import STATION_STAFF, Principal, Role
from shared.errors import Forbidden, NotFound
from ticket_service.stations.models import StationCopy


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


# --- the notification service ----------------------------------------------------------------------

# Recorded on each contact read the notifier makes: it reads a resident's phone to text them.
NOTIFY_PURPOSE = "resident_sms"


def reads_contact_to_notify(principal: Principal) -> bool:
    """The notification service (role `notifier`, a service acting for the system, never a person) reads
    the contact of any ticket to text its resident, each read recorded; it sees nothing else of tickets."""
    return principal.has_role(Role.notifier)
