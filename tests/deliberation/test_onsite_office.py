"""The on-site office: a case (direct or from a ticket), sessions with minutes, commitments, resolution."""

from __future__ import annotations

import uuid
from datetime import timedelta

from deliberation_service.onsite_office.models import OnsiteCase
from shared.events import EventEnvelope
from shared.ids import stable_id, utcnow
from tests.conftest import bearer
from tests.deliberation.conftest import (
    COMMUNITY_ID,
    DEPARTMENT_ID,
    OTHER_STATION_ID,
    STATION_ID,
    SUBDISTRICT_ID,
    problem,
    resident,
    staff,
)

EDUCATION = str(stable_id("department", "陆家嘴街道", "education"))


def department(department_id: str = DEPARTMENT_ID) -> dict[str, str]:
    return bearer("department", str(uuid.uuid4()), department_id=department_id, subdistrict_id=SUBDISTRICT_ID)


async def open_case(deliberation, departments: list[str] | None = None) -> dict:
    response = await deliberation.http.post(
        "/api/v1/onsite-offices",
        headers=deliberation.secretary,
        json={
            "station_id": STATION_ID,
            "title": "0-3岁幼儿托育",
            "description": "7个小区的家长需要托育。",
            "invited_departments": departments if departments is not None else [DEPARTMENT_ID],
            "invited_officials": [{"name": "副区长", "title": "浦东新区副区长"}],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def hold_session(deliberation, case_id: str, number: int, commitments: int = 1) -> dict:
    starts_at = utcnow() + timedelta(minutes=5)
    response = await deliberation.http.post(
        f"/api/v1/onsite-offices/{case_id}/sessions",
        headers=deliberation.secretary,
        json={
            "title": f"第{number}次现场办公",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
            "place": "服务站",
            "agenda": ["托育需求"],
        },
    )
    assert response.status_code == 201, response.text
    session = response.json()
    assert session["kind"] == "onsite_office" and session["case_id"] == case_id
    await deliberation.open(session["id"])
    await deliberation.check_in(session["id"], 2)
    for index in range(commitments):
        made = await deliberation.http.post(
            f"/api/v1/onsite-offices/{case_id}/commitments",
            headers=deliberation.secretary,
            json={
                "session_id": session["id"],
                "description": f"承诺{number}-{index}",
                "owner_name": "区教育局",
                "owner_department_id": EDUCATION,
                "due_date": (utcnow() + timedelta(days=30)).date().isoformat(),
            },
        )
        assert made.status_code == 201, made.text
    closed = await deliberation.close(session["id"], attendee_count=6, minutes=f"第{number}次现场办公纪要")
    assert closed.status_code == 200, closed.text
    return session


async def test_a_case_stays_open_over_four_sessions_until_it_is_resolved(deliberation):
    case = await open_case(deliberation)
    assert case["state"] == "open" and case["invited_departments"] == [DEPARTMENT_ID]
    for number in range(1, 5):
        await hold_session(deliberation, case["id"], number)
        current = (
            await deliberation.http.get(f"/api/v1/onsite-offices/{case['id']}", headers=deliberation.secretary)
        ).json()
        assert current["state"] == "open" and len(current["sessions"]) == number
    resolved = await deliberation.http.post(
        f"/api/v1/onsite-offices/{case['id']}/resolve",
        headers=deliberation.secretary,
        json={"outcome": "幼儿园托育试点开班，周一至周五 08:30-16:00"},
    )
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["state"] == "resolved" and len(body["commitments"]) == 4
    assert all(s["state"] == "closed" for s in body["sessions"])
    [event] = await deliberation.events("onsite_office.resolved")
    assert event.data["case_id"] == case["id"] and event.data["ticket_id"] is None
    assert event.data["outcome"].startswith("幼儿园") and event.data["resolved_at"]
    assert len(await deliberation.events("onsite_office.commitment_made")) == 4
    again = await deliberation.http.post(
        f"/api/v1/onsite-offices/{case['id']}/resolve", headers=deliberation.secretary, json={"outcome": "x"}
    )
    problem(again, 409, "case_already_resolved")


async def test_a_case_is_not_resolved_before_a_session_was_held_or_while_one_is_pending(deliberation):
    case = await open_case(deliberation)
    url = f"/api/v1/onsite-offices/{case['id']}/resolve"
    problem(
        await deliberation.http.post(url, headers=deliberation.secretary, json={"outcome": "x"}), 409, "no_session_held"
    )
    await hold_session(deliberation, case["id"], 1)
    starts_at = utcnow() + timedelta(days=3)
    await deliberation.http.post(
        f"/api/v1/onsite-offices/{case['id']}/sessions",
        headers=deliberation.secretary,
        json={
            "title": "第2次",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=1)).isoformat(),
            "place": "服务站",
        },
    )
    problem(
        await deliberation.http.post(url, headers=deliberation.secretary, json={"outcome": "x"}), 409, "session_pending"
    )
    assert (await deliberation.http.get(f"/api/v1/onsite-offices/{case['id']}", headers=deliberation.secretary)).json()[
        "state"
    ] == "open"


async def test_a_ticket_request_opens_one_case_whatever_is_redelivered(deliberation):
    ticket_id = str(uuid.uuid4())
    envelope = EventEnvelope.new(
        "onsite_office.requested",
        "/doorstep/ticket",
        {
            "ticket_id": ticket_id,
            "station_id": STATION_ID,
            "community_id": COMMUNITY_ID,
            "subdistrict_id": SUBDISTRICT_ID,
            "title": "小区托育难",
            "description": "居民反映0-3岁托育难",
            "requested_by": "social-worker-1",
        },
        subject=ticket_id,
    )
    bus = deliberation.app.state.runtime.bus
    await bus.publish(envelope)
    await bus.publish(envelope)
    await bus.publish(EventEnvelope.new("onsite_office.requested", "/doorstep/ticket", envelope.data))  # a new id
    assert await deliberation.count(OnsiteCase, OnsiteCase.ticket_id == uuid.UUID(ticket_id)) == 1
    cases = (await deliberation.http.get("/api/v1/onsite-offices", headers=deliberation.secretary)).json()["items"]
    [case] = cases
    assert case["ticket_id"] == ticket_id and case["title"] == "小区托育难"
    await hold_session(deliberation, case["id"], 1, commitments=0)
    await deliberation.http.post(
        f"/api/v1/onsite-offices/{case['id']}/resolve", headers=deliberation.secretary, json={"outcome": "已解决"}
    )
    [resolved] = await deliberation.events("onsite_office.resolved")
    assert resolved.data["ticket_id"] == ticket_id
    assert bus.dead_letters("deliberation") == []


async def test_a_malformed_request_goes_to_the_dead_letters(deliberation):
    bus = deliberation.app.state.runtime.bus
    await bus.publish(EventEnvelope.new("onsite_office.requested", "/doorstep/ticket", {"ticket_id": "not-a-uuid"}))
    assert len(bus.dead_letters("deliberation")) == 1
    assert await deliberation.count(OnsiteCase) == 0


async def test_departments_see_only_the_cases_they_are_invited_to(deliberation):
    invited = await open_case(deliberation, departments=[DEPARTMENT_ID])
    other = await open_case(deliberation, departments=[EDUCATION])
    listed = (await deliberation.http.get("/api/v1/onsite-offices", headers=department())).json()["items"]
    assert [c["id"] for c in listed] == [invited["id"]]
    assert (
        await deliberation.http.get(f"/api/v1/onsite-offices/{invited['id']}", headers=department())
    ).status_code == 200
    hidden = await deliberation.http.get(f"/api/v1/onsite-offices/{other['id']}", headers=department())
    problem(hidden, 404, "case_not_found")
    # Inviting the department later lets it see the case.
    await deliberation.http.post(
        f"/api/v1/onsite-offices/{other['id']}/invitations",
        headers=deliberation.secretary,
        json={"department_ids": [DEPARTMENT_ID]},
    )
    assert (
        await deliberation.http.get(f"/api/v1/onsite-offices/{other['id']}", headers=department())
    ).status_code == 200


async def test_residents_and_other_stations_do_not_see_cases(deliberation):
    case = await open_case(deliberation)
    _, headers = resident()
    problem(await deliberation.http.get("/api/v1/onsite-offices", headers=headers), 403, "role_required")
    problem(await deliberation.http.get(f"/api/v1/onsite-offices/{case['id']}", headers=headers), 404, "case_not_found")
    outsider = staff(station_id=OTHER_STATION_ID)
    assert (await deliberation.http.get("/api/v1/onsite-offices", headers=outsider)).json()["items"] == []
    problem(await deliberation.http.get("/api/v1/onsite-offices"), 401, "token_missing")


async def test_a_department_records_and_fulfils_its_own_commitments(deliberation):
    case = await open_case(deliberation)
    session = await hold_session(deliberation, case["id"], 1, commitments=0)
    url = f"/api/v1/onsite-offices/{case['id']}/commitments"
    body = {
        "session_id": session["id"],
        "description": "对接助浴机构",
        "owner_name": "民政科",
        "owner_department_id": DEPARTMENT_ID,
        "due_date": "2030-01-31",
    }
    made = await deliberation.http.post(url, headers=department(), json=body)
    assert made.status_code == 201, made.text
    foreign = await deliberation.http.post(url, headers=department(), json={**body, "owner_department_id": EDUCATION})
    problem(foreign, 403, "out_of_scope")
    unknown = await deliberation.http.post(
        url, headers=deliberation.secretary, json={**body, "session_id": str(uuid.uuid4())}
    )
    assert problem(unknown, 422, "unknown_session")["field"] == "session_id"
    done = await deliberation.http.post(f"{url}/{made.json()['id']}/fulfil", headers=department())
    assert done.status_code == 200 and done.json()["fulfilled_at"]
    problem(
        await deliberation.http.post(f"{url}/{made.json()['id']}/fulfil", headers=department()),
        409,
        "commitment_already_fulfilled",
    )
    trail = (await deliberation.http.get(f"/api/v1/onsite-offices/{case['id']}/audit", headers=department())).json()[
        "items"
    ]
    assert {e["action"] for e in trail} >= {"open", "commit", "fulfil"}
