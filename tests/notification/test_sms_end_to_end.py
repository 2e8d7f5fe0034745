"""Residents' SMS notices through the whole embedded system, sent to a real local SMS gateway.

A ticket raised with a contact phone is accepted, resolved and closed: the resident gets the acceptance
(who handles it, when the station opens), the resolution and a working rating link; a desk link texts the
code; a "TD" reply stops every later notice. The phone never shows in the logs, the API's answers or the
notification service's database; the notifier's contact reads are recorded.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from shared.ids import stable_id
from tests.conftest import DEMO_STATION_ID, bearer, eventually, staff_headers
from tests.notification.conftest import SMS_INBOUND_TOKEN

RECEPTIONIST = str(stable_id("staff", "陆家嘴街道", "市新居委会", "receptionist"))
SOCIAL_WORKER = str(stable_id("staff", "陆家嘴街道", "市新居委会", "social_worker"))
NATIONAL = "13912345678"
WRITTEN = "+86 139-1234-5678"  # as the receptionist typed it
RESIDENT_NAME = "王秀英"


def phone_pattern(digits: str) -> re.Pattern[str]:
    """The number whatever separators were put between its digits (spaces, dashes, dots)."""
    return re.compile(r"[\s.\-]?".join(re.escape(digit) for digit in digits))


PLANTED = phone_pattern(NATIONAL)


def assert_no_phone(text: str, where: str) -> None:
    assert not PLANTED.search(text), f"the full phone number shows in {where}"


def database_dump(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def record_text(record: logging.LogRecord) -> str:
    return " ".join([record.getMessage(), *(repr(value) for value in record.__dict__.values())])


async def _http(system: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=system.gateway), base_url="http://gateway")


async def _transition(http: httpx.AsyncClient, ticket_id: str, action: str, headers: dict) -> None:
    body = {"action": action} | ({"result_text": "已办结"} if action == "resolve" else {})
    response = await http.post(f"/api/v1/tickets/{ticket_id}/transitions", headers=headers, json=body)
    assert response.status_code == 200, response.text


async def test_a_ticket_with_a_phone_gets_its_notices_and_a_td_reply_stops_them(
    sms_system: Any, sms_gateway: Any, tmp_path: Path, caplog: Any
) -> None:
    caplog.set_level(logging.INFO)  # DEBUG is the drivers' SQL, every service's rows
    receptionist = staff_headers("receptionist", subject=RECEPTIONIST)
    answers: list[str] = []
    async with await _http(sms_system) as http:
        created = await http.post(
            "/api/v1/tickets",
            headers=receptionist,
            json={"station_id": DEMO_STATION_ID, "channel": "walk_in", "service_category": "daily_life",
                  "description": "独居老人需要助餐服务", "resident_name": RESIDENT_NAME, "resident_phone": WRITTEN},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        ticket_id = created.json()["id"]

        async def texts(template: str, count: int = 1) -> list[dict]:
            found: list[dict] = []

            async def arrived() -> bool:
                found[:] = sms_gateway.to(NATIONAL, template)
                return len(found) >= count

            await eventually(arrived, timeout=15)
            return found

        # Accepted: who handles it, and when the station opens (the demo station's hours depend on the day:
        # weekdays from 08:30, Saturdays and the demo's winter service day 2026-12-06 from 09:00).
        await _transition(http, ticket_id, "accept", receptionist)
        accepted = (await texts("ticket_accepted"))[0]
        assert accepted["phone"] == WRITTEN and accepted["sign_name"] == "浦东家门口服务站"
        staff = await http.get(f"/api/v1/staff/{RECEPTIONIST}", headers=bearer("district_admin"))
        assert staff.status_code == 200, staff.text
        assert accepted["params"]["staff_name"] == staff.json()["name"] != ""
        assert staff.json()["name"] in accepted["text"]
        assert re.search(
            r"(现在开放，今天\d{1,2}:\d{2}前|(今天|明天|\d+月\d+日星期.)\d{1,2}:\d{2}开放)", accepted["text"]
        ), accepted["text"]

        # Resolved, then closed: the resolution, then a rating link that works.
        await _transition(http, ticket_id, "resolve", receptionist)
        resolved = (await texts("ticket_resolved"))[0]
        assert "已办结" in resolved["text"]
        closed = await http.post(
            f"/api/v1/tickets/{ticket_id}/close", headers=receptionist, json={"completed_by": RECEPTIONIST}
        )
        assert closed.status_code == 200, closed.text
        link = (await texts("rating_link"))[0]
        url = link["params"]["url"]
        assert url in link["text"] and "/e/" in url
        page = await http.get(re.sub(r"^https?://[^/]+", "", url))
        assert page.status_code == 200 and "服务评价" in page.text

        # A colleague who did not handle it shows a desk link: the code goes to the resident's phone.
        listed = await http.get(
            "/api/v1/evaluations/invitations", params={"ticket_id": ticket_id}, headers=bearer("district_admin")
        )
        invitation_id = listed.json()["items"][0]["id"]
        colleague = staff_headers("social_worker", subject=SOCIAL_WORKER)
        desk = await http.post(f"/api/v1/evaluations/invitations/{invitation_id}/token", headers=colleague)
        assert desk.status_code == 201 and desk.json()["resident_code_required"] is True, desk.text
        coded = (await texts("rating_code"))[0]
        code = coded["params"]["code"]
        assert re.fullmatch(r"\d{6}", code) and code in coded["text"]
        rated = await http.post(
            f"/api/v1/evaluations/invitations/{invitation_id}/in-person",
            headers=colleague,
            json={"attitude": 5, "ability": 4, "resident_confirmed": True, "resident_code": code},
        )
        assert rated.status_code == 201, rated.text  # the texted code is the one the service expects

        # The resident replies TD (the provider writes the number its own way): nothing more is sent.
        refused = await http.post("/api/v1/sms/inbound", json={"phone": "8613912345678", "text": "TD"})
        assert refused.status_code == 401  # only the provider, with its token
        unread = await http.post("/api/v1/sms/inbound", json={"unexpected": ["shape"]})
        assert unread.status_code == 401  # before the body is even read: no validation message to learn from
        reply = await http.post(
            "/api/v1/sms/inbound",
            headers={"X-SMS-Provider-Token": SMS_INBOUND_TOKEN},
            json={"phone": "8613912345678", "text": " td "},
        )
        assert reply.status_code == 200 and reply.json() == {"opted_out": True}, reply.text
        answers.append(reply.text)
        sent_before = len(sms_gateway.received)
        # Another matter of the same resident, the number written another way: accepted, and not texted.
        second = await http.post(
            "/api/v1/tickets",
            headers=receptionist,
            json={"station_id": DEMO_STATION_ID, "channel": "walk_in", "service_category": "daily_life",
                  "description": "再次申请助餐", "resident_name": RESIDENT_NAME, "resident_phone": "139 1234 5678"},
        )  # fmt: skip
        assert second.status_code == 201, second.text
        await _transition(http, second.json()["id"], "accept", receptionist)

        async def skipped() -> bool:
            response = await http.get(
                "/api/v1/sms/messages", params={"ticket_id": second.json()["id"]}, headers=bearer("district_admin")
            )
            assert response.status_code == 200, response.text
            answers.append(response.text)
            items = response.json()["items"]
            return any(item["status"] == "skipped" and item["reason"] == "opted_out" for item in items)

        await eventually(skipped, timeout=15)
        assert len(sms_gateway.received) == sent_before
        listed_log = await http.get(
            "/api/v1/sms/messages", params={"ticket_id": ticket_id}, headers=bearer("district_admin")
        )
        log = listed_log.json()["items"]
        answers.append(listed_log.text)

        # The log: masked numbers, each kind once sent; station staff see it, other stations do not.
        sent = {item["kind"] for item in log if item["status"] == "sent"}
        assert sent == {"ticket_accepted", "ticket_resolved", "rating_link", "rating_code"}
        assert {item["phone_masked"] for item in log if item["status"] == "sent"} == {"+86 139-****-5678"}
        mine = await http.get("/api/v1/sms/messages", params={"ticket_id": ticket_id}, headers=colleague)
        assert mine.status_code == 200 and len(mine.json()["items"]) == len(log)
        other_station = str(stable_id("station", "金桥镇", "张桥"))
        theirs = await http.get(
            "/api/v1/sms/messages",
            params={"ticket_id": ticket_id},
            headers=staff_headers("social_worker", station_id=other_station),
        )
        assert theirs.status_code == 200 and theirs.json()["items"] == []
        assert (await http.get("/api/v1/sms/messages", params={"ticket_id": ticket_id},
                               headers=bearer("resident"))).status_code == 403  # fmt: skip
        answers.extend([mine.text, theirs.text])

        # Each send read the contact once, as the notifier, and every read is in the log.
        reads = await http.get(
            "/api/v1/tickets/contact-reads",
            params={"ticket_id": ticket_id, "limit": 200},
            headers=bearer("district_admin"),
        )
        assert reads.status_code == 200, reads.text
        notifier_reads = [read for read in reads.json()["items"] if "notifier" in read["reader_roles"]]
        assert len(notifier_reads) == 4  # one per notice sent
        assert {read["endpoint"] for read in notifier_reads} == {"GET /api/v1/tickets/{ticket_id}/contact"}

    for text in answers:
        assert_no_phone(text, "an API answer")
    assert_no_phone(database_dump(tmp_path / "notification.db"), "the notification database")
    for record in caplog.records:
        assert_no_phone(record_text(record), f"the log ({record.name}: {record.msg})")
