"""Pudong's 36 subdistricts for the demo: kind, an approximate centre and extent, and how many communities.

Centres and extents are rough (a box around each subdistrict's built-up area), enough to spread 1,285
stations plausibly inside Pudong (latitude 30.85-31.40 N, longitude 121.45-121.98 E). Counts sum to 1,285.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    name: str
    kind: str  # street | town
    latitude: float
    longitude: float
    half_latitude: float  # half the box's height, degrees
    half_longitude: float
    communities: int

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(south, west, north, east)."""
        return (
            self.latitude - self.half_latitude,
            self.longitude - self.half_longitude,
            self.latitude + self.half_latitude,
            self.longitude + self.half_longitude,
        )


PLACES: tuple[Place, ...] = (
    Place("潍坊新村街道", "street", 31.2250, 121.5300, 0.0090, 0.0110, 28),
    Place("陆家嘴街道", "street", 31.2330, 121.5080, 0.0110, 0.0130, 31),
    Place("周家渡街道", "street", 31.1780, 121.4950, 0.0120, 0.0130, 37),
    Place("塘桥街道", "street", 31.2110, 121.5200, 0.0080, 0.0100, 22),
    Place("上钢新村街道", "street", 31.1690, 121.4790, 0.0110, 0.0120, 31),
    Place("南码头路街道", "street", 31.1950, 121.5050, 0.0090, 0.0100, 24),
    Place("沪东新村街道", "street", 31.2800, 121.5550, 0.0110, 0.0130, 31),
    Place("金杨新村街道", "street", 31.2640, 121.5650, 0.0120, 0.0140, 43),
    Place("洋泾街道", "street", 31.2460, 121.5440, 0.0120, 0.0140, 40),
    Place("浦兴路街道", "street", 31.2700, 121.5800, 0.0110, 0.0120, 41),
    Place("东明路街道", "street", 31.1540, 121.5050, 0.0110, 0.0120, 33),
    Place("花木街道", "street", 31.2120, 121.5550, 0.0130, 0.0160, 42),
    Place("川沙新镇", "town", 31.1900, 121.7000, 0.0450, 0.0500, 70),
    Place("高桥镇", "town", 31.3450, 121.5700, 0.0250, 0.0300, 42),
    Place("北蔡镇", "town", 31.1800, 121.5450, 0.0180, 0.0220, 42),
    Place("合庆镇", "town", 31.2350, 121.7350, 0.0300, 0.0350, 35),
    Place("唐镇", "town", 31.2150, 121.6550, 0.0220, 0.0250, 40),
    Place("曹路镇", "town", 31.2750, 121.6700, 0.0250, 0.0300, 40),
    Place("金桥镇", "town", 31.2580, 121.6060, 0.0150, 0.0180, 32),
    Place("高行镇", "town", 31.3000, 121.5900, 0.0180, 0.0200, 35),
    Place("高东镇", "town", 31.3200, 121.6300, 0.0200, 0.0250, 25),
    Place("张江镇", "town", 31.2000, 121.6000, 0.0220, 0.0280, 40),
    Place("三林镇", "town", 31.1400, 121.5100, 0.0250, 0.0300, 65),
    Place("惠南镇", "town", 31.0500, 121.7600, 0.0300, 0.0350, 52),
    Place("周浦镇", "town", 31.1080, 121.5800, 0.0200, 0.0250, 45),
    Place("新场镇", "town", 31.0200, 121.6500, 0.0250, 0.0300, 35),
    Place("大团镇", "town", 30.9800, 121.7400, 0.0250, 0.0300, 25),
    Place("康桥镇", "town", 31.1400, 121.5900, 0.0200, 0.0250, 40),
    Place("航头镇", "town", 31.0400, 121.6000, 0.0250, 0.0300, 35),
    Place("祝桥镇", "town", 31.1300, 121.7600, 0.0350, 0.0400, 42),
    Place("泥城镇", "town", 30.9200, 121.8400, 0.0250, 0.0300, 30),
    Place("宣桥镇", "town", 31.0600, 121.6900, 0.0200, 0.0250, 20),
    Place("书院镇", "town", 30.9600, 121.8600, 0.0250, 0.0300, 25),
    Place("万祥镇", "town", 30.9500, 121.8000, 0.0200, 0.0250, 15),
    Place("老港镇", "town", 31.0500, 121.8400, 0.0250, 0.0300, 15),
    Place("南汇新城镇", "town", 30.9000, 121.9100, 0.0300, 0.0400, 37),
)

PLACE_BY_NAME = {place.name: place for place in PLACES}

# (subdistrict, community, address, latitude, longitude, phone): the communities the report names.
REPORTED_STATIONS = (
    ("陆家嘴街道", "市新居委会", "福山路 市新居委会", 31.2298, 121.5201, "021-58880001"),
    ("陆家嘴街道", "滨江居委会", "滨江大道 滨江居委会", 31.2405, 121.5010, "021-58880002"),
    ("潍坊新村街道", "潍坊一村", "潍坊路 潍坊一村", 31.2262, 121.5305, "021-58880003"),
    ("潍坊新村街道", "潍坊四村", "潍坊西路 潍坊四村", 31.2231, 121.5262, "021-58880004"),
    ("周浦镇", "界村", "周浦镇 界村村委会", 31.1005, 121.5750, "021-58880005"),
    ("金桥镇", "张桥", "金桥镇 张桥村", 31.2660, 121.6050, "021-58880006"),
    ("金桥镇", "永业", "金桥镇 永业村", 31.2580, 121.6190, "021-58880007"),
    ("金桥镇", "新城", "金桥镇 新城居委会", 31.2520, 121.5990, "021-58880008"),
)
