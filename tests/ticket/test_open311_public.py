"""Issue 12 on Open311: the public feed shows the neighbourhood, not the door (point 1); characters XML
cannot carry are refused at the door and never break the XML (point 7); an integration files in no
resident's name (point 12); discovery ignores the Host header (point 13)."""

from __future__ import annotations

import json
import re
import uuid
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.privacy import mask_door_numbers as without_door_numbers
from tests.conftest import bearer
from tests.ticket.conftest import raise_ticket
from ticket_service.open311.formats import to_xml
from ticket_service.open311.public import coarsen_address, coarsen_coordinate
from ticket_service.tickets.models import Ticket

HOME = "浦东新区陆家嘴街道市新居委会东昌路123弄4号502室"
NAME = "欧阳娜娜"
PHONE = "13800002222"
LATITUDE, LONGITUDE = 31.234567, 121.512345
FORBIDDEN_KEYS = {"account_id", "email", "first_name", "last_name", "phone", "resident_name", "resident_phone"}


# -- the pure rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (HOME, "浦东新区陆家嘴街道市新居委会东昌路"),
        ("东昌路一百二十三弄四号五〇二室", "东昌路"),
        ("陆家嘴花园A栋1203室", "陆家嘴花园"),
        ("浦东南路１５００号", "浦东南路"),
        ("上海市浦东新区张杨路500号华润时代广场", "上海市浦东新区张杨路"),
        ("福山路 市新居委会门口", "福山路 市新居委会"),
        ("王阿姨家 5楼", None),  # nothing but a door and a name: nothing public left
        ("12 Dongchang Road, flat 502", None),
        ("", None),
        (None, None),
    ],
)
def test_an_address_is_coarsened_to_its_road_or_community(address, public):
    assert coarsen_address(address) == public


PLACES = st.lists(
    st.sampled_from(["浦东新区", "陆家嘴街道", "市新居委会", "潍坊新村", "东昌路", "浦东南路", "陆家嘴花园", "三林镇"]),
    min_size=1,
    max_size=4,
).map("".join)
DIGITS = st.text(alphabet="0123456789０１２３４５６７８９", min_size=1, max_size=4)
UNITS = st.sampled_from(["号", "弄", "支弄", "室", "栋", "幢", "座", "单元", "楼", "层", "户"])
DOOR = st.lists(st.tuples(DIGITS, st.sampled_from(["", "A", "B"]), UNITS), min_size=1, max_size=4).map(
    lambda parts: "".join(number + letter + unit for number, letter, unit in parts)
)


@settings(max_examples=300, deadline=None)
@given(place=PLACES, door=DOOR, tail=st.text(max_size=8))
def test_no_number_after_the_road_survives(place, door, tail):
    public = coarsen_address(place + door + tail)
    assert public == place
    assert public is not None
    assert not re.search(r"\d", public)


@settings(max_examples=300, deadline=None)
@given(address=st.text(max_size=60))
def test_a_coarsened_address_is_a_digit_free_prefix_and_stable(address):
    public = coarsen_address(address)
    if public is not None:
        assert address.strip().startswith(public) or public in address
        assert not re.search(r"\d", public)
        assert coarsen_address(public) == public


@settings(max_examples=200, deadline=None)
@given(value=st.floats(min_value=-90, max_value=90, allow_nan=False))
def test_coordinates_are_rounded_to_about_100_metres(value):
    rounded = coarsen_coordinate(value)
    assert abs(rounded - value) <= 0.0005 + 1e-12
    assert len(repr(rounded).split(".")[-1]) <= 3 or "e" in repr(rounded)


@settings(max_examples=200, deadline=None)
@given(prefix=st.text(alphabet="我住在楼下的隔壁漏水了，", max_size=6), door=DOOR)
def test_door_numbers_in_free_text_are_masked(prefix, door):
    masked = without_door_numbers(prefix + door + "漏水")
    assert not re.search(r"\d", masked)
    assert masked.endswith("漏水") and masked.startswith(prefix)


def test_other_numbers_in_free_text_stay_readable():
    assert without_door_numbers("漏水3天了，修了2次，花了500元") == "漏水3天了，修了2次，花了500元"
    assert without_door_numbers("3栋2单元十二楼，B座") == "*栋*单元**楼，*座"


def test_the_xml_writer_replaces_what_xml_cannot_carry():
    document = to_xml("request", None, {"description": "a\x0b\x1b\ufffe\uffff\ud800b\tc\nd"})
    root = ElementTree.fromstring(document)  # expat: strict about well-formedness
    assert root.findtext("description") == "a\ufffd\ufffd\ufffd\ufffd\ufffdb\tc\nd"


# -- through the ticket service -----------------------------------------------------------------------


@pytest.fixture
async def api_key(http) -> str:
    response = await http.post(
        "/api/v1/api-keys", headers=bearer("district_admin"), json={"name": "网格化中心", "client_id": "grid-centre"}
    )
    assert response.status_code == 201, response.text
    return response.json()["api_key"]


async def _home_ticket(http, station) -> dict:
    return await raise_ticket(
        http,
        station,
        description=f"我是{NAME}，住东昌路123弄4号502室，楼上漏水，请打{PHONE}",
        resident_name=NAME,
        resident_phone=PHONE,
        location={"address": HOME, "latitude": LATITUDE, "longitude": LONGITUDE},
        media_urls=["https://example.org/door.jpg"],
    )


def _items(response) -> list[dict]:
    assert response.status_code == 200, response.text
    if response.headers["content-type"].startswith("application/json"):
        return response.json()
    root = ElementTree.fromstring(response.content)
    return [{child.tag: child.text for child in request} for request in root.findall("request")]


async def test_the_public_feed_shows_the_neighbourhood_and_the_matter_never_the_door(http, station):
    ticket = await _home_ticket(http, station)
    for path in ("/open311/v2/requests", f"/open311/v2/requests/{ticket['id']}"):
        for fmt in ("json", "xml"):
            response = await http.get(f"{path}.{fmt}")
            (item,) = [entry for entry in _items(response) if entry["service_request_id"] == ticket["id"]]
            assert item["address"] == "浦东新区陆家嘴街道市新居委会东昌路"
            assert float(item["lat"]) == 31.235 and float(item["long"]) == 121.512
            assert "楼上漏水" in item["description"]  # the matter stays readable
            assert not FORBIDDEN_KEYS & set(item)
            assert not item["media_url"]
            for planted in (NAME, PHONE, "502", "123弄", "4号", str(LATITUDE), str(LONGITUDE), "31.2346"):
                assert planted not in response.text, (planted, fmt, path)


async def test_an_integrations_key_shows_what_the_integration_role_sees_never_the_contact(http, station, api_key):
    ticket = await _home_ticket(http, station)
    for path in ("/open311/v2/requests", f"/open311/v2/requests/{ticket['id']}"):
        response = await http.get(f"{path}.json", params={"api_key": api_key})
        (item,) = [entry for entry in _items(response) if entry["service_request_id"] == ticket["id"]]
        # More than the public (the street's structure, the photo), and no more than on the REST API.
        assert item["address"] == "浦东新区陆家嘴街道市新居委会东昌路***弄*号***室"
        assert (item["lat"], item["long"]) == (31.235, 121.512)
        assert item["media_url"] == "https://example.org/door.jpg"
        assert not FORBIDDEN_KEYS & set(item)
        for planted in (NAME, PHONE, "502", str(LATITUDE), str(LONGITUDE)):
            assert planted not in response.text, planted
    wrong = await http.get("/open311/v2/requests.json", params={"api_key": "o311_not-a-key"})
    assert wrong.status_code == 403 and wrong.json()[0]["code"] == 403


async def test_public_pages_are_capped_and_the_window_bounded(http, station, api_key, clock):
    created = [(await raise_ticket(http, station, description=f"第{index}件事"))["id"] for index in range(53)]

    async def ids(**params) -> list[str]:
        return [
            item["service_request_id"] for item in _items(await http.get("/open311/v2/requests.json", params=params))
        ]

    assert await ids() == created[::-1][:50]  # the default page
    pages = [await ids(page_size=20, page=page) for page in (1, 2, 3, 4)]
    assert [len(page) for page in pages] == [20, 20, 13, 0]
    assert sum(pages, []) == created[::-1]

    async def error(**params) -> str:
        response = await http.get("/open311/v2/requests.json", params=params)
        assert response.status_code == 400, response.text
        return response.json()[0]["description"]

    assert "page_size" in await error(page_size=201)
    assert "page_size" in await error(page_size="many")
    assert "page" in await error(page=0)
    assert len(await ids(page_size=201, api_key=api_key)) == 53  # an integration may take larger pages
    assert "end_date" in await error(start_date="2020-01-01T00:00:00Z", end_date="2026-09-14T00:00:00Z")
    # A start alone reaches 90 days on, never the whole history since.
    assert await ids(start_date="2026-01-01T00:00:00+08:00") == []
    assert len(await ids(start_date="2026-09-01T00:00:00+08:00", page_size=200)) == 53


async def test_characters_xml_cannot_carry_are_refused_at_the_door(http, station, api_key):
    headers = {**station.headers("receptionist"), "content-type": "application/json"}
    body = {"station_id": station.id, "channel": "walk_in", "service_category": "legal", "description": "x"}
    for description in ("楼道灯坏了\x0b\x1b", "\ufffe", "\uffff", "\ud800孤"):
        raw = json.dumps({**body, "description": description})  # ASCII escapes: \u000b, \ud800 ...
        response = await http.post("/api/v1/tickets", headers=headers, content=raw)
        assert response.status_code == 422, (description, response.text)
        problem = response.json()
        assert (problem["field"], problem["code"]) == ("description", "illegal_character"), problem
    raw_bytes = json.dumps({**body, "location": {"address": "东昌路\uffff"}}, ensure_ascii=False).encode()
    response = await http.post("/api/v1/tickets", headers=headers, content=raw_bytes)
    assert (response.status_code, response.json()["field"]) == (422, "location.address")
    form = {"api_key": api_key, "service_code": "legal", "attribute[station_id]": station.id, "description": "a\x1bb"}
    response = await http.post("/open311/v2/requests.json", data=form)
    assert (response.status_code, response.json()["field"]) == (422, "description")
    response = await http.get("/open311/v2/requests.json", params={"service_code": "legal\x0c"})
    assert (response.status_code, response.json()["field"]) == (422, "service_code")
    # What XML does carry still passes: tabs, new lines, an emoji (a surrogate pair in JSON's escapes).
    fine = json.dumps({**body, "description": "第一行\n\t第二行 🙂"})
    assert (await http.post("/api/v1/tickets", headers=headers, content=fine)).status_code == 201


async def test_a_stored_illegal_character_does_not_break_the_xml_for_everyone(http, station, ticket_app):
    ticket = await raise_ticket(http, station, description="路灯坏了")
    other = await raise_ticket(http, station, description="井盖松动")
    # A row written before the door refused them (or by another path): the feed must stay well-formed.
    async with ticket_app.state.runtime.database.transaction() as session:
        await session.execute(
            sa.update(Ticket).where(Ticket.id == uuid.UUID(ticket["id"])).values(description="路灯\x0b\x1b坏了\uffff")
        )
    for path in ("/open311/v2/requests.xml", f"/open311/v2/requests/{ticket['id']}.xml"):
        response = await http.get(path)
        assert response.status_code == 200
        items = {item["service_request_id"]: item for item in _items(response)}
        assert items[ticket["id"]]["description"] == "路灯\ufffd\ufffd坏了\ufffd"
    assert other["id"] in {item["service_request_id"] for item in _items(await http.get("/open311/v2/requests.xml"))}


async def test_an_integration_files_in_no_residents_name(http, station, api_key):
    resident = str(uuid.uuid4())
    integration = bearer("integration_client", "grid-centre")
    body = {
        "station_id": station.id,
        "channel": "app",
        "service_category": "daily_life",
        "description": "楼道堆物",
        "resident_id": resident,
        "resident_name": "李四",
        "resident_phone": "13900001111",
    }
    raised = await http.post("/api/v1/tickets", headers=integration, json=body)
    assert raised.status_code == 201, raised.text
    assert raised.json()["resident_id"] is None
    form = {
        "api_key": api_key,
        "service_code": "daily_life",
        "attribute[station_id]": station.id,
        "address_string": "福山路",
        "description": "垃圾未清运",
        "account_id": resident,
        "first_name": "李",
        "last_name": "四",
        "phone": "13900001111",
    }
    posted = await http.post("/open311/v2/requests.json", data=form)
    assert posted.status_code == 200, posted.text
    assert not posted.json()[0]["account_id"]
    own = await http.get("/api/v1/tickets", headers=bearer("resident", resident))
    assert own.status_code == 200 and own.json()["items"] == []
    # The contact the integration gave stays with the ticket: the station reaches the resident by it.
    contact = await http.get(f"/api/v1/tickets/{raised.json()['id']}/contact", headers=station.headers("receptionist"))
    assert contact.json()["resident_phone"] == "13900001111"
    # Staff at the desk still name the resident they serve, and the resident then sees it.
    desk = await raise_ticket(http, station, resident_id=resident)
    own = await http.get("/api/v1/tickets", headers=bearer("resident", resident))
    assert [item["id"] for item in own.json()["items"]] == [desk["id"]]


async def test_discovery_ignores_the_host_header(http, ticket_app):
    configured = ticket_app.state.runtime.settings.public_base_url.rstrip("/")
    for fmt in ("json", "xml"):
        response = await http.get(f"/open311/v2/discovery.{fmt}", headers={"host": "evil.example"})
        assert response.status_code == 200
        assert "evil.example" not in response.text
        assert f"{configured}/open311/v2" in response.text
