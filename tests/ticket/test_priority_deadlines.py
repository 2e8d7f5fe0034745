"""Priority and deadlines as the station meets them: a 12345 ticket's own deadline honoured end to end (warned
at 50% and 80% of it, breached and escalated right after it), our budget when it is the tighter one, the
priority picking the budgets at intake and by hand (If-Match, in the history, an event)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.conftest import bearer
from tests.ticket.conftest import events, local, raise_ticket


async def _get(http, station, ticket_id):
    response = await http.get(f"/api/v1/tickets/{ticket_id}", headers=station.headers("secretary"))
    assert response.status_code == 200, response.text
    return response


async def _act(http, station, ticket_id, action):
    response = await http.post(
        f"/api/v1/tickets/{ticket_id}/transitions", headers=station.headers("receptionist"), json={"action": action}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _warnings(app, ticket_id):
    found = await events(app, "ticket.sla_warning")
    return [
        (item.data["clock"], item.data["threshold_percent"], item.data["due_at_source"])
        for item in found
        if item.data["ticket_id"] == ticket_id
    ]


async def test_a_12345_deadline_tighter_than_our_budget_warns_breaches_and_escalates_at_that_time(
    http, station, ticket_app, clock
):
    checker = ticket_app.state.sla_checker
    hotline_due = local(2026, 9, 14, 11, 0)  # two hours, where our budget gives three working days
    ticket = await raise_ticket(http, station, channel="phone", external_due_at=hotline_due.isoformat())
    ours = await raise_ticket(http, station, channel="phone")  # the same matter without a hotline deadline
    assert datetime.fromisoformat(ticket["external_due_at"]) == hotline_due
    assert datetime.fromisoformat(ticket["resolution_due_at"]) == hotline_due
    assert ticket["due_at_source"] == "external"
    assert ours["due_at_source"] == "service_level"
    assert datetime.fromisoformat(ours["resolution_due_at"]) > hotline_due + timedelta(days=1)
    clock.set(local(2026, 9, 14, 9, 5))
    for accepted in (ticket, ours):
        await _act(http, station, accepted["id"], "accept")  # in time: only the resolution clock runs on

    await checker.run_once(local(2026, 9, 14, 9, 59))
    assert await _warnings(ticket_app, ticket["id"]) == []
    await checker.run_once(local(2026, 9, 14, 10, 0))  # half of the two hours
    assert await _warnings(ticket_app, ticket["id"]) == [("resolution", 50, "external")]
    await checker.run_once(local(2026, 9, 14, 10, 36))  # 80% of 120 minutes
    assert await _warnings(ticket_app, ticket["id"]) == [("resolution", 50, "external"), ("resolution", 80, "external")]
    assert await checker.run_once(hotline_due) == 0  # at the deadline itself it is not yet late
    assert await checker.run_once(hotline_due + timedelta(minutes=1)) == 1  # ours is not due for days

    after = (await _get(http, station, ticket["id"])).json()
    assert after["responsibility_level"] == "designated"
    assert after["owner_id"] == station.social_workers[0]
    assert after["sla_breached_at"] is not None
    assert [(c["kind"], c["reason"]) for c in after["history"]][-1] == ("level", "sla_breach_resolution")
    breach = [item.data for item in await events(ticket_app, "ticket.sla_breached")]
    assert [(b["ticket_id"], b["clock"], b["due_at_source"]) for b in breach] == [
        (ticket["id"], "resolution", "external")
    ]
    assert datetime.fromisoformat(breach[0]["due_at"]) == hotline_due
    assert await _warnings(ticket_app, ours["id"]) == []
    listed = await http.get(
        "/api/v1/tickets", headers=station.headers("secretary"), params={"overdue": "true", "limit": 10}
    )
    assert [item["id"] for item in listed.json()["items"]] == [ticket["id"]]


async def test_our_budget_governs_when_the_external_deadline_is_later(http, station, ticket_app):
    later = local(2026, 9, 25, 18, 0)
    ticket = await raise_ticket(http, station, external_due_at=later.isoformat())
    assert ticket["due_at_source"] == "service_level"
    # Three working days of 480 minutes: Monday, Tuesday, Wednesday.
    assert datetime.fromisoformat(ticket["resolution_due_at"]) == local(2026, 9, 16, 18, 0)
    await _act(http, station, ticket["id"], "accept")
    assert await ticket_app.state.sla_checker.run_once(local(2026, 9, 16, 18, 0)) == 0
    assert await ticket_app.state.sla_checker.run_once(local(2026, 9, 17, 9, 1)) == 1
    breach = (await events(ticket_app, "ticket.sla_breached"))[-1].data
    assert (breach["clock"], breach["due_at_source"]) == ("resolution", "service_level")


async def test_waiting_for_the_resident_does_not_stop_the_hotlines_clock(http, station, ticket_app, clock):
    hotline_due = local(2026, 9, 14, 11, 0)
    ticket = await raise_ticket(http, station, external_due_at=hotline_due.isoformat())
    clock.set(local(2026, 9, 14, 9, 10))
    await _act(http, station, ticket["id"], "accept")
    await _act(http, station, ticket["id"], "start")
    waiting = await _act(http, station, ticket["id"], "wait_for_resident")
    assert datetime.fromisoformat(waiting["resolution_due_at"]) == hotline_due  # our clock pauses, 12345's not
    assert waiting["due_at_source"] == "external"
    assert await ticket_app.state.sla_checker.run_once(hotline_due + timedelta(minutes=1)) == 1


async def test_resolved_before_the_external_deadline_is_on_time(http, station, ticket_app, clock):
    ticket = await raise_ticket(http, station, external_due_at=local(2026, 9, 14, 11, 0).isoformat())
    clock.set(local(2026, 9, 14, 10, 30))
    await _act(http, station, ticket["id"], "accept")
    resolved = await http.post(
        f"/api/v1/tickets/{ticket['id']}/transitions",
        headers=station.headers("receptionist"),
        json={"action": "resolve", "result_text": "已修好"},
    )
    assert resolved.status_code == 200, resolved.text
    assert await ticket_app.state.sla_checker.run_once(local(2026, 9, 14, 12, 0)) == 0
    assert resolved.json()["sla_breached_at"] is None


async def test_the_external_deadline_must_carry_its_offset(http, station):
    response = await http.post(
        "/api/v1/tickets",
        headers=station.headers("receptionist"),
        json={
            "station_id": station.id,
            "channel": "phone",
            "service_category": "daily_life",
            "description": "楼道灯坏了",
            "external_due_at": "2026-09-14T11:00:00",
        },
    )
    assert response.status_code == 422
    assert "external_due_at" in response.text


async def test_the_priority_picks_the_budgets_at_intake(http, station, ticket_app):
    urgent = await raise_ticket(http, station, priority="urgent")
    normal = await raise_ticket(http, station)
    low = await raise_ticket(http, station, priority="low")
    assert (urgent["priority"], normal["priority"], low["priority"]) == ("urgent", "normal", "low")
    assert [datetime.fromisoformat(t["acceptance_due_at"]) for t in (urgent, normal, low)] == [
        local(2026, 9, 14, 9, 15),
        local(2026, 9, 14, 9, 30),
        local(2026, 9, 14, 10, 0),
    ]
    assert (urgent["sla_accept_minutes"], urgent["sla_resolve_minutes"]) == (15, 360)
    assert await ticket_app.state.sla_checker.run_once(local(2026, 9, 14, 9, 16)) == 1  # only the urgent one
    bad = await http.post(
        "/api/v1/tickets",
        headers=station.headers("receptionist"),
        json={"station_id": station.id, "channel": "walk_in", "service_category": "legal", "description": "x",
              "priority": "asap"},
    )  # fmt: skip
    assert bad.status_code == 422 and "priority" in bad.text


async def test_staff_change_the_priority_with_if_match_and_the_history_shows_it(http, station, ticket_app, clock):
    ticket = await raise_ticket(http, station)
    etag = (await _get(http, station, ticket["id"])).headers["etag"]
    clock.set(local(2026, 9, 14, 9, 5))
    url = f"/api/v1/tickets/{ticket['id']}/priority"
    desk = station.headers("social_worker", station.social_workers[1])
    changed = await http.post(url, headers={**desk, "If-Match": etag}, json={"priority": "urgent", "note": "老人独居"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["priority"] == "urgent"
    # The five minutes used stay used: now 15 minutes to accept from creation.
    assert datetime.fromisoformat(body["acceptance_due_at"]) == local(2026, 9, 14, 9, 15)
    last = body["history"][-1]
    assert (last["kind"], last["from_value"], last["to_value"], last["actor_id"], last["reason"]) == (
        "priority",
        "normal",
        "urgent",
        station.social_workers[1],
        "priority_changed",
    )
    stale = await http.post(url, headers={**desk, "If-Match": etag}, json={"priority": "low"})
    assert stale.status_code == 412
    again = await http.post(url, headers=desk, json={"priority": "urgent"})
    assert again.status_code == 409 and again.json()["code"] == "priority_unchanged"
    stranger = await http.post(url, headers=bearer("resident"), json={"priority": "low"})
    assert stranger.status_code == 404
    published = (await events(ticket_app, "ticket.priority_changed"))[-1].data
    assert (published["ticket_id"], published["previous_priority"], published["priority"]) == (
        ticket["id"],
        "normal",
        "urgent",
    )
    assert await ticket_app.state.sla_checker.run_once(local(2026, 9, 14, 9, 16)) == 1


async def test_a_finished_ticket_keeps_its_priority(http, station):
    ticket = await raise_ticket(http, station)
    closed = await http.post(
        f"/api/v1/tickets/{ticket['id']}/close", headers=station.headers("receptionist"), json={"result_text": "已办"}
    )
    assert closed.status_code == 200, closed.text
    refused = await http.post(
        f"/api/v1/tickets/{ticket['id']}/priority", headers=station.headers("secretary"), json={"priority": "high"}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "ticket_closed"
