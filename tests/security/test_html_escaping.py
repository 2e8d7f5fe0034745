"""Issue 8: text that people type is escaped on every HTML page.

Hostile text goes in through the API, the way staff and residents would type it (a station's and a
social worker's names, an optional item, a demand, a resource, an exception note, a resident's comment),
and every page that shows it is read back: the markup must come out as text, never as elements.
The pages: the catalogue's wall page, the evaluation's resident form (/e/{token}, including the form
shown again with the resident's comment after a mistake) and the printable performance assessment.
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from html import escape
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from evaluation_service.directory.models import StaffCopy
from tests.conftest import bearer, eventually
from tests.security.world import ADMIN, HOME, expect

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(1)>'
HOSTILE = SCRIPT + ATTRIBUTE_BREAKOUT


class Page(HTMLParser):
    """The elements, attributes and text a browser would see in the page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_shown_as_text(response: httpx.Response, *typed: str) -> None:
    """Each typed text appears on the page as text; none of its markup became an element."""
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    body = response.text
    assert SCRIPT not in body and ATTRIBUTE_BREAKOUT not in body, "raw markup on the page"
    spelled = body.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")  # the same characters to a browser
    assert escape(SCRIPT) in spelled and escape(ATTRIBUTE_BREAKOUT) in spelled, "the escaped text is missing"
    page = Page(body)
    tags = {tag for tag, _ in page.elements}
    assert "script" not in tags, "a <script> element came from typed text"
    assert not [tag for tag, attributes in page.elements if tag == "img" or "onerror" in attributes]
    shown = "".join(page.text)
    for text in typed:
        assert text in shown, f"{text!r} is not shown as text"


@pytest.fixture(scope="module")
async def hostile(http: httpx.AsyncClient, system: Any) -> dict[str, Any]:
    """A station of the home subdistrict whose every typed field carries markup, and its social worker."""
    tag = uuid.uuid4().hex[:6]
    texts = {
        "station": f"{tag}服务站{HOSTILE}",
        "community": f"{tag}社区{HOSTILE}",
        "address": f"福山路{HOSTILE}",
        "worker": f"社工{HOSTILE}",
        "item": f"自选服务{HOSTILE}",
        "item_description": f"说明{HOSTILE}",
        "demand": f"需求{HOSTILE}",
        "resource": f"资源{HOSTILE}",
        "note": f"闭馆{HOSTILE}",
        "comment": f"意见{HOSTILE}",
    }
    station = expect(
        await http.post(
            "/api/v1/stations",
            headers=ADMIN,
            json={
                "subdistrict_id": HOME.subdistrict_id,
                "community_name": texts["community"],
                "name": texts["station"],
                "address": texts["address"],
                "latitude": 31.238,
                "longitude": 121.506,
            },
        ),
        201,
    )
    worker = expect(
        await http.post(
            "/api/v1/staff",
            headers=ADMIN,
            json={"name": texts["worker"], "role": "social_worker", "station_id": station["id"]},
        ),
        201,
    )

    async def the_evaluation_service_knows_the_worker() -> bool:
        # The rating page names the worker from the evaluation service's own copy of the staff, filled by the
        # catalogue's event; under a loaded machine it may arrive after the ticket service's (fresh-clone CI).
        async with system.services["evaluation"].state.runtime.database.sessionmaker() as session:
            return await session.get(StaffCopy, worker["id"]) is not None

    await eventually(the_evaluation_service_knows_the_worker, timeout=30, interval=0.2)
    staff_headers = bearer(
        "social_worker",
        worker["id"],
        station_id=station["id"],
        community_id=station["community_id"],
        subdistrict_id=HOME.subdistrict_id,
    )
    return {"texts": texts, "station": station, "worker": worker, "headers": staff_headers}


async def test_the_wall_page_shows_typed_text_as_text(http: httpx.AsyncClient, hostile: dict[str, Any]) -> None:
    texts, station, staff = hostile["texts"], hostile["station"], hostile["headers"]
    station_id = station["id"]
    expect(
        await http.post(
            "/api/v1/service-items",
            headers=staff,
            json={
                "station_id": station_id,
                "category": "culture",
                "title": texts["item"],
                "description": texts["item_description"],
            },
        ),
        201,
    )
    expect(
        await http.post(
            "/api/v1/demands",
            headers=staff,
            json={"station_id": station_id, "category": "culture", "title": texts["demand"], "source": "resident"},
        ),
        201,
    )
    expect(
        await http.post(
            "/api/v1/resources",
            headers=ADMIN,
            json={
                "title": texts["resource"],
                "category": "culture",
                "station_id": station_id,
                "capacity": 3,
                "availability": [{"starts_on": "2026-01-01", "ends_on": "2030-12-31"}],
            },
        ),
        201,
    )
    expect(
        await http.put(
            f"/api/v1/stations/{station_id}/opening-hours/exceptions/2030-10-01",
            headers=ADMIN,
            json={"periods": [], "note": texts["note"]},
        ),
        200,
    )

    page = await http.get(f"/wall/stations/{station_id}")

    assert page.status_code == 200
    typed = ("station", "community", "address", "worker", "item", "item_description", "demand", "resource", "note")
    assert_shown_as_text(page, *(texts[name] for name in typed))


async def _rating_link(http: httpx.AsyncClient, hostile: dict[str, Any]) -> tuple[str, str]:
    """A ticket at the hostile station, handled and closed by its social worker; (ticket id, /e/ path)."""
    station_id, staff, worker_id = hostile["station"]["id"], hostile["headers"], hostile["worker"]["id"]

    async def the_services_know_the_worker() -> bool:
        # The rota takes only the station's own staff: once it does, the catalogue's staff event is in.
        start = datetime(2030, 1, 7, 9, tzinfo=UTC) + timedelta(hours=random.randrange(24 * 300))
        shift = await http.post(
            f"/api/v1/duty-rota/{station_id}/shifts",
            headers=ADMIN,
            json={
                "person_id": worker_id,
                "start_at": start.isoformat(),
                "end_at": (start + timedelta(minutes=30)).isoformat(),
            },
        )
        return shift.status_code == 201

    await eventually(the_services_know_the_worker, timeout=30, interval=0.2)
    # Raised in the resident's app (so the resident gets the rating link in their account; issue 12: the
    # staff who handled a ticket get none), owned by the worker on duty now (an earlier call made the shift).
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    on_duty = {"person_id": worker_id, "start_at": now.isoformat(), "end_at": (now + timedelta(hours=2)).isoformat()}
    shift = await http.post(f"/api/v1/duty-rota/{station_id}/shifts", headers=ADMIN, json=on_duty)
    assert shift.status_code == 201 or shift.json().get("code") == "overlapping_shifts", shift.text
    resident = bearer("resident", str(uuid.uuid4()))
    ticket = expect(
        await http.post(
            "/api/v1/tickets",
            headers=resident,
            json={
                "station_id": station_id,
                "channel": "app",
                "service_category": "government_affairs",
                "description": "换领医疗记录册",
                "resident_name": "王阿姨",
                "resident_phone": "13800001234",
            },
        ),
        201,
    )
    expect(await http.post(f"/api/v1/tickets/{ticket['id']}/close", headers=staff, json={"result_text": "已办结"}), 200)
    found: dict[str, Any] = {}

    async def invited() -> bool:
        listed = await http.get("/api/v1/evaluations/invitations", params={"ticket_id": ticket["id"]}, headers=ADMIN)
        found.update(*(expect(listed, 200)["items"] or [{}]))
        return bool(found)

    await eventually(invited, timeout=30)
    link = expect(await http.post(f"/api/v1/evaluations/invitations/{found['id']}/token", headers=resident), 201)
    return ticket["id"], re.sub(r"^https?://[^/]+", "", link["url"])


async def test_the_residents_rating_page_shows_typed_text_as_text(
    http: httpx.AsyncClient, hostile: dict[str, Any]
) -> None:
    texts = hostile["texts"]
    _, path = await _rating_link(http, hostile)

    form = await http.get(path)
    assert form.status_code == 200, form.text
    assert_shown_as_text(form, texts["station"], texts["worker"])

    # A mistake (no scores) shows the form again with what the resident typed, as text.
    again = await http.post(path, data={"attitude": "", "ability": "", "comment": texts["comment"]})
    assert again.status_code == 422, again.text
    assert_shown_as_text(again, texts["station"], texts["worker"], texts["comment"])

    thanks = await http.post(path, data={"attitude": "2", "ability": "3", "comment": texts["comment"]})
    assert thanks.status_code == 200, thanks.text
    assert SCRIPT not in thanks.text and ATTRIBUTE_BREAKOUT not in thanks.text


async def test_the_printable_assessment_shows_typed_names_as_text(
    http: httpx.AsyncClient, hostile: dict[str, Any]
) -> None:
    texts, station_id = hostile["texts"], hostile["station"]["id"]
    ticket_id, path = await _rating_link(http, hostile)
    expect(await http.post(path, data={"attitude": "4", "ability": "4", "comment": texts["comment"]}), 200)

    report = await http.get(
        "/api/v1/performance-assessments", params={"format": "html", "station_id": station_id}, headers=ADMIN
    )

    assert report.status_code == 200, report.text
    assert_shown_as_text(report, texts["worker"], texts["station"])
    one = await http.get(
        f"/api/v1/performance-assessments/{hostile['worker']['id']}", params={"format": "html"}, headers=ADMIN
    )
    assert one.status_code == 200, one.text
    assert_shown_as_text(one, texts["worker"])


async def test_open311_xml_keeps_a_residents_markup_as_text(http: httpx.AsyncClient) -> None:
    # Not HTML, but the same rule: what a resident typed comes back as text, not as structure.
    description = f"路灯坏了</description><injected>1</injected>{HOSTILE}"
    answer = await http.post(
        "/open311/v2/requests.xml",
        data={
            "api_key": "demo-open311-key",
            "service_code": "daily_life",
            "attribute[station_id]": HOME.station_id,
            "address_string": "福山路1号",
            "description": description,
        },
    )
    assert answer.status_code in (200, 201), answer.text
    request_id = ElementTree.fromstring(answer.text).findtext("request/service_request_id")

    shown = await http.get(f"/open311/v2/requests/{request_id}.xml")

    assert shown.status_code == 200
    document = ElementTree.fromstring(shown.text)
    assert document.find(".//injected") is None
    assert document.findtext("request/description") == description
