"""Ticket lists as the app shows them: newest first by default, `sort` by created, updated or due time in
either direction with pages that neither skip nor repeat, and the badges' counts in one call."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.conftest import bearer
from tests.ticket.conftest import MONDAY_0900, local, raise_ticket


async def _walk(http, headers, **params) -> list[str]:
    """Every page, one ticket a page: the cursor must carry the sort key to continue in order."""
    seen: list[str] = []
    cursor = None
    while True:
        response = await http.get(
            "/api/v1/tickets", headers=headers, params={**params, "limit": 1, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        seen += [item["id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return seen


async def test_each_sort_walks_every_ticket_once_in_its_order(http, station, clock):
    desk = station.headers("receptionist")
    clock.set(MONDAY_0900)
    early = await raise_ticket(http, station)
    clock.set(MONDAY_0900 + timedelta(minutes=30))
    middle = await raise_ticket(http, station)
    clock.set(MONDAY_0900 + timedelta(minutes=45))
    late = await raise_ticket(http, station)
    # The earliest is accepted last (its next due time becomes the far resolution one); the middle one closed.
    clock.set(MONDAY_0900 + timedelta(minutes=50))
    assert (
        await http.post(f"/api/v1/tickets/{middle['id']}/close", headers=desk, json={"result_text": "已办结"})
    ).status_code == 200
    clock.set(MONDAY_0900 + timedelta(minutes=55))
    accepted = await http.post(f"/api/v1/tickets/{early['id']}/transitions", headers=desk, json={"action": "accept"})
    assert accepted.status_code == 200, accepted.text
    early_id, middle_id, late_id = early["id"], middle["id"], late["id"]

    assert await _walk(http, desk) == [late_id, middle_id, early_id]  # newest first by default
    assert await _walk(http, desk, sort="-created") == [late_id, middle_id, early_id]
    assert await _walk(http, desk, sort="created") == [early_id, middle_id, late_id]
    assert await _walk(http, desk, sort="-updated") == [early_id, middle_id, late_id]
    assert await _walk(http, desk, sort="updated") == [late_id, middle_id, early_id]
    # Due: the late one's acceptance is due first; the accepted one's resolution later; the closed one has none.
    assert await _walk(http, desk, sort="due") == [late_id, early_id, middle_id]
    assert await _walk(http, desk, sort="-due") == [middle_id, early_id, late_id]


async def test_a_cursor_of_one_sort_is_refused_by_another(http, station):
    desk = station.headers("receptionist")
    for _ in range(2):
        await raise_ticket(http, station)
    first = (await http.get("/api/v1/tickets", headers=desk, params={"limit": 1, "sort": "-created"})).json()
    response = await http.get(
        "/api/v1/tickets", headers=desk, params={"limit": 1, "sort": "due", "cursor": first["next_cursor"]}
    )
    assert response.status_code == 422 and response.json()["field"] == "cursor"
    unknown = await http.get("/api/v1/tickets", headers=desk, params={"sort": "priority"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "sort"


async def test_the_badges_count_by_status_overdue_and_awaiting_me_in_one_call(http, station, clock):
    desk = station.headers("receptionist")
    clock.set(MONDAY_0900)
    tickets = [await raise_ticket(http, station) for _ in range(3)]
    owner = tickets[0]["owner_id"]
    accepted = await http.post(
        f"/api/v1/tickets/{tickets[0]['id']}/transitions", headers=desk, json={"action": "accept"}
    )
    assert accepted.status_code == 200, accepted.text
    clock.set(local(2026, 9, 16, 9, 0))  # two days on: the two never accepted are past their acceptance time

    response = await http.get("/api/v1/tickets/counts", headers=desk, params={"station_id": station.id})
    assert response.status_code == 200, response.text
    counts = response.json()
    assert counts["by_status"]["new"] == 2 and counts["by_status"]["accepted"] == 1
    assert counts["by_status"]["closed"] == 0 and counts["total"] == 3
    assert counts["overdue"] == 2
    waiting = [ticket for ticket in tickets[1:] if ticket["owner_id"] == owner]
    assert counts["awaiting_me"] == (len(waiting) if owner == station.receptionist else 0)
    theirs = await http.get("/api/v1/tickets/counts", headers=station.headers("social_worker", tickets[1]["owner_id"]))
    assert theirs.json()["awaiting_me"] == sum(ticket["owner_id"] == tickets[1]["owner_id"] for ticket in tickets[1:])

    elsewhere = await http.get("/api/v1/tickets/counts", headers=station.headers("receptionist", "someone-else"))
    assert elsewhere.json()["awaiting_me"] == 0
    # Another station's desk asking for this station counts nothing of it: the caller's own list only.
    other = bearer("receptionist", station_id=str(uuid.uuid4()), subdistrict_id=station.subdistrict_id)
    across = await http.get("/api/v1/tickets/counts", headers=other, params={"station_id": station.id})
    assert across.status_code == 200 and across.json()["total"] == 0
