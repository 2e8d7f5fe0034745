"""The demo district, generated deterministically: the same rows, with the same ids, on every run.

Pure: no I/O and no clock (dates are anchored at `ANCHOR`). `seed.py` writes what this returns.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from catalog_service.demo.places import PLACES, REPORTED_STATIONS, Place
from catalog_service.departments.kinds import DEPARTMENT_KINDS
from catalog_service.service_lists.categories import CATEGORY_CODES
from shared.ids import stable_id

SEED = 20261125
ANCHOR = date(2026, 11, 25)  # "today" of the demo data: requests before it are delivered, after it pending
ALL_CATEGORIES = sorted(CATEGORY_CODES)
DEMO_STATION = ("陆家嘴街道", "市新居委会")
REPORTED_VILLAGES = frozenset({"界村", "张桥", "永业"})  # 新城 is a neighbourhood committee (居委会)
DEMO_STAFF_NAMES = {"receptionist": "张接待", "social_worker": "陆伟", "secretary": "李书记"}

_SYLLABLES = (
    "东西南北中新金银永长康宁福寿和平安泰丰华兴盛春秋桃李梅兰竹松柏杨柳明光阳晨星河湖"
    "海江塘桥浦港湾园林苑庭云霞锦绣翠芳益顺祥瑞"
)
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力峰志宏海波斌宇浩凯鑫琳雪梅燕晶婷慧佳颖欣怡晨阳"
)
_ROAD_SUFFIX = ("路", "街", "弄", "大道")

_WEEKDAY_HOURS = ({"opens": "08:30", "closes": "11:30"}, {"opens": "13:00", "closes": "20:00"})
HOLIDAYS = (
    {"day": "2026-10-01", "periods": [], "note": "国庆节"},
    {"day": "2026-10-02", "periods": [], "note": "国庆节"},
    {"day": "2026-12-06", "periods": [{"opens": "09:00", "closes": "12:00"}], "note": "冬季便民服务日"},
    {"day": "2027-01-01", "periods": [], "note": "元旦"},
    {"day": "2027-02-06", "periods": [], "note": "春节"},
    {"day": "2027-02-07", "periods": [], "note": "春节"},
)


def _weekly(days: range, periods: tuple[dict[str, str], ...]) -> list[dict[str, Any]]:
    return [{"weekday": day, **period} for day in days for period in periods]


HOURS_VARIANTS: tuple[dict[str, Any], ...] = (
    # The report's station: split opening until 20:00 on weekdays, Saturday mornings.
    {"weekly_periods": _weekly(range(5), _WEEKDAY_HOURS) + _weekly(range(5, 6), (_WEEKDAY_HOURS[0],))},
    # Evening session after a dinner break.
    {
        "weekly_periods": _weekly(
            range(5),
            (
                {"opens": "08:30", "closes": "11:30"},
                {"opens": "13:30", "closes": "17:00"},
                {"opens": "18:00", "closes": "20:00"},
            ),
        )
        + _weekly(range(5, 6), ({"opens": "09:00", "closes": "11:30"},))
    },
    # Villages: shorter afternoons, weekend mornings.
    {
        "weekly_periods": _weekly(
            range(5), ({"opens": "08:30", "closes": "11:00"}, {"opens": "13:00", "closes": "17:00"})
        )
        + _weekly(range(5, 7), ({"opens": "09:00", "closes": "11:00"},))
    },
)


def opening_hours(variant: int) -> dict[str, Any]:
    return {"time_zone": "Asia/Shanghai", **HOURS_VARIANTS[variant], "exceptions": [dict(h) for h in HOLIDAYS]}


# Station roles of the ~8 people at each station, and the categories each can handle.
STATION_TEAM: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("receptionist", tuple(ALL_CATEGORIES)),
    ("joint_receptionist", ("government_affairs", "daily_life")),
    ("joint_receptionist", ("government_affairs", "legal")),
    ("social_worker", ("daily_life", "community_management", "government_affairs")),
    ("social_worker", ("legal", "health")),
    ("social_worker", ("culture", "party_mass")),
    ("social_worker", ("daily_life", "health")),
    ("secretary", tuple(ALL_CATEGORIES)),
)

# (kind, category, title, description, capacity, unit, lead days, weekdays) per subdistrict department.
SUBDISTRICT_RESOURCES: tuple[tuple[str, str, str, str, int, str, int, tuple[int, ...]], ...] = (
    (
        "culture",
        "culture",
        "沪剧小戏一场",
        "社区文化活动中心文艺团队演出一个戏剧节目（约20分钟），适合晚会",
        2,
        "场",
        7,
        (4, 5, 6),
    ),
    (
        "justice",
        "legal",
        "律师驻点法律咨询",
        "司法所安排律师到服务站坐班半天，解答法律问题",
        3,
        "次",
        3,
        (0, 1, 2, 3, 4),
    ),
    ("health", "health", "家庭医生健康讲座", "社区卫生服务中心家庭医生讲授慢病防治", 2, "场", 5, (0, 1, 2, 3, 4, 5)),
    (
        "civil_affairs",
        "daily_life",
        "助老志愿服务队上门",
        "为独居老人上门探访、代购、陪同就医",
        5,
        "次",
        2,
        (0, 1, 2, 3, 4, 5, 6),
    ),
    (
        "civil_affairs",
        "community_management",
        "社区治理专家指导",
        "邀请社区治理专家指导居民议事和楼道整治",
        2,
        "次",
        5,
        (0, 1, 2, 3, 4),
    ),
    ("womens_federation", "party_mass", "亲子手工活动指导", "妇联志愿者带领亲子手工活动", 2, "场", 5, (5, 6)),
    (
        "education",
        "culture",
        "社区学校兴趣课师资",
        "社区学校派老师到服务站开设书法、绘画等兴趣课",
        3,
        "节",
        7,
        (0, 1, 2, 3, 4, 5),
    ),
    (
        "acceptance_centre",
        "government_affairs",
        "受理中心视频连线专窗",
        "受理中心专人视频连线，现场办理医疗记录册换领等事项",
        3,
        "次",
        2,
        (0, 1, 2, 3, 4),
    ),
)
DISTRICT_RESOURCES: tuple[tuple[str, str, str, str, int, str, int, tuple[int, ...]], ...] = (
    (
        "culture",
        "culture",
        "区图书馆流动图书箱",
        "区图书馆轮换书箱，每箱约100册，定期更换",
        20,
        "箱",
        14,
        (0, 1, 2, 3, 4),
    ),
    ("culture", "culture", "区文化馆话剧团演出", "区文化馆话剧团到社区演出", 1, "场", 14, (4, 5, 6)),
    (
        "agriculture",
        "daily_life",
        "园艺指导老师（区农科院）",
        "农业科学院老师到社区指导种植和阳台园艺",
        2,
        "次",
        10,
        (1, 3),
    ),
    ("health", "health", "健康义诊团队", "区级医院专家义诊", 2, "场", 14, (5, 6)),
    ("justice", "legal", "法律援助律师团", "为困难群众提供法律援助", 3, "次", 7, (0, 1, 2, 3, 4)),
)
COMMUNITY_RESOURCES = (
    ("culture", "太极拳课程", "本社区太极拳老师带教，可接待周边社区居民", 30, "人", 1, (1, 3)),
    ("culture", "社区小图书馆", "区图书馆支持的小图书馆，可集体借阅", 50, "册", 1, (0, 1, 2, 3, 4, 5)),
)
DISTRICT_EXTRA_KINDS = (("agriculture", "区农业农村委员会", ("daily_life",)),)

OPTIONAL_ITEMS = (
    (
        "culture",
        "太极拳晨练班",
        "服务站门前广场，太极拳老师带教",
        [(1, "07:00", "08:00"), (3, "07:00", "08:00")],
        None,
        30,
    ),
    ("culture", "社区小图书馆", "区图书馆轮换书箱，免费借阅", None, "开放时间内均可借阅", None),
    ("daily_life", "理发义剪", "志愿者为老人免费理发", None, "每月第一个周六上午", 20),
    ("health", "血压血糖测量", "社区卫生服务中心护士定期来站测量", [(2, "09:00", "11:00")], None, 40),
    ("party_mass", "四点半课堂", "放学后作业辅导和兴趣活动", [(d, "16:30", "18:00") for d in range(5)], None, 20),
    ("legal", "法律咨询接待日", "律师志愿者现场接待", [(2, "14:00", "17:00")], None, 10),
    ("community_management", "居民议事会", "每月一次，议一议小区里的事", None, "每月第二个周四晚上", 50),
)

DEMAND_TEMPLATES = {
    "culture": ("迎新晚会需要一个戏剧节目", "重阳节文艺演出缺节目", "居民想开书法兴趣课"),
    "daily_life": ("独居老人需要上门探访志愿者", "高龄老人代购和陪同就医", "阳台种菜想请老师指导"),
    "legal": ("物业纠纷需要律师咨询", "居民想听一次防诈骗法律讲座"),
    "health": ("老年人慢病健康讲座", "希望组织一次义诊"),
    "party_mass": ("暑期亲子活动需要指导老师", "青少年暑托班缺志愿者"),
    "government_affairs": ("医疗记录册换领集中办理", "社保卡办理咨询"),
    "community_management": ("楼道堆物整治需要专家指导", "小区停车矛盾议事需要引导"),
}


@dataclass
class DemoData:
    subdistricts: list[dict[str, Any]] = field(default_factory=list)
    communities: list[dict[str, Any]] = field(default_factory=list)
    stations: list[dict[str, Any]] = field(default_factory=list)
    departments: list[dict[str, Any]] = field(default_factory=list)
    staff: list[dict[str, Any]] = field(default_factory=list)
    optional_items: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    resource_windows: list[dict[str, Any]] = field(default_factory=list)
    resource_subdistricts: list[dict[str, Any]] = field(default_factory=list)
    demands: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    resource_masks: dict[uuid.UUID, int] = field(default_factory=dict)  # weekdays bookable, not a table


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


person_name = _person  # the demo residents' names (demo/logins.py) come from the same generator


def _community_names(place: Place, reported: list[str], rng: random.Random) -> list[str]:
    names = list(reported)
    taken = set(names)
    village_share = 0.0 if place.kind == "street" else 0.55
    while len(names) < place.communities:
        stem = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)
        name = stem + ("村" if rng.random() < village_share else "居委会")
        if name not in taken and not any(name.startswith(t) or t.startswith(stem) for t in taken):
            taken.add(name)
            names.append(name)
    return names


def _positions(place: Place, count: int, rng: random.Random) -> list[tuple[float, float]]:
    """A jittered grid over the place's box: stations spread evenly, never piled up."""
    south, west, north, east = place.box
    height, width = north - south, east - west
    width_km = width * 111.2 * math.cos(math.radians(place.latitude))
    rows = max(1, round(math.sqrt(count * (height * 111.2) / width_km)))
    columns = math.ceil(count / rows)
    cells = [(r, c) for r in range(rows) for c in range(columns)]
    rng.shuffle(cells)
    positions = []
    for row, column in sorted(cells[:count]):
        latitude = south + (row + 0.5 + rng.uniform(-0.3, 0.3)) * height / rows
        longitude = west + (column + 0.5 + rng.uniform(-0.3, 0.3)) * width / columns
        positions.append((round(latitude, 6), round(longitude, 6)))
    return positions


def generate() -> DemoData:
    rng = random.Random(SEED)
    data = DemoData()
    reported_by_place: dict[str, list[tuple[str, str, float, float, str]]] = {}
    for subdistrict, community, address, latitude, longitude, phone in REPORTED_STATIONS:
        reported_by_place.setdefault(subdistrict, []).append((community, address, latitude, longitude, phone))

    stations_by_place: dict[str, list[dict[str, Any]]] = {}
    for place_number, place in enumerate(PLACES):
        subdistrict_id = stable_id("subdistrict", place.name)
        south, west, north, east = place.box
        data.subdistricts.append(
            {
                "id": subdistrict_id,
                "name": place.name,
                "kind": place.kind,
                "boundary": [[south, west], [south, east], [north, east], [north, west]],
            }
        )
        reported = reported_by_place.get(place.name, [])
        names = _community_names(place, [item[0] for item in reported], rng)
        positions = _positions(place, len(names), rng)
        roads = [rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + rng.choice(_ROAD_SUFFIX) for _ in range(8)]
        stations_by_place[place.name] = []
        for number, name in enumerate(names):
            community_id = stable_id("community", place.name, name)
            station_id = stable_id("station", place.name, name)
            village = place.kind == "town" and (name.endswith("村") or name in REPORTED_VILLAGES)
            kind = "village" if village else "neighbourhood"
            if number < len(reported):
                _, address, latitude, longitude, phone = reported[number]
            else:
                latitude, longitude = positions[number]
                address = f"{place.name}{rng.choice(roads)}{rng.randint(1, 999)}号"
                phone = f"021-{5800 + place_number:04d}{number:04d}"
            variant = 2 if kind == "village" else (1 if number % 5 == 4 else 0)
            data.communities.append({"id": community_id, "subdistrict_id": subdistrict_id, "name": name, "kind": kind})
            station = {
                "id": station_id,
                "subdistrict_id": subdistrict_id,
                "community_id": community_id,
                "community_name": name,
                "name": f"{name}家门口服务站",
                "address": address,
                "latitude": latitude,
                "longitude": longitude,
                "phone": phone,
                "opening_hours": opening_hours(variant),
                "time_zone": "Asia/Shanghai",
            }
            data.stations.append(station)
            stations_by_place[place.name].append(station)
            _station_team(data, place.name, name, station, rng)
            _optional_items(data, station, number, rng)

    departments = _departments(data, rng)
    resources = _resources(data, departments, stations_by_place)
    _demands_and_requests(data, resources, stations_by_place, rng)
    return data


def _station_team(
    data: DemoData, subdistrict: str, community: str, station: dict[str, Any], rng: random.Random
) -> None:
    seen: dict[str, int] = {}
    for role, categories in STATION_TEAM:
        seen[role] = seen.get(role, 0) + 1
        key = ("staff", subdistrict, community, role) + (() if seen[role] == 1 else (str(seen[role]),))
        name = _person(rng)
        if (subdistrict, community) == DEMO_STATION and seen[role] == 1 and role in DEMO_STAFF_NAMES:
            name = DEMO_STAFF_NAMES[role]
        data.staff.append(
            {
                "id": stable_id(*key),
                "name": name,
                "role": role,
                "station_id": station["id"],
                "community_id": station["community_id"],
                "subdistrict_id": station["subdistrict_id"],
                "department_id": None,
                "service_categories": list(categories),
                "phone": None,
                "active": True,
            }
        )


def _optional_items(data: DemoData, station: dict[str, Any], number: int, rng: random.Random) -> None:
    picks = [OPTIONAL_ITEMS[(number + offset) % len(OPTIONAL_ITEMS)] for offset in (0, 3)]
    if station["community_name"] == "滨江居委会":  # the report's riverside station
        picks = [OPTIONAL_ITEMS[0], OPTIONAL_ITEMS[1]]
    for category, title, description, periods, note, capacity in picks:
        schedule = None
        if periods:
            schedule = {
                "time_zone": "Asia/Shanghai",
                "weekly_periods": [{"weekday": d, "opens": o, "closes": c} for d, o, c in periods],
                "exceptions": [],
            }
        data.optional_items.append(
            {
                "id": stable_id("optional_item", str(station["id"]), title),
                "station_id": station["id"],
                "category": category,
                "title": title,
                "description": description,
                "schedule": schedule,
                "schedule_note": note,
                "capacity": capacity,
            }
        )


def _departments(data: DemoData, rng: random.Random) -> dict[tuple[str | None, str], dict[str, Any]]:
    found: dict[tuple[str | None, str], dict[str, Any]] = {}
    levels: list[tuple[str | None, uuid.UUID | None]] = [(None, None)]
    levels += [(row["name"], row["id"]) for row in data.subdistricts]
    for subdistrict_name, subdistrict_id in levels:
        kinds = [(kind.code, kind.subdistrict_name, kind.district_name, kind.categories) for kind in DEPARTMENT_KINDS]
        if subdistrict_name is None:
            kinds += [(code, name, name, categories) for code, name, categories in DISTRICT_EXTRA_KINDS]
        for code, local_name, district_name, categories in kinds:
            department = {
                "id": stable_id("department", subdistrict_name or "district", code),
                "name": f"{subdistrict_name}{local_name}" if subdistrict_name else district_name,
                "kind": code,
                "subdistrict_id": subdistrict_id,
                "service_categories": list(categories),
                "phone": f"021-6{rng.randint(1000000, 9999999)}",
                "address": None,
            }
            data.departments.append(department)
            found[(subdistrict_name, code)] = department
            for number in (1, 2):
                data.staff.append(
                    {
                        "id": stable_id("staff", "department", subdistrict_name or "district", code, str(number)),
                        "name": _person(rng),
                        "role": "department_staff",
                        "station_id": None,
                        "community_id": None,
                        "subdistrict_id": subdistrict_id,
                        "department_id": department["id"],
                        "service_categories": list(categories),
                        "phone": None,
                        "active": True,
                    }
                )
    return found


def _mask(weekdays: tuple[int, ...]) -> int:
    return sum(1 << day for day in weekdays)


def _add_resource(
    data: DemoData, resource: dict[str, Any], weekdays: tuple[int, ...], allowed: list[uuid.UUID]
) -> None:
    data.resources.append(resource)
    data.resource_masks[resource["id"]] = _mask(weekdays)
    data.resource_windows.append(
        {
            "id": stable_id("resource_window", str(resource["id"]), "2026"),
            "resource_id": resource["id"],
            "starts_on": date(2026, 1, 1),
            "ends_on": date(2027, 12, 31),
            "weekdays": _mask(weekdays),
        }
    )
    data.resource_subdistricts.extend({"resource_id": resource["id"], "subdistrict_id": s} for s in allowed)


def _resources(
    data: DemoData,
    departments: dict[tuple[str | None, str], dict[str, Any]],
    stations_by_place: dict[str, list[dict[str, Any]]],
) -> dict[tuple[str | None, str], list[dict[str, Any]]]:
    """Resources by (subdistrict name or None, category): what a station of that subdistrict can ask for."""
    usable: dict[tuple[str | None, str], list[dict[str, Any]]] = {}

    def resource(
        department: dict[str, Any] | None, station: dict[str, Any] | None, spec: tuple[Any, ...], district_wide: bool
    ) -> dict[str, Any]:
        category, title, description, capacity, unit, lead = spec
        provider = department or station
        assert provider is not None
        return {
            "id": stable_id("resource", str(provider["id"]), title),
            "title": title,
            "category": category,
            "provider_kind": "department" if department else "community",
            "department_id": department["id"] if department else None,
            "station_id": station["id"] if station else None,
            "subdistrict_id": provider["subdistrict_id"],
            "provider_name": provider["name"] if department else provider["community_name"],
            "description": description,
            "capacity": capacity,
            "unit": unit,
            "lead_time_days": lead,
            "district_wide": district_wide,
            "active": True,
            "booking_version": 0,
        }

    for kind, category, title, description, capacity, unit, lead, weekdays in DISTRICT_RESOURCES:
        row = resource(departments[(None, kind)], None, (category, title, description, capacity, unit, lead), True)
        _add_resource(data, row, weekdays, [])
        usable.setdefault((None, category), []).append(row)
    for place in PLACES:
        subdistrict_id = stable_id("subdistrict", place.name)
        for kind, category, title, description, capacity, unit, lead, weekdays in SUBDISTRICT_RESOURCES:
            department = departments[(place.name, kind)]
            row = resource(department, None, (category, title, description, capacity, unit, lead), False)
            _add_resource(data, row, weekdays, [subdistrict_id])
            usable.setdefault((place.name, category), []).append(row)
        for number, station in enumerate(stations_by_place[place.name]):
            if number % 10 != 1 and station["community_name"] != "滨江居委会":
                continue
            category, title, description, capacity, unit, lead, weekdays = COMMUNITY_RESOURCES[number % 2]
            row = resource(None, station, (category, title, description, capacity, unit, lead), False)
            _add_resource(data, row, weekdays, [subdistrict_id])
    return usable


# Demand states, in the proportions of a plausible wall; each entry: (demand status, request status or None).
_STORIES = (
    ("open", None),
    ("open", None),
    ("open", "declined"),
    ("open", "cancelled"),
    ("matched", "requested"),
    ("matched", "accepted"),
    ("matched", "scheduled"),
    ("fulfilled", "delivered"),
    ("fulfilled", "delivered"),
    ("closed", None),
)
# The demo station shows every state, the report's gala first.
_DEMO_STORIES = (
    ("culture", "迎新晚会需要一个戏剧节目", "fulfilled", "delivered"),
    ("daily_life", "独居老人需要上门探访志愿者", "matched", "requested"),
    ("community_management", "楼道堆物整治需要专家指导", "matched", "accepted"),
    ("legal", "物业纠纷需要律师咨询", "matched", "scheduled"),
    ("party_mass", "暑期亲子活动需要指导老师", "open", "declined"),
    ("health", "老年人慢病健康讲座", "open", "cancelled"),
    ("government_affairs", "医疗记录册换领集中办理", "open", None),
    ("daily_life", "阳台种菜想请老师指导", "closed", None),
)


def _demands_and_requests(
    data: DemoData,
    usable: dict[tuple[str | None, str], list[dict[str, Any]]],
    stations_by_place: dict[str, list[dict[str, Any]]],
    rng: random.Random,
) -> None:
    booked: dict[tuple[uuid.UUID, date], int] = {}
    for place in PLACES:
        for station in stations_by_place[place.name]:
            if (place.name, station["community_name"]) == DEMO_STATION:
                stories = list(_DEMO_STORIES)
            else:
                count = (0, 1, 1, 2, 2, 3)[rng.randrange(6)]
                stories = []
                for _ in range(count):
                    category = rng.choice(ALL_CATEGORIES)
                    status, request_status = rng.choice(_STORIES)
                    stories.append((category, rng.choice(DEMAND_TEMPLATES[category]), status, request_status))
            for position, (category, title, status, request_status) in enumerate(stories):
                demand_id = stable_id("demand", str(station["id"]), str(position))
                created = ANCHOR - timedelta(days=rng.randint(3, 60))
                demand = {
                    "id": demand_id,
                    "station_id": station["id"],
                    "community_id": station["community_id"],
                    "subdistrict_id": station["subdistrict_id"],
                    "category": category,
                    "title": title,
                    "description": f"{station['community_name']}：{title}",
                    "urgency": rng.choice(("low", "normal", "normal", "high", "urgent")),
                    "source": rng.choice(("resident", "station")),
                    "raised_by": None,
                    "status": status,
                    "close_reason": "已由社区自行解决" if status == "closed" else None,
                    "created_day": created,
                }
                if request_status is not None:
                    candidates = usable.get((place.name, category), []) + usable.get((None, category), [])
                    request = _request(demand, station, candidates, request_status, booked, data.resource_masks, rng)
                    if request is None:  # nothing bookable: the demand stays open
                        demand["status"] = "open"
                    else:
                        data.requests.append(request)
                data.demands.append(demand)


def _request(
    demand: dict[str, Any],
    station: dict[str, Any],
    candidates: list[dict[str, Any]],
    status: str,
    booked: dict[tuple[uuid.UUID, date], int],
    masks: dict[uuid.UUID, int],
    rng: random.Random,
) -> dict[str, Any] | None:
    if not candidates:
        return None
    resource = candidates[rng.randrange(len(candidates))]
    past = status == "delivered"
    for attempt in range(60):
        offset = rng.randint(1, 30) + attempt
        day = ANCHOR - timedelta(days=offset) if past else ANCHOR + timedelta(days=resource["lead_time_days"] + offset)
        mask = masks[resource["id"]]
        if not mask & (1 << day.weekday()):
            continue
        holds = status not in ("declined", "cancelled")
        taken = booked.get((resource["id"], day), 0)
        if holds and taken + 1 > resource["capacity"]:
            continue
        if holds:
            booked[(resource["id"], day)] = taken + 1
        return {
            "id": stable_id("resource_request", str(demand["id"]), str(resource["id"])),
            "resource_id": resource["id"],
            "demand_id": demand["id"],
            "station_id": station["id"],
            "subdistrict_id": station["subdistrict_id"],
            "provider_department_id": resource["department_id"],
            "provider_station_id": resource["station_id"],
            "provider_subdistrict_id": resource["subdistrict_id"],
            "requested_date": day,
            "quantity": 1,
            "note": demand["title"],
            "status": status,
            "decline_reason": "当天演员已有安排" if status == "declined" else None,
            "scheduled_day": day if status in ("scheduled", "delivered") else None,
        }
    return None


def reported_only(data: DemoData) -> DemoData:
    """The same district cut down to the stations the report names, their subdistricts' departments and the
    district's, with the same ids as the full data (a subset of it)."""
    keep_stations = {stable_id("station", sub, community) for sub, community, *_ in REPORTED_STATIONS}
    keep_subdistricts = {stable_id("subdistrict", sub) for sub, *_ in REPORTED_STATIONS}
    departments = [d for d in data.departments if d["subdistrict_id"] in keep_subdistricts | {None}]
    keep_departments = {d["id"] for d in departments}
    resources = [
        r for r in data.resources if r["department_id"] in keep_departments or r["station_id"] in keep_stations
    ]
    keep_resources = {r["id"] for r in resources}
    demands = [d for d in data.demands if d["station_id"] in keep_stations]
    return DemoData(
        subdistricts=data.subdistricts,
        communities=[c for c in data.communities if stable_id("station", *_names(data, c)) in keep_stations],
        stations=[s for s in data.stations if s["id"] in keep_stations],
        departments=departments,
        staff=[m for m in data.staff if m["station_id"] in keep_stations or m["department_id"] in keep_departments],
        optional_items=[i for i in data.optional_items if i["station_id"] in keep_stations],
        resources=resources,
        resource_windows=[w for w in data.resource_windows if w["resource_id"] in keep_resources],
        resource_subdistricts=[a for a in data.resource_subdistricts if a["resource_id"] in keep_resources],
        demands=demands,
        requests=[r for r in data.requests if r["station_id"] in keep_stations and r["resource_id"] in keep_resources],
        resource_masks=data.resource_masks,
    )


def _names(data: DemoData, community: dict[str, Any]) -> tuple[str, str]:
    subdistrict = next(s["name"] for s in data.subdistricts if s["id"] == community["subdistrict_id"])
    return subdistrict, community["name"]
