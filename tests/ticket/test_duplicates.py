"""Duplicates (issue 15, point 5): a ticket closes pointing at its parent, the parent lists it, and the
parent's resolution reaches the duplicate's resident. The link rule is pure and tested with hypothesis."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import bearer
from tests.ticket.conftest import events, local, open_station, raise_ticket
from ticket_service.handovers.rules import DuplicateNode, Refusal, check_duplicate_link

# --- the rule, alone ---------------------------------------------------------------------------------

OPEN = ("new", "accepted", "in_progress", "waiting_for_resident", "reopened")
ANY = (*OPEN, "resolved", "closed", "cancelled")


@given(
    st.integers(min_value=2, max_value=8).flatmap(
        lambda size: st.tuples(
            st.lists(st.sampled_from(ANY), min_size=size, max_size=size),
            st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=30),
        )
    )
)
def test_accepted_links_never_make_a_chain_or_a_cycle(case: tuple[list[str], list[tuple[int, int]]]) -> None:
    statuses, attempts = case
    parent_of: dict[int, int] = {}
    status = dict(enumerate(statuses))
    for child, parent in attempts:

        def node(index: int) -> DuplicateNode:
            return DuplicateNode(
                id=str(index),
                status=status[index],
                duplicate_of_id=str(parent_of[index]) if index in parent_of else None,
                has_duplicates=index in parent_of.values(),
            )

        try:
            check_duplicate_link(node(child), node(parent))
        except Refusal as refusal:
            assert refusal.code in {
                "duplicate_of_itself",
                "already_a_duplicate",
                "ticket_has_duplicates",
                "parent_is_duplicate",
                "parent_cancelled",
                f"ticket_{status[child]}",
            }
            continue
        assert status[child] in OPEN and status[parent] != "cancelled"
        parent_of[child] = parent
        status[child] = "closed"
    # Every duplicate points straight at a root: one step, never a chain, never back to itself.
    for child, parent in parent_of.items():
        assert child != parent and parent not in parent_of


@pytest.mark.parametrize(
    ("child", "parent", "code"),
    [
        (DuplicateNode("a", "new"), DuplicateNode("a", "new"), "duplicate_of_itself"),
        (DuplicateNode("a", "new", duplicate_of_id="c"), DuplicateNode("b", "new"), "already_a_duplicate"),
        (DuplicateNode("a", "new"), DuplicateNode("b", "new", duplicate_of_id="c"), "parent_is_duplicate"),
        (DuplicateNode("a", "new", has_duplicates=True), DuplicateNode("b", "new"), "ticket_has_duplicates"),
        (DuplicateNode("a", "new"), DuplicateNode("b", "cancelled"), "parent_cancelled"),
        (DuplicateNode("a", "resolved"), DuplicateNode("b", "new"), "ticket_resolved"),
    ],
)
def test_each_refusal_has_its_code(child: DuplicateNode, parent: DuplicateNode, code: str) -> None:
    with pytest.raises(Refusal) as refused:
        check_duplicate_link(child, parent)
    assert refused.value.code == code


# --- through the API -----------------------------------------------------------------------------------


async def _link(http, ticket_id, parent_id, headers):
    return await http.post(f"/api/v1/tickets/{ticket_id}/duplicate-of", headers=headers, json={"parent_id": parent_id})


async def test_a_duplicate_closes_pointing_at_its_parent_which_lists_it(http, ticket_app, station):
    parent = await raise_ticket(http, station, description="3号楼楼道灯坏了")
    duplicate = await raise_ticket(
        http, station, description="楼道灯不亮", resident_name="李先生", resident_phone="13911112222"
    )
    owner = station.headers("receptionist")

    linked = await _link(http, duplicate["id"], parent["id"], owner)
    assert linked.status_code == 200, linked.text
    body = linked.json()
    assert (body["status"], body["duplicate_of"]) == ("closed", parent["id"])
    assert body["closed_at"] is not None and body["allowed_actions"] == ["reopen"]
    marks = [(c["kind"], c["from_value"], c["to_value"], c["reason"]) for c in body["history"][-2:]]
    assert marks == [("duplicate", None, parent["id"], "duplicate_of"), ("state", "new", "closed", "duplicate_of")]

    parent_now = (await http.get(f"/api/v1/tickets/{parent['id']}", headers=owner)).json()
    assert parent_now["duplicates"] == [duplicate["id"]] and parent_now["status"] == "new"
    assert parent_now["history"][-1]["kind"] == "duplicate" and parent_now["history"][-1]["to_value"] == duplicate["id"]
    listed = (await http.get("/api/v1/tickets", headers=owner, params={"status": "closed"})).json()["items"]
    assert [(item["id"], item["duplicate_of"]) for item in listed] == [(duplicate["id"], parent["id"])]

    # The duplicate's resident is told (the notification service's SMS): ids only, no evaluation asked for.
    (event,) = await events(ticket_app, "ticket.duplicate_linked")
    assert (event.data["ticket_id"], event.data["parent_id"], event.data["status"]) == (
        duplicate["id"],
        parent["id"],
        "closed",
    )
    assert "13911112222" not in json.dumps(event.data) and "李先生" not in json.dumps(event.data, ensure_ascii=False)
    assert await events(ticket_app, "ticket.closed") == []


async def test_the_duplicates_clock_stops_and_the_parents_resolution_reaches_it(http, ticket_app, station, clock):
    parent = await raise_ticket(http, station)
    first, second = await raise_ticket(http, station), await raise_ticket(http, station)
    owner = station.headers("receptionist")
    for duplicate in (first, second):
        assert (await _link(http, duplicate["id"], parent["id"], owner)).status_code == 200

    clock.set(local(2026, 9, 16, 9, 0))  # days later: the duplicates breach nothing, the parent does
    await ticket_app.state.sla_checker.run_once()
    breaches = await events(ticket_app, "ticket.sla_breached")
    assert {event.data["ticket_id"] for event in breaches} == {parent["id"]}

    parent_now = (await http.get(f"/api/v1/tickets/{parent['id']}", headers=station.headers("secretary"))).json()
    owner = bearer("social_worker", parent_now["owner_id"], station_id=station.id)
    for action, extra in (("accept", {}), ("resolve", {"result_text": "楼道灯已修好"})):
        response = await http.post(
            f"/api/v1/tickets/{parent['id']}/transitions", headers=owner, json={"action": action, **extra}
        )
        assert response.status_code == 200, response.text

    told = await events(ticket_app, "ticket.parent_resolved")
    assert sorted(event.data["ticket_id"] for event in told) == sorted([first["id"], second["id"]])
    assert {event.data["parent_id"] for event in told} == {parent["id"]}
    history = (await http.get(f"/api/v1/tickets/{first['id']}", headers=station.headers("secretary"))).json()["history"]
    assert (history[-1]["kind"], history[-1]["reason"], history[-1]["to_value"]) == (
        "duplicate",
        "parent_resolved",
        parent["id"],
    )


async def test_links_that_would_chain_loop_or_reach_out_of_scope_are_refused(http, ticket_app, station):
    owner = station.headers("receptionist")
    root, child, third = [await raise_ticket(http, station) for _ in range(3)]
    itself = await _link(http, root["id"], root["id"], owner)
    assert (itself.status_code, itself.json()["code"], itself.json()["field"]) == (
        422,
        "duplicate_of_itself",
        "parent_id",
    )
    assert (await _link(http, child["id"], root["id"], owner)).status_code == 200
    twice = await _link(http, child["id"], third["id"], owner)
    assert (twice.status_code, twice.json()["code"]) == (409, "already_a_duplicate")
    chain = await _link(http, third["id"], child["id"], owner)
    assert (chain.status_code, chain.json()["code"]) == (409, "parent_is_duplicate")
    has = await _link(http, root["id"], third["id"], owner)
    assert (has.status_code, has.json()["code"]) == (409, "ticket_has_duplicates")

    unknown = await _link(http, third["id"], "00000000-0000-4000-8000-000000000000", owner)
    assert (unknown.status_code, unknown.json()["code"], unknown.json()["field"]) == (
        422,
        "parent_not_found",
        "parent_id",
    )
    elsewhere = await open_station(ticket_app, name="滨江居委会")
    theirs = await raise_ticket(http, elsewhere)
    hidden = await _link(http, third["id"], theirs["id"], owner)
    assert (hidden.status_code, hidden.json()["code"]) == (422, "parent_not_found")

    resident = bearer("resident", "resident-dup")
    own = await raise_ticket(http, station, role="receptionist", resident_id="resident-dup")
    refused = await _link(http, own["id"], root["id"], resident)
    assert refused.status_code in (403, 404)

    cancelled = await raise_ticket(http, station)
    response = await http.post(
        f"/api/v1/tickets/{cancelled['id']}/transitions", headers=owner, json={"action": "cancel"}
    )
    assert response.status_code == 200
    gone = await _link(http, third["id"], cancelled["id"], owner)
    assert (gone.status_code, gone.json()["code"]) == (409, "parent_cancelled")
    closed = await _link(http, cancelled["id"], root["id"], owner)
    assert (closed.status_code, closed.json()["code"]) == (409, "ticket_cancelled")

    third_now = (await http.get(f"/api/v1/tickets/{third['id']}", headers=owner)).json()
    assert third_now["status"] == "new" and third_now["duplicate_of"] is None
    assert len(await events(ticket_app, "ticket.duplicate_linked")) == 1


# --- on PostgreSQL: two opposite links at once --------------------------------------------------------


async def test_two_opposite_links_at_once_make_one_duplicate_on_postgresql(pg_app) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=pg_app), base_url="http://ticket") as http:
        station = await open_station(pg_app)
        first, second = await raise_ticket(http, station), await raise_ticket(http, station)
        owner = station.headers("receptionist")
        answers = await asyncio.gather(
            _link(http, first["id"], second["id"], owner), _link(http, second["id"], first["id"], owner)
        )
        assert sorted(answer.status_code for answer in answers) == [200, 409], [a.text for a in answers]
        winner = next(answer.json() for answer in answers if answer.status_code == 200)
        parent_id = winner["duplicate_of"]
        parent = (await http.get(f"/api/v1/tickets/{parent_id}", headers=owner)).json()
        assert parent["duplicate_of"] is None and parent["duplicates"] == [winner["id"]]
        assert parent["status"] == "new"
        assert len(await events(pg_app, "ticket.duplicate_linked")) == 1


async def test_a_duplicate_is_not_reopened_its_parent_is(http, ticket_app, station):
    parent, duplicate = await raise_ticket(http, station), await raise_ticket(http, station)
    owner = station.headers("receptionist")
    assert (await _link(http, duplicate["id"], parent["id"], owner)).status_code == 200
    reopened = await http.post(
        f"/api/v1/tickets/{duplicate['id']}/transitions", headers=owner, json={"action": "reopen"}
    )
    assert reopened.status_code == 409, reopened.text
    assert reopened.json()["code"] == "ticket_is_duplicate"
    after = (await http.get(f"/api/v1/tickets/{duplicate['id']}", headers=owner)).json()
    assert after["status"] == "closed" and after["history"][-1]["reason"] == "duplicate_of"
