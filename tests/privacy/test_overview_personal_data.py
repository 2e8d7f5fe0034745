"""The district overview (`GET /overview`, HTML, and `GET /api/v1/tickets/overview`, JSON) shows figures
only: residents' names, phones, addresses and what they or the staff typed (descriptions, results,
ratings' comments) planted in tickets and ratings through the API never reach it, neither whole nor in part
(the name's given name, the phone's digits in a row however separated, the door number), for the district
admin or a subdistrict admin.

One embedded system for the whole test (setup shared); each hypothesis example plants one resident's data
in two fresh tickets (a social worker's at the desk, left open; the resident's own in the app, closed with a
result and rated with a comment), then reads the four outputs."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import DEMO_STATION_ID, DEMO_SUBDISTRICT_ID, bearer, eventually, running
from tests.evaluation.conftest import SOCIAL_WORKER
from tests.unit.test_privacy import GLUE, MOBILES, written_mobiles

READERS = {
    "district_admin": bearer("district_admin"),
    "subdistrict_admin": bearer("subdistrict_admin", subdistrict_id=DEMO_SUBDISTRICT_ID),
}
OUTPUTS = ("/overview", "/overview?colour=satisfaction", "/api/v1/tickets/overview")
# Rare characters, so that a planted name or road is not on the page for another reason (checked too).
RARE = "欧阳娜翟鞠蔺璩郦瞿訾阚殳岑喻"
names = st.text(alphabet=RARE, min_size=2, max_size=4)
# The digits of a number, separators and invisible characters between them, full-width digits too.
SEPARATOR = re.compile(r"[\s\-./·－．／\u200b-\u200d\u2060\ufeff\u00ad]")


@dataclass(frozen=True)
class Resident:
    name: str
    phone: str  # the 11 digits, as the contact field holds them
    typed_phone: str  # a second number, as the resident or the staff typed it into the text
    typed_digits: str
    road: str
    lane: int
    room: int
    latitude: float
    longitude: float
    words: str  # text around what is typed

    @property
    def address(self) -> str:
        return f"浦东新区{self.road}路{self.lane}弄{self.lane % 9 + 1}号{self.room}室"

    def text(self, what: str) -> str:
        return f"{what}{self.name}{self.words}{self.typed_phone}，住{self.address}"

    def secrets(self) -> list[str]:
        """What must not be on an overview: the name and its given name, the address and its parts."""
        found = [self.name, self.address, f"{self.road}路", f"{self.lane}弄", f"{self.room}室"]
        found += [f"{self.latitude:.6f}", f"{self.longitude:.6f}"]
        return found + ([self.name[1:]] if len(self.name) > 2 else [])

    def numbers(self) -> list[str]:
        """Digits that must not be in a row: both numbers whole, and each without its first three (the part
        a mask hides, with what follows it)."""
        return [self.phone, self.phone[3:], self.typed_digits, self.typed_digits[3:]]


@st.composite
def residents(draw: st.DrawFn) -> Resident:
    digits, _, typed = draw(written_mobiles())
    return Resident(
        name=draw(names),
        phone=draw(MOBILES),
        typed_phone=typed,
        typed_digits=digits,
        road=draw(st.text(alphabet=RARE, min_size=2, max_size=3)),
        lane=draw(st.integers(min_value=100, max_value=999)),
        room=draw(st.integers(min_value=101, max_value=2899)),
        latitude=draw(st.floats(min_value=31.000001, max_value=31.399999)),
        longitude=draw(st.floats(min_value=121.400001, max_value=121.899999)),
        words=draw(GLUE),  # no digits in it: they would lengthen the number
    )


def digit_runs(text: str) -> list[str]:
    """Each run of digits in `text`, with whatever separators lie between them dropped (full-width digits
    read as digits)."""
    runs: list[str] = []
    current: list[str] = []
    for character in text:
        if character.isdigit():
            current.append(str(unicodedata.digit(character)))
        elif SEPARATOR.fullmatch(character) is None and current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def leaks(resident: Resident, text: str) -> list[str]:
    text = html.unescape(text)
    found = [secret for secret in resident.secrets() if secret in text]
    runs = digit_runs(text)
    return found + [number for number in resident.numbers() if any(number in run for run in runs)]


async def outputs(client: httpx.AsyncClient) -> dict[tuple[str, str], str]:
    read: dict[tuple[str, str], str] = {}
    for reader, headers in READERS.items():
        for path in OUTPUTS:
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, (reader, path, response.text)
            read[reader, path] = response.text
    return read


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post("/auth/token", data={"username": username, "password": f"demo-{username}"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def client(tmp_path: Path, embedded_template: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The embedded system as tests/conftest.py's `client` has it, with a patient gateway: the page reads a
    year of ratings, the machine running the suite may be busy, and this test is about what the page shows."""
    from gateway.settings import GatewaySettings
    from tests.templates import build_embedded

    patient = GatewaySettings(
        rate_limit_per_token_per_minute=0, rate_limit_per_address_per_minute=0, upstream_timeout_seconds=60.0
    )
    system = build_embedded(
        tmp_path, embedded_template, gateway_settings=patient, service_overrides={"consumer_retry_delay_ms": 50}
    )
    async with running(system.gateway):
        transport = httpx.ASGITransport(app=system.gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield http


@pytest.fixture
async def planting(client: httpx.AsyncClient) -> dict[str, Any]:
    """The signed-in social worker and resident, and the outputs before anything was planted."""
    return {
        "worker": await login(client, "social_worker"),
        "resident": await login(client, "resident"),
        "before": "\n".join((await outputs(client)).values()),
    }


async def plant(
    client: httpx.AsyncClient, worker: dict[str, str], resident_headers: dict[str, str], resident: Resident
):
    location = {"address": resident.address, "latitude": resident.latitude, "longitude": resident.longitude}
    at_the_desk = await client.post(
        "/api/v1/tickets",
        headers=worker,
        json={
            "station_id": DEMO_STATION_ID,
            "channel": "walk_in",
            "service_category": "daily_life",
            "description": resident.text("楼道漏水，"),
            "resident_name": resident.name,
            "resident_phone": resident.phone,
            "location": location,
        },
    )
    assert at_the_desk.status_code == 201, at_the_desk.text
    own = await client.post(
        "/api/v1/tickets",
        headers=resident_headers,
        json={
            "station_id": DEMO_STATION_ID,
            "channel": "app",
            "service_category": "government_affairs",
            "description": resident.text("换领医疗记录册，"),
            "resident_name": resident.name,
            "resident_phone": resident.phone,
            "location": location,
        },
    )
    assert own.status_code == 201, own.text
    ticket_id = own.json()["id"]
    closed = await client.post(
        f"/api/v1/tickets/{ticket_id}/close",
        headers=worker,
        json={"completed_by": SOCIAL_WORKER, "result_text": resident.text("已办结，已回电"), "note": resident.text("")},
    )
    assert closed.status_code == 200, closed.text
    invitation: dict[str, Any] = {}

    async def invited() -> bool:
        listed = await client.get("/api/v1/evaluations/invitations", params={"ticket_id": ticket_id}, headers=worker)
        invitation.update(*(listed.json()["items"] or [{}]))
        return bool(invitation)

    await eventually(invited)
    link = await client.post(f"/api/v1/evaluations/invitations/{invitation['id']}/token", headers=resident_headers)
    assert link.status_code == 201, link.text
    path = re.sub(r"^https?://[^/]+", "", link.json()["url"])
    rated = await client.post(path, data={"attitude": "1", "ability": "2", "comment": resident.text("等候太久，")})
    assert rated.status_code == 200 and "感谢" in rated.text, rated.text


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking on a live system: minutes; the leak list says what
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(resident=residents())
async def test_no_residents_personal_data_reaches_the_overview(
    client: httpx.AsyncClient, planting: dict[str, Any], resident: Resident
) -> None:
    assume(not leaks(resident, planting["before"]))  # on the page for another reason: it would prove nothing
    await plant(client, planting["worker"], planting["resident"], resident)
    for (reader, path), text in (await outputs(client)).items():
        assert leaks(resident, text) == [], (reader, path)
