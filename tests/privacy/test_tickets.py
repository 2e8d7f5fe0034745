"""Residents' names and phone numbers on tickets: masked for every reader who does not handle the
matter (lists, CSV export, Open311 JSON and XML), in full for whoever does, and every full read recorded."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from xml.etree import ElementTree

import pytest

from tests.conftest import bearer
from tests.ticket.conftest import local, raise_ticket

NAME = "张小明"
PHONE = "13912345678"
MASKED_PHONE = "139****5678"
PHONE_IN_TEXT = "13987654321"  # the resident wrote a second number into the description
DESCRIPTION = f"家里水管坏了，请打{PHONE_IN_TEXT}找我"


async def _raise(http, station, role: str = "receptionist", **overrides):
    body = {"resident_name": NAME, "resident_phone": PHONE, "description": DESCRIPTION, **overrides}
    return await raise_ticket(http, station, role, **body)


async def _reads(http, **params) -> list[dict]:
    response = await http.get(
        "/api/v1/tickets/contact-reads", headers=bearer("district_admin"), params={"limit": 200, **params}
    )
    assert response.status_code == 200, response.text
    assert PHONE not in response.text and NAME not in response.text  # the log never holds what it records
    return response.json()["items"]


def _colleague(station) -> dict[str, str]:
    return station.headers("social_worker", station.social_workers[1])


def _assert_masked(item: dict) -> None:
    assert item["resident_name"] == "张**" and item["resident_phone"] == MASKED_PHONE
    assert item["description"] == "家里水管坏了，请打139****4321找我"
    assert item["contact_masked"] is True


async def test_lists_show_the_resident_masked_to_every_reader_even_the_owner(http, station):
    ticket = await _raise(http, station)
    assert ticket["owner_id"] == station.receptionist  # the receptionist took it at the desk
    readers = [
        station.headers("receptionist"),
        _colleague(station),
        station.headers("secretary"),
        station.department_headers(),
        bearer("district_admin"),
    ]
    for headers in readers:
        response = await http.get("/api/v1/tickets", headers=headers)
        assert response.status_code == 200, response.text
        _assert_masked(next(item for item in response.json()["items"] if item["id"] == ticket["id"]))
        assert PHONE not in response.text and PHONE_IN_TEXT not in response.text and NAME not in response.text
    creation_only = await _reads(http, ticket_id=ticket["id"])
    assert [read["endpoint"] for read in creation_only] == ["POST /api/v1/tickets"]  # lists are never recorded


async def test_the_csv_export_carries_the_resident_masked(http, station):
    ticket = await _raise(http, station)
    response = await http.get("/api/v1/tickets/export.csv", headers=station.headers("receptionist"))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    row = next(row for row in rows if row["id"] == ticket["id"])
    assert row["resident_name"] == "张**" and row["resident_phone"] == MASKED_PHONE
    assert PHONE not in response.text and NAME not in response.text


@pytest.fixture
async def api_key(http) -> str:
    response = await http.post(
        "/api/v1/api-keys", headers=bearer("district_admin"), json={"name": "网格化中心", "client_id": "grid-centre"}
    )
    assert response.status_code == 201, response.text
    return response.json()["api_key"]


async def test_open311_requests_show_no_contact_in_json_or_xml(http, station, api_key):
    form = {
        "api_key": api_key,
        "service_code": "community_management.sanitation",
        "attribute[station_id]": station.id,
        "lat": "31.2300",
        "long": "121.5200",
        "first_name": "张",
        "last_name": "小明",
        "phone": PHONE,
        "email": "zhang@example.org",
        "description": DESCRIPTION,
    }
    created = await http.post("/open311/v2/requests.json", data=form)
    assert created.status_code == 200, created.text
    request_id = created.json()[0]["service_request_id"]
    for path in ("/open311/v2/requests", f"/open311/v2/requests/{request_id}"):
        as_json = await http.get(f"{path}.json")
        item = next(entry for entry in as_json.json() if entry["service_request_id"] == request_id)
        assert item["description"] == "家里水管坏了，请打139****4321找我\n联系人: z****@example.org"
        as_xml = await http.get(f"{path}.xml")
        root = ElementTree.fromstring(as_xml.content)
        request = next(entry for entry in root.iter("request") if entry.findtext("service_request_id") == request_id)
        assert request.findtext("description") == item["description"]
        for body in (as_json.text, as_xml.text):
            assert PHONE not in body and PHONE_IN_TEXT not in body and "zhang@example.org" not in body
            assert NAME not in body and "小明" not in body
    # The station's own staff still reach the resident: the contact was kept, only its display is masked.
    contact = await http.get(f"/api/v1/tickets/{request_id}/contact", headers=station.headers("receptionist"))
    assert contact.status_code == 200 and contact.json()["resident_phone"] == PHONE


async def test_the_handler_sees_the_full_contact_on_the_detail_and_each_read_is_recorded(http, station, clock):
    ticket = await _raise(http, station)
    clock.set(local(2026, 9, 14, 10, 30))
    detail = await http.get(f"/api/v1/tickets/{ticket['id']}", headers=station.headers("receptionist"))
    assert detail.status_code == 200
    body = detail.json()
    assert (body["resident_name"], body["resident_phone"], body["description"]) == (NAME, PHONE, DESCRIPTION)
    assert body["contact_masked"] is False
    reads = await _reads(http, ticket_id=ticket["id"])
    assert [(read["endpoint"], read["reader_id"]) for read in reads] == [  # newest first
        ("GET /api/v1/tickets/{ticket_id}", station.receptionist),
        ("POST /api/v1/tickets", station.receptionist),
    ]
    last = reads[0]
    assert datetime.fromisoformat(last["read_at"]) == local(2026, 9, 14, 10, 30)
    assert last["reader_roles"] == ["receptionist"]
    assert last["station_id"] == station.id and last["ticket_id"] == ticket["id"]
    assert (last["resident_name_masked"], last["resident_phone_masked"]) == ("张**", MASKED_PHONE)

    # Acting on the ticket answers with its detail: the owner's answer is full, and recorded too.
    accepted = await http.post(
        f"/api/v1/tickets/{ticket['id']}/transitions",
        headers=station.headers("receptionist"),
        json={"action": "accept"},
    )
    assert accepted.status_code == 200 and accepted.json()["resident_phone"] == PHONE
    assert (await _reads(http, ticket_id=ticket["id"]))[0]["endpoint"] == "POST /api/v1/tickets/{ticket_id}/transitions"

    # A colleague at the same desk sees the detail masked, and nothing is recorded for them.
    seen = await http.get(f"/api/v1/tickets/{ticket['id']}", headers=_colleague(station))
    assert seen.status_code == 200
    _assert_masked(seen.json())
    assert PHONE not in seen.text
    assert await _reads(http, reader_id=station.social_workers[1]) == []


async def test_a_new_owner_sees_the_contact_and_the_previous_one_no_longer_does(http, station):
    ticket = await _raise(http, station)
    designee = station.social_workers[2]
    designated = await http.post(
        f"/api/v1/tickets/{ticket['id']}/designate",
        headers=station.headers("secretary"),
        json={"designee_id": designee},
    )
    assert designated.status_code == 200, designated.text
    _assert_masked(designated.json())  # the secretary does not handle it
    mine = await http.get(f"/api/v1/tickets/{ticket['id']}", headers=station.headers("social_worker", designee))
    assert mine.json()["resident_phone"] == PHONE
    before = await http.get(f"/api/v1/tickets/{ticket['id']}", headers=station.headers("receptionist"))
    _assert_masked(before.json())


async def test_the_resident_sees_their_own_contact_and_that_read_is_recorded(http, station):
    resident = str(uuid.uuid4())
    created = await http.post(
        "/api/v1/tickets",
        headers=bearer("resident", resident),
        json={
            "station_id": station.id,
            "channel": "app",
            "service_category": "daily_life",
            "description": DESCRIPTION,
            "resident_name": NAME,
            "resident_phone": PHONE,
        },
    )
    assert created.status_code == 201, created.text
    mine = await http.get(f"/api/v1/tickets/{created.json()['id']}", headers=bearer("resident", resident))
    assert mine.json()["resident_phone"] == PHONE
    reads = await _reads(http, resident_id=resident)
    assert reads and {read["reader_id"] for read in reads} == {resident}


async def test_the_station_reveals_a_contact_on_purpose_others_may_not(http, station, clock):
    ticket = await _raise(http, station)
    url = f"/api/v1/tickets/{ticket['id']}/contact"
    for headers, reader in ((_colleague(station), station.social_workers[1]), (station.headers("secretary"), None)):
        revealed = await http.get(url, headers=headers)
        assert revealed.status_code == 200, revealed.text
        assert revealed.json() == {
            "ticket_id": ticket["id"],
            "resident_id": None,
            "resident_name": NAME,
            "resident_phone": PHONE,
            "description": DESCRIPTION,
            "location_address": None,
            "latitude": None,
            "longitude": None,
            "personal_data_removed_at": None,
        }
        if reader is not None:
            reads = await _reads(http, reader_id=reader)
            assert [read["endpoint"] for read in reads] == ["GET /api/v1/tickets/{ticket_id}/contact"]
    before = len(await _reads(http, ticket_id=ticket["id"]))
    # Those who supervise see the ticket, not the resident: refused, and nothing recorded.
    for headers in (station.department_headers(), bearer("district_admin")):
        refused = await http.get(url, headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == "contact_not_allowed"
    # Staff of another station learn nothing of the ticket.
    elsewhere = bearer("social_worker", str(uuid.uuid4()), station_id=str(uuid.uuid4()))
    assert (await http.get(url, headers=elsewhere)).status_code == 404
    assert len(await _reads(http, ticket_id=ticket["id"])) == before


async def test_only_district_administrators_read_the_contact_log(http, station):
    await _raise(http, station)
    refused = [
        station.headers("receptionist"),
        station.headers("secretary"),
        station.department_headers(),
        bearer("subdistrict_admin", subdistrict_id=station.subdistrict_id),
        bearer("resident", str(uuid.uuid4())),
        bearer("integration_client", "grid-centre"),
    ]
    for headers in refused:
        response = await http.get("/api/v1/tickets/contact-reads", headers=headers)
        assert response.status_code == 403 and response.json()["code"] == "role_required"
    assert (await http.get("/api/v1/tickets/contact-reads")).status_code == 401
    assert (await http.get("/api/v1/tickets/contact-reads", headers=bearer("district_admin"))).status_code == 200


async def test_the_contact_log_pages_walk_every_read_once(http, station):
    ticket = await _raise(http, station)
    for _ in range(4):
        await http.get(f"/api/v1/tickets/{ticket['id']}", headers=station.headers("receptionist"))
    everything = [read["id"] for read in await _reads(http)]
    assert len(everything) == 5  # the creation and four reads
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await http.get("/api/v1/tickets/contact-reads", headers=bearer("district_admin"), params=params)).json()
        seen.extend(read["id"] for read in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    bad = await http.get("/api/v1/tickets/contact-reads", headers=bearer("district_admin"), params={"cursor": "!!"})
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"
    backwards = await http.get(
        "/api/v1/tickets/contact-reads",
        headers=bearer("district_admin"),
        params={"read_from": "2026-09-15T00:00:00+08:00", "read_to": "2026-09-14T00:00:00+08:00"},
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "read_to"
    window = await _reads(http, read_from="2026-09-14T09:00:00+08:00", read_to="2026-09-14T09:00:01+08:00")
    assert len(window) == 5  # the clock stands at Monday 09:00
