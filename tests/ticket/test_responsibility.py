"""The three responsibility rules, exactly as the issue describes them."""

from __future__ import annotations

import uuid
from datetime import datetime

from tests.conftest import bearer
from tests.ticket.conftest import add_reception_rota, events, local, open_station, publish, raise_ticket, ticket_body

# --- 1. first inquiry --------------------------------------------------------------------------------


async def test_the_receiver_owns_it_if_they_work_at_the_station(http, station):
    await add_reception_rota(http, station)
    ticket = await raise_ticket(http, station, role="social_worker")
    assert ticket["owner_id"] == station.social_workers[0]
    assert ticket["received_by"] == station.social_workers[0]
    owner_change = next(change for change in ticket["history"] if change["kind"] == "owner")
    assert owner_change["reason"] == "receiver"


async def test_someone_not_on_the_station_staff_gets_the_duty_person(http, station, clock):
    await add_reception_rota(http, station)
    clock.set(local(2026, 9, 14, 14, 0))  # afternoon: the first social worker is on duty
    resident = bearer("resident", "resident-7")
    response = await http.post(
        "/api/v1/tickets",
        headers=resident,
        json=ticket_body(station, channel="app", resident_name=None, resident_phone=None),
    )
    ticket = response.json()
    assert ticket["owner_id"] == station.social_workers[0]
    assert next(change for change in ticket["history"] if change["kind"] == "owner")["reason"] == "on_duty"
    # A staff member of another station counts as "not working here".
    other = await open_station(http._transport.app, name="滨江居委会")
    visiting = bearer("social_worker", other.social_workers[0], station_id=station.id)
    response = await http.post("/api/v1/tickets", headers=visiting, json=ticket_body(station))
    assert response.json()["owner_id"] == station.social_workers[0]


async def test_outside_opening_hours_it_waits_for_the_next_shift_and_says_when_the_station_opens(http, station, clock):
    await add_reception_rota(http, station)
    clock.set(local(2026, 9, 12, 19, 30))  # Saturday evening; closed Sunday
    response = await http.post(
        "/api/v1/tickets",
        headers=bearer("resident", "resident-8"),
        json=ticket_body(station, channel="web", resident_name=None, resident_phone=None),
    )
    ticket = response.json()
    assert ticket["owner_id"] == station.receptionist  # Monday morning's duty person
    assert datetime.fromisoformat(ticket["waits_until"]) == local(2026, 9, 14, 9, 0)
    # Told in the resident's language and the station's time (issue 13): 09:00 Shanghai, not 01:00 UTC.
    assert ticket["notice"] == "服务站现在休息，您的诉求将在服务站开门后（9月14日 09:00）受理。"
    english = await http.get(
        f"/api/v1/tickets/{ticket['id']}", headers={**bearer("resident", "resident-8"), "Accept-Language": "en-GB"}
    )
    assert english.json()["notice"] == (
        "The station is closed now; your request will be taken up when it opens (Sep 14, 09:00, station time)."
    )
    assert next(change for change in ticket["history"] if change["kind"] == "owner")["reason"] == "next_shift"
    # The acceptance clock only runs in working minutes: due 30 minutes after Monday opens.
    assert datetime.fromisoformat(ticket["acceptance_due_at"]) == local(2026, 9, 14, 9, 30)


async def test_with_nobody_on_the_rota_the_secretary_owns_it(http, station):
    response = await http.post(
        "/api/v1/tickets",
        headers=bearer("resident", "r-9"),
        json=ticket_body(station, channel="web", resident_name=None, resident_phone=None),
    )
    ticket = response.json()
    assert ticket["owner_id"] == station.secretary
    assert ticket["responsibility_level"] == "backstop"


async def test_a_station_with_nobody_at_all_refuses_residents_but_a_district_admin_owns_it(http, ticket_app):
    empty = await open_station(ticket_app, staff=False, name="新社区")
    refused = await http.post(
        "/api/v1/tickets",
        headers=bearer("resident", "r-10"),
        json=ticket_body(empty, channel="web", resident_name=None, resident_phone=None),
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "no_owner_available"
    admin_id = str(uuid.uuid4())
    taken = await http.post("/api/v1/tickets", headers=bearer("district_admin", admin_id), json=ticket_body(empty))
    assert taken.status_code == 201
    assert taken.json()["owner_id"] == admin_id


async def test_staff_left_off_the_catalogue_are_skipped_on_the_rota(http, station, ticket_app):
    await add_reception_rota(http, station)
    # The receptionist leaves; the stale rota still names them on Monday morning.
    await publish(ticket_app, "staff.removed", {"id": station.receptionist, "active": False})
    response = await http.post(
        "/api/v1/tickets",
        headers=bearer("resident", "r-11"),
        json=ticket_body(station, channel="web", resident_name=None, resident_phone=None),
    )
    # Nobody valid on duty now; the next valid shift is the social worker's at 13:00.
    assert response.json()["owner_id"] == station.social_workers[0]


# --- 2. designated -----------------------------------------------------------------------------------


async def test_the_owner_designates_a_social_worker_by_name(http, station, ticket_app):
    ticket = await raise_ticket(http, station)
    response = await http.post(
        f"/api/v1/tickets/{ticket['id']}/designate",
        headers=station.headers("receptionist"),
        json={"designee_id": station.social_workers[2], "note": "需要法律背景"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["owner_id"] == station.social_workers[2]
    assert body["responsibility_level"] == "designated"
    owner, level = [change for change in body["history"] if change["kind"] in ("owner", "level")][-2:]
    assert (owner["from_value"], owner["to_value"], owner["actor_id"], owner["reason"], owner["note"]) == (
        station.receptionist,
        station.social_workers[2],
        station.receptionist,
        "named_designee",
        "需要法律背景",
    )
    assert (level["from_value"], level["to_value"]) == ("first_inquiry", "designated")
    assigned = [event.data for event in await events(ticket_app, "ticket.assigned")]
    assert assigned[-1]["responsibility_level"] == "designated"
    assert assigned[-1]["owner_id"] == station.social_workers[2]
    escalated = await events(ticket_app, "ticket.escalated")
    assert escalated[-1].data["from_level"] == "first_inquiry" and escalated[-1].data["to_level"] == "designated"


async def test_automatic_designation_takes_skill_then_fewest_open_then_longest_since_assigned(http, station, clock):
    secretary = station.headers("secretary")
    # Two workers have the legal skill (1 and 2). Give worker 1 an open ticket: worker 2 is chosen.
    first = await raise_ticket(http, station, service_category="legal")
    chosen = await http.post(
        f"/api/v1/tickets/{first['id']}/designate", headers=secretary, json={"designee_id": station.social_workers[1]}
    )
    assert chosen.status_code == 200
    clock.set(local(2026, 9, 14, 10, 0))
    second = await raise_ticket(http, station, service_category="legal")
    auto = await http.post(f"/api/v1/tickets/{second['id']}/designate", headers=secretary, json={})
    assert auto.json()["owner_id"] == station.social_workers[2]
    assert [c for c in auto.json()["history"] if c["kind"] == "owner"][-1]["reason"] == "skill_and_workload"
    # Now both have one open ticket: the one assigned longest ago (worker 1) is next.
    clock.set(local(2026, 9, 14, 11, 0))
    third = await raise_ticket(http, station, service_category="legal")
    auto = await http.post(f"/api/v1/tickets/{third['id']}/designate", headers=secretary, json={})
    assert auto.json()["owner_id"] == station.social_workers[1]


async def test_designation_outside_the_station_or_to_someone_on_leave_is_422_and_changes_nothing(
    http, station, ticket_app
):
    ticket = await raise_ticket(http, station)
    other = await open_station(ticket_app, name="滨江居委会")
    outside = await http.post(
        f"/api/v1/tickets/{ticket['id']}/designate",
        headers=station.headers("receptionist"),
        json={"designee_id": other.social_workers[0]},
    )
    assert outside.status_code == 422
    assert outside.json()["field"] == "designee_id"
    assert outside.json()["code"] == "designee_not_at_station"
    leave = await http.post(
        f"/api/v1/duty-rota/{station.id}/leave",
        headers=station.headers("secretary"),
        json={
            "person_id": station.social_workers[1],
            "start_at": local(2026, 9, 14, 0, 0).isoformat(),
            "end_at": local(2026, 9, 20, 0, 0).isoformat(),
        },
    )
    assert leave.status_code == 201
    on_leave = await http.post(
        f"/api/v1/tickets/{ticket['id']}/designate",
        headers=station.headers("receptionist"),
        json={"designee_id": station.social_workers[1]},
    )
    assert on_leave.status_code == 422
    assert on_leave.json()["code"] == "designee_on_leave"
    after = (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=station.headers("receptionist"))).json()
    assert after["owner_id"] == station.receptionist
    assert after["history"] == ticket["history"]


async def test_only_the_owner_or_the_secretary_designates(http, station):
    ticket = await raise_ticket(http, station)
    colleague = await http.post(
        f"/api/v1/tickets/{ticket['id']}/designate",
        headers=station.headers("social_worker", station.social_workers[1]),
        json={"designee_id": station.social_workers[2]},
    )
    assert colleague.status_code == 403


# --- 3. backstop -------------------------------------------------------------------------------------


async def test_the_secretary_names_a_person_a_department_or_claims_it(http, station, ticket_app):
    secretary = station.headers("secretary")
    ticket = await raise_ticket(http, station)
    named = await http.post(
        f"/api/v1/tickets/{ticket['id']}/backstop", headers=secretary, json={"person_id": station.social_workers[1]}
    )
    assert named.status_code == 200, named.text
    assert named.json()["responsibility_level"] == "backstop"
    assert named.json()["owner_id"] == station.social_workers[1]
    department = await http.post(
        f"/api/v1/tickets/{ticket['id']}/backstop", headers=secretary, json={"department_id": station.department}
    )
    assert department.json()["owner_kind"] == "department"
    assert department.json()["owner_id"] == station.department
    # The department sees and works the ticket assigned to it.
    seen = await http.get(f"/api/v1/tickets/{ticket['id']}", headers=station.department_headers())
    assert seen.status_code == 200
    claimed = await http.post(f"/api/v1/tickets/{ticket['id']}/backstop", headers=secretary, json={})
    assert claimed.json()["owner_id"] == station.secretary
    reasons = [change["reason"] for change in claimed.json()["history"] if change["kind"] == "owner"]
    assert reasons[-3:] == ["named_person", "named_department", "secretary_claimed"]


async def test_backstop_refuses_people_outside_the_community_on_leave_or_unknown_departments(http, station, ticket_app):
    secretary = station.headers("secretary")
    ticket = await raise_ticket(http, station)
    other = await open_station(ticket_app, name="滨江居委会")
    outside = await http.post(
        f"/api/v1/tickets/{ticket['id']}/backstop", headers=secretary, json={"person_id": other.social_workers[0]}
    )
    assert (outside.status_code, outside.json()["field"], outside.json()["code"]) == (
        422,
        "person_id",
        "person_not_in_community",
    )
    await http.post(
        f"/api/v1/duty-rota/{station.id}/leave",
        headers=secretary,
        json={
            "person_id": station.social_workers[2],
            "start_at": local(2026, 9, 1, 0, 0).isoformat(),
            "end_at": local(2026, 9, 30, 0, 0).isoformat(),
        },
    )
    on_leave = await http.post(
        f"/api/v1/tickets/{ticket['id']}/backstop", headers=secretary, json={"person_id": station.social_workers[2]}
    )
    assert on_leave.json()["code"] == "person_on_leave"
    foreign = await http.post(
        f"/api/v1/tickets/{ticket['id']}/backstop", headers=secretary, json={"department_id": other.department}
    )
    assert foreign.json()["code"] == "department_not_in_subdistrict"
    worker = await http.post(
        f"/api/v1/tickets/{ticket['id']}/backstop", headers=station.headers("social_worker"), json={}
    )
    assert worker.status_code == 403


async def test_a_backstop_ticket_goes_to_an_onsite_office_and_its_outcome_comes_back(http, station, ticket_app):
    secretary = station.headers("secretary")
    ticket = await raise_ticket(http, station)
    too_early = await http.post(
        f"/api/v1/tickets/{ticket['id']}/onsite-office",
        headers=secretary,
        json={"title": "托育", "description": "0-3岁托育"},
    )
    assert too_early.status_code == 409
    assert too_early.json()["code"] == "ticket_not_at_backstop"
    await http.post(f"/api/v1/tickets/{ticket['id']}/backstop", headers=secretary, json={})
    requested = await http.post(
        f"/api/v1/tickets/{ticket['id']}/onsite-office",
        headers=secretary,
        json={"title": "托育", "description": "0-3岁托育"},
    )
    assert requested.status_code == 202
    assert requested.json()["onsite_office_status"] == "requested"
    sent = (await events(ticket_app, "onsite_office.requested"))[-1].data
    assert {key: sent[key] for key in ("ticket_id", "station_id", "community_id", "subdistrict_id", "title")} == {
        "ticket_id": ticket["id"],
        "station_id": station.id,
        "community_id": station.community_id,
        "subdistrict_id": station.subdistrict_id,
        "title": "托育",
    }
    assert sent["description"] == "0-3岁托育" and sent["requested_by"] == station.secretary
    twice = await http.post(
        f"/api/v1/tickets/{ticket['id']}/onsite-office", headers=secretary, json={"title": "托育", "description": "x"}
    )
    assert twice.json()["code"] == "onsite_office_already_requested"
    await publish(
        ticket_app,
        "onsite_office.resolved",
        {
            "case_id": "case-1",
            "ticket_id": ticket["id"],
            "outcome": "试点托班开班",
            "resolved_at": "2026-09-20T10:00:00+08:00",
        },
    )
    after = (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=secretary)).json()
    assert after["onsite_office_status"] == "resolved"
    assert after["onsite_outcome"] == "试点托班开班"
    assert after["history"][-1]["kind"] == "onsite_office" and after["history"][-1]["to_value"] == "resolved"
