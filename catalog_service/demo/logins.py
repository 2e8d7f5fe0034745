"""Who may sign in to the demo world, and as whom. Pure: no I/O.

Every seeded person has a login (embedded and distributed modes only; never in production):

- station staff: `<role>-<station>-<n>`: `rc` receptionist, `jr` joint receptionist, `sw` social worker,
  `sec` secretary; `<station>` the first 8 hex digits of the station's id (as every station answer shows
  it); `<n>` the seed's numbering of that role at the station, from 1 (`sw-75629278-1` is 陆伟 of
  市新居委会, the first social worker there);
- department members: `dep-<department>-<n>` (`<department>` the first 8 hex digits of its id, n 1 or 2);
- residents: `res-<station>-<n>`, n from 0: `RESIDENTS_AT_REPORTED_STATIONS` at each station the report
  names (enough for a hearing's quorum), `RESIDENTS_ELSEWHERE` at every other. Resident 0 of 市新居委会
  is the demo `resident` (王阿姨).

The password is `demo-<username>`. Staff and department logins resolve to the catalogue's seeded rows
(the seed's stable ids); residents are not catalogue data: they are generated here, with the ids the
deliberation seed uses for the residents who attend its meetings (`stable_id("resident", subdistrict,
community, n)`), so the residents who voted in the seeded hearings are the ones who can sign in.
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass

from catalog_service.demo.generate import DEMO_STATION, SEED, person_name
from catalog_service.demo.places import REPORTED_STATIONS
from shared.ids import stable_id

# A hearing needs 10 residents checked in (deliberation_service/meetings/voting.py, DEFAULT_QUORUM_RULES);
# the deliberation seed's meetings use residents 0-11 of each reported station.
RESIDENTS_AT_REPORTED_STATIONS = 15
RESIDENTS_ELSEWHERE = 5
DEMO_RESIDENT_NAME = "王阿姨"

# Login prefix -> the catalogue's staff role, and the token role it signs in with.
STAFF_PREFIXES: dict[str, tuple[str, str]] = {
    "rc": ("receptionist", "receptionist"),
    "jr": ("joint_receptionist", "receptionist"),
    "sw": ("social_worker", "social_worker"),
    "sec": ("secretary", "secretary"),
}
PREFIX_OF_ROLE = {staff_role: prefix for prefix, (staff_role, _) in STAFF_PREFIXES.items()}
LOGIN = re.compile(r"(?P<prefix>rc|jr|sw|sec|dep|res)-(?P<short>[0-9a-f]{8})-(?P<number>0|[1-9][0-9]{0,3})")
REPORTED = frozenset((subdistrict, community) for subdistrict, community, *_ in REPORTED_STATIONS)


@dataclass(frozen=True)
class Login:
    prefix: str
    short: str  # the first 8 hex digits of the station's or department's id
    number: int


def parse_login(username: str) -> Login | None:
    match = LOGIN.fullmatch(username)
    if match is None:
        return None
    return Login(match["prefix"], match["short"], int(match["number"]))


def short_id(value: uuid.UUID | str) -> str:
    return str(value).replace("-", "")[:8]


def id_range(short: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The ids starting with these 8 hex digits, as an inclusive range (an index range scan)."""
    return uuid.UUID(short + "0" * 24), uuid.UUID(short + "f" * 24)


def staff_login(role: str, station_id: uuid.UUID | str, number: int) -> str | None:
    prefix = PREFIX_OF_ROLE.get(role)
    return None if prefix is None else f"{prefix}-{short_id(station_id)}-{number}"


def staff_id(subdistrict: str, community: str, role: str, number: int) -> uuid.UUID:
    """The seed's id of the `number`th person in `role` at a station (demo/generate.py `_station_team`)."""
    return stable_id("staff", subdistrict, community, role, *(() if number == 1 else (str(number),)))


def department_member_id(subdistrict: str | None, kind: str, number: int) -> uuid.UUID:
    """The seed's id of a department's `number`th member (demo/generate.py `_departments`)."""
    return stable_id("staff", "department", subdistrict or "district", kind, str(number))


def resident_count(subdistrict: str, community: str) -> int:
    return RESIDENTS_AT_REPORTED_STATIONS if (subdistrict, community) in REPORTED else RESIDENTS_ELSEWHERE


@dataclass(frozen=True)
class DemoResident:
    id: uuid.UUID
    name: str
    number: int


def resident(subdistrict: str, community: str, number: int) -> DemoResident | None:
    """The `number`th demo resident of a community (None past the community's count). Names come from a
    generator seeded by the community, so they are the same on every run and independent of the others."""
    if not 0 <= number < resident_count(subdistrict, community):
        return None
    if (subdistrict, community) == DEMO_STATION and number == 0:
        return DemoResident(stable_id("resident", "demo"), DEMO_RESIDENT_NAME, 0)
    rng = random.Random(f"{SEED}/resident/{subdistrict}/{community}/{number}")
    return DemoResident(stable_id("resident", subdistrict, community, str(number)), person_name(rng), number)
