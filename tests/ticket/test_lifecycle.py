"""The lifecycle: legal moves, 409 with a reason code, the append-only history, video links."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import bearer
from tests.ticket.conftest import events, local, raise_ticket


async def _act(http, ticket_id, action, headers, **extra):
    if action == "resolve":
        extra.setdefault("result_text", "已办结")  # required to resolve (tests/ticket/test_result_text.py)
    return await http.post(
        f"/api/v1/tickets/{ticket_id}/transitions", headers=headers, json={"action": action, **extra}
    )


async def test_a_ticket_walks_the_whole_lifecycle_and_every_step_is_in_the_history(http, station, clock, ticket_app):
    owner = station.headers("receptionist")
    ticket = await raise_ticket(http, station)
    steps = [
        ("accept", "accepted"),
        ("start", "in_progress"),
        ("wait_for_resident", "waiting_for_resident"),
        ("resume", "in_progress"),
        ("resolve", "resolved"),
        ("close", "closed"),
    ]
    for minute, (action, state) in enumerate(steps, start=1):
        clock.set(local(2026, 9, 14, 9, minute))
        response = await _act(http, ticket["id"], action, owner, note=f"step {minute}")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == state
    history = (await http.get(f"/api/v1/tickets/{ticket['id']}/history", headers=owner)).json()["items"][::-1]
    states = [(change["from_value"], change["to_value"]) for change in history if change["kind"] == "state"]
    assert states == [
        (None, "new"),
        ("new", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "waiting_for_resident"),
        ("waiting_for_resident", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]
    last = history[-1]
    assert last["actor_id"] == station.receptionist
    assert last["reason"] == "close" and last["note"] == "step 6"
    assert [change["seq"] for change in history] == list(range(1, len(history) + 1))
    resolved = (await events(ticket_app, "ticket.resolved"))[-1].data
    assert resolved["ticket_id"] == ticket["id"] and resolved["resolved_by"] == station.receptionist


async def test_illegal_moves_are_409_with_the_reason_code(http, station):
    owner = station.headers("receptionist")
    ticket = await raise_ticket(http, station)
    cases = [
        ("start", "ticket_not_accepted"),
        ("close", "ticket_not_resolved"),
        ("resume", "ticket_not_waiting_for_resident"),
    ]
    for action, code in cases:
        response = await _act(http, ticket["id"], action, owner)
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code
    await _act(http, ticket["id"], "accept", owner)
    assert (await _act(http, ticket["id"], "accept", owner)).json()["code"] == "ticket_already_accepted"
    await _act(http, ticket["id"], "cancel", owner)
    assert (await _act(http, ticket["id"], "reopen", owner)).json()["code"] == "ticket_cancelled"
    unknown = await _act(http, ticket["id"], "teleport", owner)
    assert unknown.status_code == 422 and unknown.json()["field"] == "action"


async def test_a_closed_ticket_reopens_within_seven_days_only(http, station, clock):
    owner = station.headers("receptionist")
    first = await raise_ticket(http, station)
    second = await raise_ticket(http, station)
    for ticket in (first, second):
        closed = await http.post(f"/api/v1/tickets/{ticket['id']}/close", headers=owner, json={"result_text": "已办结"})
        assert closed.json()["status"] == "closed"
    clock.set(local(2026, 9, 14, 9, 0) + timedelta(days=6))
    assert (await _act(http, first["id"], "reopen", owner)).json()["status"] == "reopened"
    clock.set(local(2026, 9, 14, 9, 0) + timedelta(days=8))
    late = await _act(http, second["id"], "reopen", owner)
    assert late.status_code == 409
    assert late.json()["code"] == "reopen_window_expired"


async def test_a_colleague_who_accepts_takes_the_ticket_over_and_strangers_cannot_act(http, station):
    ticket = await raise_ticket(http, station)
    colleague = station.headers("social_worker", station.social_workers[1])
    accepted = await _act(http, ticket["id"], "accept", colleague)
    assert accepted.json()["owner_id"] == station.social_workers[1]
    owner_change = [change for change in accepted.json()["history"] if change["kind"] == "owner"][-1]
    assert owner_change["reason"] == "taken_over_on_accept"
    resident = bearer("resident", "someone")
    assert (await _act(http, ticket["id"], "resolve", resident)).status_code == 404


async def test_the_resident_cancels_their_own_request(http, station):
    resident = bearer("resident", "resident-3")
    created = await http.post(
        "/api/v1/tickets",
        headers=resident,
        json={"station_id": station.id, "channel": "app", "service_category": "culture", "description": "报名"},
    )
    cancelled = await _act(http, created.json()["id"], "cancel", resident)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    resolve = await _act(http, created.json()["id"], "resolve", resident)
    assert resolve.status_code == 403


async def test_desk_close_handles_accept_resolve_close_and_names_who_completed_it(http, station, ticket_app):
    ticket = await raise_ticket(http, station)
    closed = await http.post(
        f"/api/v1/tickets/{ticket['id']}/close",
        headers=station.headers("receptionist"),
        json={"completed_by": station.social_workers[0], "result_text": "已办结"},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["completed_by"] == station.social_workers[0]
    history = (
        await http.get(f"/api/v1/tickets/{ticket['id']}/history", headers=station.headers("receptionist"))
    ).json()["items"][::-1]  # newest first
    assert [change["reason"] for change in history if change["kind"] == "state"][1:] == [
        "handled_at_desk",
        "handled_at_desk",
        "close",
    ]
    again = await http.post(f"/api/v1/tickets/{ticket['id']}/close", headers=station.headers("receptionist"), json={})
    assert again.status_code == 409 and again.json()["code"] == "ticket_already_closed"
    stranger = await http.post(
        f"/api/v1/tickets/{(await raise_ticket(http, station))['id']}/close",
        headers=station.headers("receptionist"),
        json={"completed_by": "nobody-here", "result_text": "已办结"},
    )
    assert stranger.status_code == 422 and stranger.json()["field"] == "completed_by"
    assert len(await events(ticket_app, "ticket.closed")) == 1


async def test_a_video_link_handling_is_recorded(http, station, clock):
    ticket = await raise_ticket(http, station, channel="video_link")
    clock.set(local(2026, 9, 14, 10, 0))
    body = {
        "centre": "陆家嘴街道社区事务受理中心",
        "started_at": local(2026, 9, 14, 9, 20).isoformat(),
        "ended_at": local(2026, 9, 14, 9, 35).isoformat(),
        "outcome": "completed",
        "document_issued": "医疗记录册",
    }
    recorded = await http.post(
        f"/api/v1/tickets/{ticket['id']}/video-links", headers=station.headers("receptionist"), json=body
    )
    assert recorded.status_code == 201, recorded.text
    detail = (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=station.headers("receptionist"))).json()
    link = detail["video_links"][0]
    assert (link["centre"], link["outcome"], link["document_issued"]) == (body["centre"], "completed", "医疗记录册")
    backwards = await http.post(
        f"/api/v1/tickets/{ticket['id']}/video-links",
        headers=station.headers("receptionist"),
        json={**body, "ended_at": local(2026, 9, 14, 9, 0).isoformat()},
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "ended_at"
