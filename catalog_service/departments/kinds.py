"""The kinds of functional department, with their names on the wall and the categories they usually cover."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DepartmentKind:
    code: str
    subdistrict_name: str  # suffix after the subdistrict's name: 陆家嘴街道 + 民政科
    district_name: str
    categories: tuple[str, ...]


DEPARTMENT_KINDS: tuple[DepartmentKind, ...] = (
    DepartmentKind("acceptance_centre", "社区事务受理服务中心", "区行政服务中心", ("government_affairs",)),
    DepartmentKind("civil_affairs", "民政科", "区民政局", ("daily_life", "community_management")),
    DepartmentKind("justice", "司法所", "区司法局", ("legal",)),
    DepartmentKind("health", "社区卫生服务中心", "区卫生健康委员会", ("health",)),
    DepartmentKind("culture", "社区文化活动中心", "区文化体育和旅游局", ("culture",)),
    DepartmentKind("education", "社区学校", "区教育局", ("culture", "party_mass")),
    DepartmentKind("womens_federation", "妇联", "区妇女联合会", ("party_mass", "daily_life")),
    DepartmentKind("party_building", "党建服务中心", "区委组织部", ("party_mass",)),
)

KIND_BY_CODE = {kind.code: kind for kind in DEPARTMENT_KINDS}
ACCEPTANCE_CENTRE = "acceptance_centre"
