"""Free text on tickets (issue 12, points 2 and 4): the description, the history's notes, video-link
records and the on-site office request carry what residents and staff typed. A reader who does not
handle the matter sees phones and the ticket's names masked in all of them, exactly as in the name and
phone fields; the handler sees them in full, and every such response leaves a contact-read row."""

from __future__ import annotations

import csv
import io

from tests.conftest import bearer
from tests.ticket.conftest import events, local, raise_ticket

NAME = "欧阳娜娜"
PHONE = "13912345678"
TYPED_PHONE = "13800002222"
DESCRIPTION = f"我是{NAME}，电话Tel.{TYPED_PHONE}"
MASKED_DESCRIPTION = "我是欧***，电话Tel.138****2222"
NOTE = f"已回电{NAME} 138.0000.2222"
MASKED_NOTE = "已回电欧*** 138.****.2222"
VIDEO_NOTES = f"{NAME}的儿子 {TYPED_PHONE} 陪同"
ADDRESS = "浦东新区陆家嘴街道市新居委会东昌路123弄4号502室"
# What must never reach a non-handler: the name (or its tail), the numbers however written, the door.
SECRETS = (NAME, "阳娜", TYPED_PHONE, "0000.2222", PHONE, "123弄", "502室", "31.234567")


def _leaked(body: str) -> list[str]:
    return [secret for secret in SECRETS if secret in body]


async def _ticket_with_free_text(http, station, clock) -> dict:
    ticket = await raise_ticket(
        http,
        station,
        channel="video_link",
        resident_name=NAME,
        resident_phone=PHONE,
        description=DESCRIPTION,
        location={"address": ADDRESS, "latitude": 31.234567, "longitude": 121.512345},
    )
    receptionist = station.headers("receptionist")  # took it at the desk: the handler
    clock.set(local(2026, 9, 14, 10, 0))
    accepted = await http.post(
        f"/api/v1/tickets/{ticket['id']}/transitions", headers=receptionist, json={"action": "accept", "note": NOTE}
    )
    assert accepted.status_code == 200, accepted.text
    video = await http.post(
        f"/api/v1/tickets/{ticket['id']}/video-links",
        headers=receptionist,
        json={
            "centre": "陆家嘴街道社区事务受理中心",
            "started_at": local(2026, 9, 14, 9, 20).isoformat(),
            "ended_at": local(2026, 9, 14, 9, 35).isoformat(),
            "outcome": "completed",
            "notes": VIDEO_NOTES,
        },
    )
    assert video.status_code == 201, video.text
    return ticket


async def _reads(http, **params) -> list[dict]:
    response = await http.get(
        "/api/v1/tickets/contact-reads", headers=bearer("district_admin"), params={"limit": 200, **params}
    )
    assert response.status_code == 200, response.text
    assert not _leaked(response.text)
    return response.json()["items"]


async def test_no_reader_who_does_not_handle_the_matter_sees_a_name_or_number_typed_anywhere(http, station, clock):
    ticket = await _ticket_with_free_text(http, station, clock)
    url = f"/api/v1/tickets/{ticket['id']}"
    readers = {
        "station colleague": station.headers("social_worker", station.social_workers[1]),
        "secretary": station.headers("secretary"),
        "department": station.department_headers(),
        "district administrator": bearer("district_admin"),
    }
    for reader, headers in readers.items():
        detail = await http.get(url, headers=headers)
        assert detail.status_code == 200, (reader, detail.text)
        body = detail.json()
        assert body["description"] == MASKED_DESCRIPTION, reader
        assert body["resident_name"] == "欧***" and body["contact_masked"] is True
        assert body["location_address"] == "浦东新区陆家嘴街道市新居委会东昌路***弄*号***室"
        assert (body["latitude"], body["longitude"]) == (31.235, 121.512)
        assert [change["note"] for change in body["history"] if change["note"]] == [MASKED_NOTE]
        assert body["video_links"][0]["notes"] == "欧***的儿子 138****2222 陪同"
        responses = {
            "detail": detail,
            "list": await http.get("/api/v1/tickets", headers=headers),
            "history": await http.get(f"{url}/history", headers=headers),
            "video links": await http.get(f"{url}/video-links", headers=headers),
            "CSV": await http.get("/api/v1/tickets/export.csv", headers=headers),
        }
        for where, response in responses.items():
            assert response.status_code == 200, (reader, where, response.text)
            assert _leaked(response.text) == [], (reader, where)
        assert MASKED_DESCRIPTION in responses["list"].text and MASKED_NOTE in responses["history"].text
        row = next(row for row in csv.DictReader(io.StringIO(responses["CSV"].text.lstrip("\ufeff"))))
        assert (row["resident_name"], row["description"]) == ("欧***", MASKED_DESCRIPTION)
    readers_ids = {station.social_workers[1], station.secretary}
    assert [read for read in await _reads(http, ticket_id=ticket["id"]) if read["reader_id"] in readers_ids] == []


async def test_the_handler_reads_every_free_text_in_full_and_each_response_is_recorded(http, station, clock):
    ticket = await _ticket_with_free_text(http, station, clock)
    url = f"/api/v1/tickets/{ticket['id']}"
    handler = station.headers("receptionist")
    clock.set(local(2026, 9, 14, 11, 0))
    detail = (await http.get(url, headers=handler)).json()
    assert (detail["description"], detail["location_address"], detail["latitude"]) == (DESCRIPTION, ADDRESS, 31.234567)
    assert [change["note"] for change in detail["history"] if change["note"]] == [NOTE]
    assert detail["video_links"][0]["notes"] == VIDEO_NOTES and detail["contact_masked"] is False
    history = await http.get(f"{url}/history", headers=handler)
    assert NOTE in [change["note"] for change in history.json()["items"]]
    links = await http.get(f"{url}/video-links", headers=handler)
    assert links.json()["items"][0]["notes"] == VIDEO_NOTES
    reads = await _reads(http, ticket_id=ticket["id"], read_from=local(2026, 9, 14, 11, 0).isoformat())
    assert [read["endpoint"] for read in reads][::-1] == [  # newest first
        "GET /api/v1/tickets/{ticket_id}",
        "GET /api/v1/tickets/{ticket_id}/history",
        "GET /api/v1/tickets/{ticket_id}/video-links",
    ]
    assert {read["reader_id"] for read in reads} == {station.receptionist}


async def test_a_phone_typed_into_a_note_of_a_ticket_without_contact_is_masked_and_its_full_read_recorded(
    http, station, clock
):
    # A resident's account, no name or phone on the ticket: only the note carries a number.
    ticket = await raise_ticket(
        http, station, resident_name=None, resident_phone=None, resident_id="resident-7", description="楼道灯坏了"
    )
    url = f"/api/v1/tickets/{ticket['id']}"
    handler = station.headers("receptionist")
    note = f"住户说请打 {TYPED_PHONE[:3]}-{TYPED_PHONE[3:7]}-{TYPED_PHONE[7:]}"
    await http.post(f"{url}/transitions", headers=handler, json={"action": "accept", "note": note})
    colleague = await http.get(f"{url}/history", headers=station.headers("social_worker", station.social_workers[1]))
    assert "住户说请打 138-****-2222" in [change["note"] for change in colleague.json()["items"]]
    clock.set(local(2026, 9, 14, 11, 0))
    full = await http.get(f"{url}/history", headers=handler)
    assert note in [change["note"] for change in full.json()["items"]]
    reads = await _reads(http, ticket_id=ticket["id"], read_from=local(2026, 9, 14, 11, 0).isoformat())
    assert [(read["endpoint"], read["reader_id"]) for read in reads] == [
        ("GET /api/v1/tickets/{ticket_id}/history", station.receptionist)
    ]


async def test_the_onsite_office_request_leaves_the_service_with_names_and_phones_masked(
    http, station, clock, ticket_app
):
    ticket = await raise_ticket(http, station, resident_name=NAME, resident_phone=PHONE, description=DESCRIPTION)
    secretary = station.headers("secretary")
    await http.post(f"/api/v1/tickets/{ticket['id']}/backstop", headers=secretary, json={})
    requested = await http.post(
        f"/api/v1/tickets/{ticket['id']}/onsite-office",
        headers=secretary,
        json={"title": f"{NAME}家漏水", "description": f"请联系{NAME}，{TYPED_PHONE}"},
    )
    assert requested.status_code == 202, requested.text
    sent = (await events(ticket_app, "onsite_office.requested"))[-1].data
    assert (sent["title"], sent["description"]) == ("欧***家漏水", "请联系欧***，138****2222")
    published = [await events(ticket_app, kind) for kind in ("ticket.created", "ticket.assigned", "ticket.escalated")]
    assert _leaked(str([envelope.data for envelopes in published for envelope in envelopes])) == []
