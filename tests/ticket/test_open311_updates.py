"""Open311: FixMyStreet's `servicerequestupdates`, `updated_after`/`updated_before` on requests, paging past
1,000 requests, and `status_notes` with the public result text."""

from __future__ import annotations

import uuid
from datetime import datetime
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from jsonschema import Draft4Validator, FormatChecker

from tests.conftest import bearer
from tests.ticket.conftest import local, raise_ticket
from tests.ticket.test_open311 import _valid
from ticket_service.tickets.models import Ticket

# FixMyStreet's GeoReport v2 extension (no schema ships with the standard's): a list of request_update.
UPDATES_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"],
        "additionalProperties": False,
        "properties": {
            "update_id": {"type": "string", "minLength": 1},
            "service_request_id": {"type": "string", "minLength": 1},
            "status": {"enum": ["open", "closed"]},
            "updated_datetime": {"type": "string", "format": "date-time"},
            "description": {"type": "string"},
            "media_url": {"type": "string"},
        },
    },
}
RESULT = "已为王阿姨更换新的医疗记录册，请到东昌路123弄4号502室领取，电话13800000000"
INTERNAL = "内部：王阿姨家没人，邻居说她住院了"


def _text(root: ElementTree.Element, path: str) -> str | None:
    """The text of the element at `path`, which must be there."""
    element = root.find(path)
    assert element is not None, path
    return element.text


def _valid_updates(document) -> None:
    errors = sorted(Draft4Validator(UPDATES_SCHEMA, format_checker=FormatChecker()).iter_errors(document), key=str)
    assert not errors, [error.message for error in errors]


def test_the_updates_schema_does_catch_a_wrong_shape():
    with pytest.raises(AssertionError):
        _valid_updates([{"update_id": "1", "service_request_id": "2", "status": "resolved"}])


@pytest.fixture
async def api_key(http) -> str:
    response = await http.post(
        "/api/v1/api-keys", headers=bearer("district_admin"), json={"name": "网格化中心", "client_id": "grid-centre"}
    )
    assert response.status_code == 201, response.text
    return response.json()["api_key"]


async def _act(http, station, ticket_id: str, action: str, note: str | None = None) -> None:
    """`note`: the staff's note; for `resolve` the result text (办理结果), the public's answer."""
    if action == "resolve":
        body: dict[str, str | None] = {"action": action, "result_text": note}
    else:
        body = {"action": action, **({"note": note} if note else {})}
    response = await http.post(
        f"/api/v1/tickets/{ticket_id}/transitions", headers=station.headers("receptionist"), json=body
    )
    assert response.status_code == 200, response.text


async def _handled(http, station, clock) -> dict:
    """Raised Monday 09:00, accepted 09:10, waiting 10:00 (an internal note), resumed 11:00, resolved 11:30."""
    ticket = await raise_ticket(http, station)
    for at, action, note in (
        ((9, 10), "accept", None),
        ((10, 0), "wait_for_resident", INTERNAL),
        ((11, 0), "resume", None),
        ((11, 30), "resolve", RESULT),
    ):
        clock.set(local(2026, 9, 14, *at))
        await _act(http, station, ticket["id"], action, note)
    return ticket


async def test_updates_show_each_state_change_with_public_words_only(http, station, clock):
    ticket = await _handled(http, station, clock)
    response = await http.get("/open311/v2/servicerequestupdates.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    updates = response.json()
    _valid_updates(updates)
    assert [(u["service_request_id"], u["status"]) for u in updates] == [(ticket["id"], "open")] * 3 + [
        (ticket["id"], "closed")
    ]
    descriptions = [update["description"] for update in updates]
    assert descriptions[:3] == ["已受理", "等待居民补充信息", "正在办理"]
    result = descriptions[3]
    assert "更换新的医疗记录册" in result and "东昌路" in result  # the public result, readable
    for secret in ("13800000000", "123弄", "502室", "王阿姨"):
        assert secret not in result  # masked as the public description is
    body = response.text
    assert "住院" not in body and "邻居" not in body  # an internal note never leaves
    assert station.receptionist not in body  # nor who on the staff did it
    assert "wait_for_resident" not in body and "in_progress" not in body  # nor the internal state words
    assert [u["updated_datetime"] for u in updates] == sorted(u["updated_datetime"] for u in updates)
    assert datetime.fromisoformat(updates[0]["updated_datetime"]) == local(2026, 9, 14, 9, 10)
    # Stable ids: the same update reads back with the same id.
    again = (await http.get("/open311/v2/servicerequestupdates.json")).json()
    assert [u["update_id"] for u in again] == [u["update_id"] for u in updates]
    assert len({u["update_id"] for u in updates}) == 4

    xml = await http.get("/open311/v2/servicerequestupdates.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "service_request_updates"
    items = root.findall("request_update")
    as_dicts = [{child.tag: child.text or "" for child in item} for item in items]
    assert as_dicts == updates  # the same data, field for field


async def test_updates_are_windowed_paged_and_checked_like_requests(http, station, clock, api_key):
    await _handled(http, station, clock)

    async def ids(**params) -> list[str]:
        response = await http.get("/open311/v2/servicerequestupdates.json", params=params)
        assert response.status_code == 200, response.text
        _valid_updates(response.json())
        return [update["update_id"] for update in response.json()]

    every = await ids()
    assert await ids(page_size="1", page="2") == every[1:2]
    assert await ids(page_size="3", page="2") == every[3:]
    assert await ids(start_date="2026-09-14T10:30:00+08:00") == every[2:]
    assert await ids(end_date="2026-09-14T10:30:00+08:00") == every[:2]
    assert await ids(start_date="2026-09-15T00:00:00+08:00") == []
    assert await ids(api_key=api_key, page_size="1000") == every

    async def error(**params) -> tuple[int, str]:
        response = await http.get("/open311/v2/servicerequestupdates.xml", params=params)
        root = ElementTree.fromstring(response.content)
        assert root.tag == "errors" and _text(root, "error/code") == str(response.status_code)
        description = _text(root, "error/description")
        assert description is not None
        return response.status_code, description

    assert (await error(start_date="2026-01-01T00:00:00Z", end_date="2026-09-01T00:00:00Z"))[0] == 400
    assert (await error(start_date="2026-09-14"))[0] == 400  # no time zone
    assert (await error(page_size="201"))[0] == 400  # the public's page is at most 200
    assert (await error(api_key="wrong"))[0] == 403
    assert (await error(jurisdiction_id="beijing.gov.cn"))[0] == 404


async def test_status_notes_carry_the_public_result_never_the_state_word(http, station, clock):
    handled = await _handled(http, station, clock)
    waiting = await raise_ticket(http, station)
    await _act(http, station, waiting["id"], "accept")
    await _act(http, station, waiting["id"], "wait_for_resident", INTERNAL)
    fresh = await raise_ticket(http, station)
    response = await http.get("/open311/v2/requests.json")
    _valid("requests.json", response.json())
    notes = {item["service_request_id"]: item["status_notes"] for item in response.json()}
    result = notes[handled["id"]]
    assert "更换新的医疗记录册" in result
    assert "13800000000" not in result and "王阿姨" not in result and "502室" not in result
    assert notes[waiting["id"]] == "等待居民补充信息"  # the public words, not the internal note
    assert notes[fresh["id"]] == "已登记，等待受理"
    for note in notes.values():
        assert note not in {"new", "accepted", "in_progress", "waiting_for_resident", "resolved", "closed"}
    xml = ElementTree.fromstring((await http.get(f"/open311/v2/requests/{handled['id']}.xml")).content)
    assert _text(xml, "request/status_notes") == result


async def _plant(ticket_app, station, count: int, *, created: datetime, updated: datetime) -> list[str]:
    """`count` tickets written straight into the database (the API would take minutes for a thousand)."""
    ids = [uuid.UUID(int=uuid.uuid4().int) for _ in range(count)]
    rows = [
        {
            "id": ticket_id,
            "station_id": uuid.UUID(station.id),
            "community_id": uuid.UUID(station.community_id),
            "subdistrict_id": uuid.UUID(station.subdistrict_id),
            "channel": "web",
            "service_category": "daily_life",
            "description": f"路灯不亮 {index}",
            "status": "new",
            "owner_id": station.receptionist,
            "owner_kind": "person",
            "responsibility_level": "first_inquiry",
            "created_at": created,
            "updated_at": updated,
            "media_urls": [],
            "handled_by": [],
            "sla_warnings": [],
            "change_count": 0,
        }
        for index, ticket_id in enumerate(ids)
    ]
    async with ticket_app.state.runtime.database.transaction() as session:
        await session.execute(sa.insert(Ticket), rows)
    return [str(ticket_id) for ticket_id in ids]


async def test_an_integration_pages_past_a_thousand_requests(http, station, ticket_app, api_key):
    planted = await _plant(
        ticket_app, station, 1205, created=local(2026, 9, 10, 9, 0), updated=local(2026, 9, 10, 9, 0)
    )

    async def page(number: int, size: int, key: str | None = api_key) -> list[str]:
        params = {"page": str(number), "page_size": str(size)} | ({"api_key": key} if key else {})
        response = await http.get("/open311/v2/requests.json", params=params)
        assert response.status_code == 200, response.text
        return [item["service_request_id"] for item in response.json()]

    first, second, third = await page(1, 1000), await page(2, 1000), await page(3, 1000)
    assert (len(first), len(second), third) == (1000, 205, [])
    assert set(first) | set(second) == set(planted) and not set(first) & set(second)
    public = [item for number in range(1, 8) for item in await page(number, 200, key=None)]
    assert len(public) == 1205 and set(public) == set(planted)  # the public walks them in pages of 200
    discovery = (await http.get("/open311/v2/discovery.json")).json()
    assert "page_size" in discovery["paging"]


async def test_updated_after_and_before_filter_by_the_last_change(http, station, ticket_app, clock):
    old = await _plant(ticket_app, station, 3, created=local(2026, 5, 1, 9, 0), updated=local(2026, 5, 2, 9, 0))
    touched = await _plant(ticket_app, station, 2, created=local(2026, 5, 1, 9, 0), updated=local(2026, 9, 13, 9, 0))
    recent = await raise_ticket(http, station)  # Monday 2026-09-14 09:00

    async def ids(**params) -> set[str]:
        response = await http.get("/open311/v2/requests.json", params=params)
        assert response.status_code == 200, response.text
        _valid("requests.json", response.json())
        return {item["service_request_id"] for item in response.json()}

    # Changed since Saturday, whenever raised (no window on the request time without start/end_date).
    assert await ids(updated_after="2026-09-12T00:00:00+08:00") == {*touched, recent["id"]}
    assert await ids(updated_after="2026-09-13T12:00:00+08:00") == {recent["id"]}
    # updated_before alone reaches 90 days back, as end_date does.
    assert await ids(updated_before="2026-09-13T12:00:00+08:00") == {*touched}
    assert await ids(updated_after="2026-05-01T00:00:00+08:00", updated_before="2026-07-01T00:00:00+08:00") == {*old}
    assert await ids(updated_after="2026-09-12T00:00:00Z", start_date="2026-09-01T00:00:00Z") == {recent["id"]}
    assert await ids() == {recent["id"]}  # the default window: requests of the last 90 days
    # A change moves a request into the window.
    clock.set(local(2026, 9, 14, 10, 0))
    response = await http.post(
        f"/api/v1/tickets/{old[0]}/transitions", headers=station.headers("receptionist"), json={"action": "accept"}
    )
    assert response.status_code == 200, response.text
    assert await ids(updated_after="2026-09-14T09:30:00+08:00") == {old[0]}
    too_wide = await http.get(
        "/open311/v2/requests.json",
        params={"updated_after": "2026-01-01T00:00:00Z", "updated_before": "2026-09-01T00:00:00Z"},
    )
    assert too_wide.status_code == 400
    assert "updated_after and updated_before" in too_wide.json()[0]["description"]
    assert (await http.get("/open311/v2/requests.json", params={"updated_after": "soon"})).status_code == 400
