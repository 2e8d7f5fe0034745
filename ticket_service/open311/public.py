"""What of a ticket's location anyone may see: the neighbourhood, never the door. Pure rules, no I/O.

The public Open311 feed shows where a matter is the way FixMyStreet does: the road or the community, and
coordinates rounded to about 100 m. A flat, room, building, unit, floor or house number would point at
one household, so none survives, in the address or in the description.
"""

from __future__ import annotations

import re

from shared.privacy import ADDRESS_UNITS as _UNITS
from shared.privacy import CHINESE_NUMERALS as _CHINESE_NUMERALS

# Three decimals of a degree: ~111 m of latitude, ~95 m of longitude at Shanghai's 31°N.
PUBLIC_COORDINATE_DECIMALS = 3

# Where the door begins: the first digit (any script, full-width too), or a Chinese number before a unit.
_DOOR_STARTS = re.compile(rf"\d|[{_CHINESE_NUMERALS}]+\s*(?:{_UNITS})")
# Place names the public address may end with: the last one before the door ends it. 号, 弄, 室 are not
# among them: they come after numbers.
_PLACE = re.compile(
    r"^(.*(?:居民委员会|居委会|村民委员会|村委会|街道|社区|小区|新村|花园|大道|公路|"
    r"省|市|区|县|镇|乡|村|路|街|苑))",
    re.DOTALL,
)


def coarsen_address(address: str | None) -> str | None:
    """The road, lane name or community an address lies on, without any number after it.

    `浦东新区陆家嘴街道市新居委会东昌路123弄4号502室` -> `浦东新区陆家嘴街道市新居委会东昌路`. An
    address naming no road, community or district before its first number gives None: what is left
    cannot be told apart from a door (a name, "王家楼下").
    """
    if address is None:
        return None
    door = _DOOR_STARTS.search(address)
    before_door = address[: door.start()] if door is not None else address
    place = _PLACE.match(before_door)
    if place is None:
        return None
    kept = place.group(1).strip(" \t\r\n,，、;；:：-—()（）")
    return kept or None


def coarsen_coordinate(value: float | None) -> float | None:
    return round(value, PUBLIC_COORDINATE_DECIMALS) if value is not None else None


# What the public reads of a ticket's state (Open311 `status_notes`, an update's `description`): words a
# resident understands, never the internal state word, and never a note staff typed for each other.
PUBLIC_STATE_TEXT = {
    "new": "已登记，等待受理",
    "accepted": "已受理",
    "in_progress": "正在办理",
    "waiting_for_resident": "等待居民补充信息",
    "resolved": "已办结",
    "closed": "已办结",
    "cancelled": "已撤销",
    "reopened": "已重新办理",
}
# The one note that is the public's: the result recorded when the matter was resolved (the resolve
# action's note, which the resident reads on their own ticket too). It shows once the ticket is
# resolved or closed, masked as the description is.
RESULT_STATES = frozenset({"resolved", "closed"})


def public_state_text(state: str, result: str | None = None) -> str:
    """The public words for `state`: the (already masked) resolution `result` when resolved, else a phrase."""
    if state in RESULT_STATES and result:
        return result
    return PUBLIC_STATE_TEXT.get(state, "处理中")
