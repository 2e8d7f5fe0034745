"""The 7 standard service categories (规定动作) every station offers, with their standard items.

Pure data: the same at every station, in the old city and in the villages alike.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.errors import Unprocessable
from shared.ids import stable_id


@dataclass(frozen=True)
class ServiceCategory:
    code: str
    name: str  # as it appears on the station's wall
    name_en: str
    standard_items: tuple[str, ...]

    @property
    def items(self) -> tuple[tuple[str, str], ...]:
        """(item code, name) of each standard item, in wall order."""
        return tuple((standard_item_code(self.code, name), name) for name in self.standard_items)


STANDARD_CATEGORIES: tuple[ServiceCategory, ...] = (
    ServiceCategory(
        "party_mass", "党群服务", "Party and mass organisations",
        ("党课学习", "党员网上学习", "会议场地", "职工维权", "青少年维权", "困难群众帮扶"),
    ),
    ServiceCategory(
        "government_affairs", "政务服务", "Government affairs",
        ("计划生育咨询", "证照办理", "医疗记录册换领", "视频连线受理中心"),
    ),
    ServiceCategory(
        "daily_life", "生活服务", "Daily life", ("独居老人关爱", "生活咨询", "免费上网打印复印"),
    ),
    ServiceCategory(
        "legal", "法律服务", "Legal",
        ("人民调解室", "法律服务室", "法律图书角", "法律讲座", "心理咨询", "律师服务", "法律援助"),
    ),
    ServiceCategory("health", "健康服务", "Health", ("健康咨询", "家庭医生签约", "健康讲座")),
    ServiceCategory("culture", "文化服务", "Culture", ("文艺活动", "图书借阅", "兴趣课堂")),
    ServiceCategory(
        "community_management", "社区管理服务", "Community management",
        ("居民议事", "社区安全", "环境卫生", "物业协调"),
    ),
)  # fmt: skip

# Each standard item's code is `<category>.<slug>`, the code intake (`service_item`) and Open311
# `services.json` use; the ticket service keeps the same table (services share no code), and a test checks
# the two agree. A category code alone stands for "another matter of this category".
ITEM_SLUGS: dict[tuple[str, str], str] = {
    (category, name): slug
    for category, entries in {
        "party_mass": (
            ("党课学习", "party_lessons"), ("党员网上学习", "online_study"), ("会议场地", "meeting_space"),
            ("职工维权", "workers_rights"), ("青少年维权", "youth_rights"), ("困难群众帮扶", "hardship_help"),
        ),
        "government_affairs": (
            ("计划生育咨询", "family_planning"), ("证照办理", "certificates"),
            ("医疗记录册换领", "medical_record_book"), ("视频连线受理中心", "video_link"),
        ),
        "daily_life": (("独居老人关爱", "elderly_care"), ("生活咨询", "advice"), ("免费上网打印复印", "printing")),
        "legal": (
            ("人民调解室", "mediation"), ("法律服务室", "legal_service"), ("法律图书角", "legal_library"),
            ("法律讲座", "legal_lecture"), ("心理咨询", "counselling"), ("律师服务", "lawyer"),
            ("法律援助", "legal_aid"),
        ),
        "health": (("健康咨询", "health_advice"), ("家庭医生签约", "family_doctor"), ("健康讲座", "health_lecture")),
        "culture": (("文艺活动", "performances"), ("图书借阅", "book_lending"), ("兴趣课堂", "classes")),
        "community_management": (
            ("居民议事", "residents_council"), ("社区安全", "safety"), ("环境卫生", "sanitation"),
            ("物业协调", "property"),
        ),
    }.items()
    for name, slug in entries
}  # fmt: skip


def standard_item_code(category_code: str, item: str) -> str:
    """`government_affairs.medical_record_book`: the code intake and Open311 know the item by."""
    return f"{category_code}.{ITEM_SLUGS[(category_code, item)]}"


CATEGORY_CODES = frozenset(category.code for category in STANDARD_CATEGORIES)

CATEGORY_BY_CODE = {category.code: category for category in STANDARD_CATEGORIES}


def standard_item_id(category_code: str, item: str) -> uuid.UUID:
    """Stable id of a standard item, the same at every station and on every run (HSDS service id)."""
    return stable_id("standard_item", category_code, item)


def check_category(value: str, field: str = "category") -> str:
    if value not in CATEGORY_CODES:
        raise Unprocessable(
            f"Unknown service category {value!r}; one of {', '.join(sorted(CATEGORY_CODES))}.",
            field=field,
            code="unknown_category",
        )
    return value


def check_categories(values: list[str], field: str = "service_categories") -> list[str]:
    for position, value in enumerate(values):
        check_category(value, f"{field}[{position}]")
    return list(dict.fromkeys(values))  # keep order, drop repeats
