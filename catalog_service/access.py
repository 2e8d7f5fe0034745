"""Who may do what in the catalogue: the issue's access rules, in one place. Pure: no I/O.

- Public (no token): subdistricts, communities, stations and their hours, service lists, departments,
  the wall page, HSDS.
- Station staff (receptionist, social worker, secretary) manage their own station's optional items
  and demands, and ask for resources for their station.
- Departments manage their own resources and answer the requests addressed to them.
- Subdistrict admins do all of that within their subdistrict (structure and staff included).
- District admins do everything. Integration clients read everything and write nothing.
- Anyone else gets 403.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from shared.auth import STATION_STAFF, Principal, Role, optional_principal, require_roles
from shared.errors import Forbidden

# Roles that may read the non-public lists (resources, demands, requests, staff, coverage).
READER_ROLES = (
    Role.receptionist,
    Role.social_worker,
    Role.secretary,
    Role.department,
    Role.subdistrict_admin,
    Role.district_admin,
    Role.integration_client,
)

Reader = Annotated[Principal, Depends(require_roles(*READER_ROLES))]
Administrator = Annotated[Principal, Depends(require_roles(Role.district_admin, Role.subdistrict_admin))]
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


def _same(value: uuid.UUID | str | None, claim: str | None) -> bool:
    return value is not None and claim is not None and str(value) == claim


def sees_everything(principal: Principal) -> bool:
    return principal.has_role(Role.district_admin, Role.integration_client)


def manages_subdistrict(principal: Principal, subdistrict_id: uuid.UUID | str | None) -> bool:
    """District admins everywhere; subdistrict admins inside their own subdistrict (never district level)."""
    if principal.is_district_admin:
        return True
    return principal.has_role(Role.subdistrict_admin) and _same(subdistrict_id, principal.subdistrict_id)


def is_station_staff_of(principal: Principal, station_id: uuid.UUID | str | None) -> bool:
    return principal.has_role(*STATION_STAFF) and _same(station_id, principal.station_id)


def manages_station_lists(
    principal: Principal, station_id: uuid.UUID | str, subdistrict_id: uuid.UUID | str | None
) -> bool:
    """Optional items, demands and resource requests of one station."""
    return is_station_staff_of(principal, station_id) or manages_subdistrict(principal, subdistrict_id)


def manages_provider(
    principal: Principal, department_id: uuid.UUID | str | None, subdistrict_id: uuid.UUID | str | None
) -> bool:
    """A resource's provider side: its department, or the admins over the provider's subdistrict."""
    if principal.has_role(Role.department) and _same(department_id, principal.department_id):
        return True
    return manages_subdistrict(principal, subdistrict_id)


def require(allowed: bool, detail: str, code: str = "out_of_scope") -> None:
    if not allowed:
        raise Forbidden(detail, code=code)
