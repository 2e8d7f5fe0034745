"""The 7 standard service categories (规定动作) every station offers, with their standard items.

Pure data: the same at every station, in the old city and in the villages alike.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceCategory:
    code: str
    name: str  # as it appears on the station's wall
    name_en: str
    standard_items: tuple[str, ...]


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

CATEGORY_CODES = frozenset(category.code for category in STANDARD_CATEGORIES)
