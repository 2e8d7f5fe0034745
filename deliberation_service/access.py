"""Who may do what: staff run their own station; residents act in their own community."""

from __future__ import annotations

import uuid

from shared.auth import STATION_STAFF, Principal, Role
from shared.errors import Forbidden


def runs_station(principal: Principal | None, station_id: uuid.UUID) -> bool:
    """Station staff (secretaries included) of this station, or the district's administrators."""
    if principal is None:
        return False
    if principal.is_district_admin:
        return True
    return principal.has_role(*STATION_STAFF) and principal.station_id == str(station_id)


def require_station_staff(principal: Principal, station_id: uuid.UUID) -> None:
    if runs_station(principal, station_id):
        return
    if principal.has_role(*STATION_STAFF):
        raise Forbidden("Staff run their own station's projects and meetings.", code="out_of_scope")
    raise Forbidden("Only the station's staff do this.", code="role_required")


def require_resident_of(principal: Principal, community_id: uuid.UUID | None) -> None:
    """Residents register, vote and rate only in their own community."""
    if not principal.has_role(Role.resident):
        raise Forbidden("Only residents do this.", code="role_required")
    if community_id is None or principal.community_id != str(community_id):
        raise Forbidden("Residents take part in their own community's meetings.", code="not_own_community")
