"""Which functional department of the subdistrict a rating goes to. Pure: no I/O.

The department of the ticket's subdistrict that covers the ticket's service category; failing that the
subdistrict's civil-affairs department (民政, which oversees community social workers); failing that any
department of the subdistrict (lowest id, so the choice is stable). None when the catalogue has told us of
no department there yet: the rating is still in the subdistrict's inbox, which every department user of
that subdistrict sees.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

CIVIL_AFFAIRS = "civil_affairs"


@dataclass(frozen=True, slots=True)
class DepartmentChoice:
    id: uuid.UUID
    kind: str | None
    subdistrict_id: uuid.UUID | None
    service_categories: tuple[str, ...]


def department_for(
    departments: Iterable[DepartmentChoice], subdistrict_id: uuid.UUID, service_category: str | None
) -> uuid.UUID | None:
    local = sorted((d for d in departments if d.subdistrict_id == subdistrict_id), key=lambda d: d.id)
    if service_category:
        for department in local:
            if service_category in department.service_categories:
                return department.id
    for department in local:
        if department.kind == CIVIL_AFFAIRS:
            return department.id
    return local[0].id if local else None
