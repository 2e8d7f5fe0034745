"""Transfer to another station and return to sender (issue 15, point 2), through the ticket service's API."""

from __future__ import annotations

import json
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import bearer
from tests.ticket.conftest import add_reception_rota, events, local, open_station, raise_ticket
from ticket_service.handovers.rules import Refusal, check_return, check_transfer

RESIDENT_NAME, RESIDENT_PHONE = "王阿姨", "13800000000"


async def _two_stations(http, ticket_app, station):
    await add_reception_rota(http, station)
    other = await open_station(ticket_app, name="滨江居委会")
    await add_reception_rota(http, other)
    return other


async def _transfer(http, ticket_id, headers, station_id, reason="居民已搬到滨江，归滨江服务站办理", **extra):
    return await http.post(
        f"/api/v1/tickets/{ticket_id}/transfer",
        headers={**headers, **extra},
        json={"station_id": station_id, "reason": reason},
    )


async def test_a_misrouted_ticket_moves_to_the_receiving_stations_first_inquiry_owner(http, ticket_app, station):
    other = await _two_stations(http, ticket_app, station)
    ticket = await raise_ticket(http, station)  # the receptionist of the first station owns it
    assert ticket["owner_id"] == station.receptionist

    moved = await _transfer(http, ticket["id"], station.headers("receptionist"), other.id)
    assert moved.status_code == 200, moved.text
    answer = moved.json()
    assert answer["from_station_id"] == station.id and answer["to_station_id"] == other.id
    # Monday 09:00: the receiving station's morning duty person owns it, at first inquiry.
    assert (answer["owner_id"], answer["responsibility_level"]) == (other.receptionist, "first_inquiry")
    assert moved.headers["ETag"]

    # The receiving station works it now; the sending station no longer sees the resident's matter.
    seen = await http.get(f"/api/v1/tickets/{ticket['id']}", headers=other.headers("receptionist"))
    assert seen.status_code == 200
    body = seen.json()
    assert body["station_id"] == other.id and body["community_id"] == other.community_id
    assert body["transferred_from_station_id"] == station.id
    gone = await http.get(f"/api/v1/tickets/{ticket['id']}", headers=station.headers("social_worker"))
    assert gone.status_code == 404

    # The history keeps both stations, who moved it and why; then the new owner, and why.
    move = next(change for change in body["history"] if change["kind"] == "station")
    assert (move["from_value"], move["to_value"], move["actor_id"], move["reason"]) == (
        station.id,
        other.id,
        station.receptionist,
        "transferred",
    )
    assert move["note"] == "居民已搬到滨江，归滨江服务站办理"
    owner = [change for change in body["history"] if change["kind"] == "owner"][-1]
    assert (owner["from_value"], owner["to_value"], owner["reason"]) == (
        station.receptionist,
        other.receptionist,
        "transferred_on_duty",
    )

    # Both stations hear of it: the event names both; the new owner gets ticket.assigned at the new station.
    (transferred,) = await events(ticket_app, "ticket.transferred")
    data = transferred.data
    assert (data["from_station_id"], data["to_station_id"], data["station_id"]) == (station.id, other.id, other.id)
    assert (data["previous_owner_id"], data["owner_id"]) == (station.receptionist, other.receptionist)
    assert data["transferred_by"] == station.receptionist
    text = json.dumps(data, ensure_ascii=False)
    assert RESIDENT_NAME not in text and RESIDENT_PHONE not in text and "滨江服务站办理" not in text
    assigned = (await events(ticket_app, "ticket.assigned"))[-1].data
    assert (assigned["owner_id"], assigned["station_id"]) == (other.receptionist, other.id)


async def test_a_transferred_ticket_keeps_its_clock_running_and_breaches_at_the_new_station(
    http, ticket_app, station, clock
):
    other = await _two_stations(http, ticket_app, station)
    ticket = await raise_ticket(http, station)  # Monday 09:00: acceptance due 09:30 (30 working minutes)
    assert datetime.fromisoformat(ticket["acceptance_due_at"]) == local(2026, 9, 14, 9, 30)

    clock.set(local(2026, 9, 14, 9, 20))
    moved = await _transfer(http, ticket["id"], station.headers("secretary"), other.id)
    assert moved.status_code == 200, moved.text
    # Not restarted: the due times stay, the 20 minutes used stay used.
    assert datetime.fromisoformat(moved.json()["acceptance_due_at"]) == local(2026, 9, 14, 9, 30)
    assert moved.json()["resolution_due_at"] == ticket["resolution_due_at"]
    read = (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=other.headers("secretary"))).json()
    assert read["acceptance_working_minutes"] == 20

    # The receiving owner does not accept in the 10 minutes left: the breach escalates at the new station.
    clock.set(local(2026, 9, 14, 9, 31))
    await ticket_app.state.sla_checker.run_once()
    read = (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=other.headers("secretary"))).json()
    assert read["sla_breached_at"] is not None
    assert read["responsibility_level"] in ("designated", "backstop")
    assert read["owner_id"] in {*other.social_workers, other.secretary}
    (breach,) = await events(ticket_app, "ticket.sla_breached")
    assert breach.data["station_id"] == other.id and breach.data["clock"] == "acceptance"


async def test_the_receiving_station_returns_it_once_to_where_it_came_from(http, ticket_app, station):
    other = await _two_stations(http, ticket_app, station)
    ticket = await raise_ticket(http, station)
    never_moved = await http.post(
        f"/api/v1/tickets/{ticket['id']}/return", headers=station.headers("secretary"), json={"reason": "不归我们"}
    )
    assert never_moved.status_code == 409 and never_moved.json()["code"] == "ticket_not_transferred"

    assert (await _transfer(http, ticket["id"], station.headers("receptionist"), other.id)).status_code == 200
    # A colleague at the receiving station who does not own it may not send it back.
    refused = await http.post(
        f"/api/v1/tickets/{ticket['id']}/return",
        headers=other.headers("social_worker"),
        json={"reason": "地址仍在市新"},
    )
    assert refused.status_code == 403
    returned = await http.post(
        f"/api/v1/tickets/{ticket['id']}/return", headers=other.headers("secretary"), json={"reason": "地址仍在市新"}
    )
    assert returned.status_code == 200, returned.text
    answer = returned.json()
    assert (answer["kind"], answer["from_station_id"], answer["to_station_id"]) == ("returned", other.id, station.id)
    assert answer["owner_id"] == station.receptionist  # the sending station's duty person again

    body = (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=station.headers("secretary"))).json()
    assert body["station_id"] == station.id and body["transferred_from_station_id"] is None
    moves = [(c["from_value"], c["to_value"], c["reason"]) for c in body["history"] if c["kind"] == "station"]
    assert moves == [(station.id, other.id, "transferred"), (other.id, station.id, "returned")]
    (returned_event,) = await events(ticket_app, "ticket.returned")
    assert returned_event.data["returned_by"] == other.secretary

    again = await http.post(
        f"/api/v1/tickets/{ticket['id']}/return", headers=station.headers("secretary"), json={"reason": "再退"}
    )
    assert again.status_code == 409 and again.json()["code"] == "ticket_not_transferred"


async def test_refusals_name_the_field_or_the_reason_and_change_nothing(http, ticket_app, station):
    other = await _two_stations(http, ticket_app, station)
    ticket = await raise_ticket(http, station)
    owner = station.headers("receptionist")

    same = await _transfer(http, ticket["id"], owner, station.id)
    assert (same.status_code, same.json()["code"], same.json()["field"]) == (422, "same_station", "station_id")
    unknown = await _transfer(http, ticket["id"], owner, "00000000-0000-4000-8000-000000000000")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_station")
    blank = await _transfer(http, ticket["id"], owner, other.id, reason="   ")
    assert (blank.status_code, blank.json()["field"]) == (422, "reason")
    colleague = await _transfer(http, ticket["id"], station.headers("social_worker"), other.id)
    assert colleague.status_code == 403
    stranger = await _transfer(http, ticket["id"], other.headers("secretary"), other.id)
    assert stranger.status_code == 404
    stale = await _transfer(http, ticket["id"], owner, other.id, **{"If-Match": '"0-0"'})
    assert stale.status_code == 412

    body = (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=owner)).json()
    assert body["station_id"] == station.id and not [c for c in body["history"] if c["kind"] == "station"]
    assert await events(ticket_app, "ticket.transferred") == []

    for action, extra in (("accept", {}), ("resolve", {"result_text": "已换发新的医疗记录册"})):
        response = await http.post(
            f"/api/v1/tickets/{ticket['id']}/transitions", headers=owner, json={"action": action, **extra}
        )
        assert response.status_code == 200, response.text
    finished = await _transfer(http, ticket["id"], owner, other.id)
    assert (finished.status_code, finished.json()["code"]) == (409, "ticket_resolved")


async def test_a_district_admin_transfers_any_ticket(http, ticket_app, station):
    other = await _two_stations(http, ticket_app, station)
    ticket = await raise_ticket(http, station)
    moved = await _transfer(http, ticket["id"], bearer("district_admin", "admin-1"), other.id)
    assert moved.status_code == 200, moved.text
    assert moved.json()["owner_id"] == other.receptionist


# --- the rules, alone ----------------------------------------------------------------------------------

STATES = ("new", "accepted", "in_progress", "waiting_for_resident", "reopened", "resolved", "closed", "cancelled")
FINISHED = {"resolved", "closed", "cancelled"}


@given(st.sampled_from(STATES), st.sampled_from(["s-1", "s-2"]), st.sampled_from(["s-1", "s-2"]))
def test_an_open_ticket_moves_to_any_other_station_and_nothing_else_moves(status, here, there) -> None:
    try:
        check_transfer(status=status, station_id=here, to_station_id=there)
    except Refusal as refusal:
        assert (
            (refusal.code, refusal.field) == ("same_station", "station_id")
            if here == there
            else (refusal.code == f"ticket_{status}" and status in FINISHED)
        )
        return
    assert here != there and status not in FINISHED


@given(st.sampled_from(STATES), st.one_of(st.none(), st.sampled_from(["s-1", "s-2"])))
def test_only_an_open_transferred_ticket_goes_back_and_only_where_it_came_from(status, origin) -> None:
    try:
        back_to = check_return(status=status, transferred_from_station_id=origin)
    except Refusal as refusal:
        assert origin is None or status in FINISHED
        assert refusal.code in ("ticket_not_transferred", f"ticket_{status}")
        return
    assert back_to == origin and status not in FINISHED
