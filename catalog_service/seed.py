"""Demo data for the embedded mode: Pudong's 36 subdistricts and the stations named in the report.

Deterministic (stable ids from names) and idempotent: running it twice changes nothing.
"""

from __future__ import annotations

from catalog_service.stations import repository, service
from catalog_service.stations.models import Subdistrict
from catalog_service.stations.schemas import StationCreate
from shared.database import Database
from shared.ids import stable_id

STREETS = [
    "潍坊新村街道", "陆家嘴街道", "周家渡街道", "塘桥街道", "上钢新村街道", "南码头路街道",
    "沪东新村街道", "金杨新村街道", "洋泾街道", "浦兴路街道", "东明路街道", "花木街道",
]  # fmt: skip
TOWNS = [
    "川沙新镇", "高桥镇", "北蔡镇", "合庆镇", "唐镇", "曹路镇", "金桥镇", "高行镇", "高东镇", "张江镇",
    "三林镇", "惠南镇", "周浦镇", "新场镇", "大团镇", "康桥镇", "航头镇", "祝桥镇", "泥城镇", "宣桥镇",
    "书院镇", "万祥镇", "老港镇", "南汇新城镇",
]  # fmt: skip

# (subdistrict, community, address, latitude, longitude, phone): the communities the report names.
REPORTED_STATIONS = [
    ("陆家嘴街道", "市新居委会", "福山路 市新居委会", 31.2298, 121.5201, "021-58880001"),
    ("陆家嘴街道", "滨江居委会", "滨江大道 滨江居委会", 31.2405, 121.5010, "021-58880002"),
    ("潍坊新村街道", "潍坊一村", "潍坊路 潍坊一村", 31.2262, 121.5305, "021-58880003"),
    ("潍坊新村街道", "潍坊四村", "潍坊西路 潍坊四村", 31.2231, 121.5262, "021-58880004"),
    ("周浦镇", "界村", "周浦镇 界村村委会", 31.1005, 121.5750, "021-58880005"),
    ("金桥镇", "张桥", "金桥镇 张桥村", 31.2660, 121.6050, "021-58880006"),
    ("金桥镇", "永业", "金桥镇 永业村", 31.2580, 121.6190, "021-58880007"),
    ("金桥镇", "新城", "金桥镇 新城居委会", 31.2520, 121.5990, "021-58880008"),
]


async def seed_demo(database: Database) -> None:
    async with database.transaction() as session:
        for kind, names in (("street", STREETS), ("town", TOWNS)):
            for name in names:
                if await repository.subdistrict_named(session, name) is None:
                    session.add(Subdistrict(id=stable_id("subdistrict", name), name=name, kind=kind))
        await session.flush()
        for subdistrict, community, address, latitude, longitude, phone in REPORTED_STATIONS:
            station_id = stable_id("station", subdistrict, community)
            if await repository.get_station(session, station_id) is not None:
                continue
            await service.create_station(
                session,
                StationCreate(
                    subdistrict_id=stable_id("subdistrict", subdistrict),
                    community_name=community,
                    name=f"{community}家门口服务站",
                    address=address,
                    latitude=latitude,
                    longitude=longitude,
                    phone=phone,
                ),
                station_id=station_id,
            )
