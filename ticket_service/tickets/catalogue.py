"""The service categories and standard items every station offers, as the ticket service names them.

The same list the catalogue shows on every station's wall (7 categories, 规定动作). Item codes are
``<category>.<slug>``; a category code alone stands for "another matter of this category". These are
also the Open311 services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class ServiceItem:
    code: str
    category: str
    name: str
    keywords: str = ""


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    name_en: str


CATEGORIES: Final = (
    Category("party_mass", "党群服务", "Party and mass organisations"),
    Category("government_affairs", "政务服务", "Government affairs"),
    Category("daily_life", "生活服务", "Daily life"),
    Category("legal", "法律服务", "Legal"),
    Category("health", "健康服务", "Health"),
    Category("culture", "文化服务", "Culture"),
    Category("community_management", "社区管理服务", "Community management"),
)
CATEGORY_BY_CODE: Final = {category.code: category for category in CATEGORIES}


def category_name(code: str) -> str:
    """The category's name on the wall (`daily_life` -> 生活服务); an unknown code stands for itself."""
    category = CATEGORY_BY_CODE.get(code)
    return category.name if category is not None else code


_ITEMS: Final = {
    "party_mass": [
        ("party_lessons", "党课学习"), ("online_study", "党员网上学习"), ("meeting_space", "会议场地"),
        ("workers_rights", "职工维权"), ("youth_rights", "青少年维权"), ("hardship_help", "困难群众帮扶"),
    ],
    "government_affairs": [
        ("family_planning", "计划生育咨询"), ("certificates", "证照办理"),
        ("medical_record_book", "医疗记录册换领"), ("video_link", "视频连线受理中心"),
    ],
    "daily_life": [("elderly_care", "独居老人关爱"), ("advice", "生活咨询"), ("printing", "免费上网打印复印")],
    "legal": [
        ("mediation", "人民调解室"), ("legal_service", "法律服务室"), ("legal_library", "法律图书角"),
        ("legal_lecture", "法律讲座"), ("counselling", "心理咨询"), ("lawyer", "律师服务"), ("legal_aid", "法律援助"),
    ],
    "health": [("health_advice", "健康咨询"), ("family_doctor", "家庭医生签约"), ("health_lecture", "健康讲座")],
    "culture": [("performances", "文艺活动"), ("book_lending", "图书借阅"), ("classes", "兴趣课堂")],
    "community_management": [
        ("residents_council", "居民议事"), ("safety", "社区安全"), ("sanitation", "环境卫生"),
        ("property", "物业协调"),
    ],
}  # fmt: skip

ITEMS: Final = tuple(
    [ServiceItem(category.code, category.code, f"{category.name}（其他）") for category in CATEGORIES]
    + [
        ServiceItem(f"{code}.{slug}", code, name, CATEGORY_BY_CODE[code].name)
        for code, entries in _ITEMS.items()
        for slug, name in entries
    ]
)
ITEM_BY_CODE: Final = {item.code: item for item in ITEMS}
