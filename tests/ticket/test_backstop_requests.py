"""Asking for the backstop (issue 15, point 8): the owner asks, the secretary is told, claims it or names an
owner; until then the asker owns it, and the history shows the request."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.ticket.conftest import events, raise_ticket
from ticket_service.handovers.rules import Refusal, backstop_request_settled, check_backstop_request

REASON = "涉及房屋产权纠纷，超出社工职责，请书记兜底"


async def _ask(http, ticket_id, headers, reason=REASON):
    return await http.post(f"/api/v1/tickets/{ticket_id}/backstop-request", headers=headers, json={"reason": reason})


async def test_the_owner_asks_keeps_the_ticket_and_the_secretarys_claim_settles_it(http, ticket_app, station):
    ticket = await raise_ticket(http, station, role="social_worker")
    worker = station.headers("social_worker")
    assert ticket["owner_id"] == station.social_workers[0]
    # The backstop itself stays the secretary's: a social worker still gets 403 there.
    direct = await http.post(f"/api/v1/tickets/{ticket['id']}/backstop", headers=worker, json={})
    assert (direct.status_code, direct.json()["code"]) == (403, "secretary_required")

    asked = await _ask(http, ticket["id"], worker)
    assert asked.status_code == 200, asked.text
    body = asked.json()
    assert (body["owner_id"], body["responsibility_level"]) == (station.social_workers[0], "first_inquiry")
    assert body["backstop_requested_by"] == station.social_workers[0] and body["backstop_requested_at"]
    request = body["history"][-1]
    assert (request["kind"], request["to_value"], request["reason"], request["note"]) == (
        "backstop_request",
        "requested",
        "backstop_requested",
        REASON,
    )
    (event,) = await events(ticket_app, "ticket.backstop_requested")
    assert (event.data["ticket_id"], event.data["requested_by"], event.data["station_id"]) == (
        ticket["id"],
        station.social_workers[0],
        station.id,
    )
    assert "产权" not in json.dumps(event.data, ensure_ascii=False)  # the reason stays in the ticket

    again = await _ask(http, ticket["id"], worker, reason="再催一次")
    assert (again.status_code, again.json()["code"]) == (409, "backstop_already_requested")

    claimed = await http.post(f"/api/v1/tickets/{ticket['id']}/backstop", headers=station.headers("secretary"), json={})
    assert claimed.status_code == 200, claimed.text
    body = claimed.json()
    assert (body["owner_id"], body["responsibility_level"]) == (station.secretary, "backstop")
    assert body["backstop_requested_at"] is None and body["backstop_requested_by"] is None
    settled = [c for c in body["history"] if c["kind"] == "backstop_request"]
    assert [(c["from_value"], c["to_value"], c["actor_id"]) for c in settled] == [
        (None, "requested", station.social_workers[0]),
        ("requested", "settled", station.secretary),
    ]
    # Under the backstop now: asking again is refused.
    at_top = await _ask(http, ticket["id"], station.headers("secretary"))
    assert (at_top.status_code, at_top.json()["code"]) == (409, "ticket_at_backstop")


async def test_the_secretary_may_name_another_owner_which_settles_it_too(http, station):
    ticket = await raise_ticket(http, station, role="social_worker")
    assert (await _ask(http, ticket["id"], station.headers("social_worker"))).status_code == 200
    named = await http.post(
        f"/api/v1/tickets/{ticket['id']}/backstop",
        headers=station.headers("secretary"),
        json={"person_id": station.social_workers[2]},
    )
    assert named.status_code == 200, named.text
    body = named.json()
    assert body["owner_id"] == station.social_workers[2] and body["backstop_requested_at"] is None


async def test_only_the_owner_asks_and_only_for_an_open_ticket_below_the_backstop(http, station):
    ticket = await raise_ticket(http, station, role="social_worker")
    colleague = station.headers("social_worker", station.social_workers[1])
    refused = await _ask(http, ticket["id"], colleague)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_the_owner")
    secretary = await _ask(http, ticket["id"], station.headers("secretary"))
    assert secretary.status_code == 403
    blank = await _ask(http, ticket["id"], station.headers("social_worker"), reason=" ")
    assert (blank.status_code, blank.json()["field"]) == (422, "reason")
    fresh = (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=station.headers("secretary"))).json()
    assert fresh["backstop_requested_at"] is None
    assert not [c for c in fresh["history"] if c["kind"] == "backstop_request"]

    owner = station.headers("social_worker")
    for action, extra in (("accept", {}), ("resolve", {"result_text": "已答复居民"})):
        response = await http.post(
            f"/api/v1/tickets/{ticket['id']}/transitions", headers=owner, json={"action": action, **extra}
        )
        assert response.status_code == 200, response.text
    finished = await _ask(http, ticket["id"], owner)
    assert (finished.status_code, finished.json()["code"]) == (409, "ticket_resolved")


@pytest.mark.parametrize(
    ("status", "level", "pending", "code"),
    [
        ("closed", "first_inquiry", False, "ticket_closed"),
        ("new", "backstop", False, "ticket_at_backstop"),
        ("in_progress", "designated", True, "backstop_already_requested"),
    ],
)
def test_the_request_rule_refuses_with_a_code(status: str, level: str, pending: bool, code: str) -> None:
    with pytest.raises(Refusal) as refused:
        check_backstop_request(status=status, level=level, pending=pending)
    assert refused.value.code == code


def test_a_request_is_settled_once_the_ticket_leaves_the_asker_or_reaches_the_backstop() -> None:
    assert not backstop_request_settled(requested_by="w", owner_id="w", level="designated")
    assert backstop_request_settled(requested_by="w", owner_id="s", level="designated")
    assert backstop_request_settled(requested_by="w", owner_id="w", level="backstop")


@given(
    st.sampled_from(
        ["new", "accepted", "in_progress", "waiting_for_resident", "reopened", "resolved", "closed", "cancelled"]
    ),
    st.sampled_from(["first_inquiry", "designated", "backstop"]),
    st.booleans(),
)
def test_a_request_is_taken_only_once_for_an_open_ticket_below_the_backstop(status, level, pending) -> None:
    try:
        check_backstop_request(status=status, level=level, pending=pending)
    except Refusal:
        assert status in ("resolved", "closed", "cancelled") or level == "backstop" or pending
        return
    assert status not in ("resolved", "closed", "cancelled") and level != "backstop" and not pending
