"""Who sees what, list filters, keyset pagination and the CSV export."""

from __future__ import annotations

import csv
import io
import uuid

from tests.conftest import bearer
from tests.ticket.conftest import local, open_station, raise_ticket


async def test_each_role_sees_its_own_scope_and_strangers_get_404(http, station, ticket_app):
    other = await open_station(ticket_app, name="滨江居委会")
    mine = await raise_ticket(http, station)
    theirs = await raise_ticket(http, other)
    resident_ticket = await http.post(
        "/api/v1/tickets",
        headers=bearer("resident", "resident-5"),
        json={"station_id": station.id, "channel": "app", "service_category": "health", "description": "咨询"},
    )
    resident_id = resident_ticket.json()["id"]

    def ids(response):
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    staff = station.headers("social_worker")
    assert ids(await http.get("/api/v1/tickets", headers=staff)) == {mine["id"], resident_id}
    assert (await http.get(f"/api/v1/tickets/{theirs['id']}", headers=staff)).status_code == 404
    # A secretary sees the community's tickets.
    secretary = bearer("secretary", str(uuid.uuid4()), community_id=station.community_id)
    assert ids(await http.get("/api/v1/tickets", headers=secretary)) == {mine["id"], resident_id}
    # A department sees its subdistrict's tickets (both stations are in different subdistricts here).
    assert ids(await http.get("/api/v1/tickets", headers=other.department_headers())) == {theirs["id"]}
    # A resident sees their own only.
    resident = bearer("resident", "resident-5")
    assert ids(await http.get("/api/v1/tickets", headers=resident)) == {resident_id}
    assert (await http.get(f"/api/v1/tickets/{mine['id']}", headers=resident)).status_code == 404
    # District admins see all.
    assert ids(await http.get("/api/v1/tickets", headers=bearer("district_admin"))) == {
        mine["id"],
        theirs["id"],
        resident_id,
    }
    # Roles with no scope get 403 for lists and 404 for a ticket.
    subdistrict_admin = bearer("subdistrict_admin", subdistrict_id=station.subdistrict_id)
    assert (await http.get("/api/v1/tickets", headers=subdistrict_admin)).status_code == 403
    assert (await http.get(f"/api/v1/tickets/{mine['id']}", headers=subdistrict_admin)).status_code == 404
    # A station filter cannot widen a scope.
    filtered = await http.get("/api/v1/tickets", headers=staff, params={"station_id": other.id})
    assert ids(filtered) == set()


async def test_a_department_sees_a_ticket_assigned_to_it_outside_its_subdistrict(http, station, ticket_app):
    other = await open_station(ticket_app, name="滨江居委会")
    ticket = await raise_ticket(http, station)
    # The other station's department is not in this subdistrict, so it cannot be named here...
    refused = await http.post(
        f"/api/v1/tickets/{ticket['id']}/backstop",
        headers=station.headers("secretary"),
        json={"department_id": other.department},
    )
    assert refused.status_code == 422
    # ...but this station's department, once named, sees it even from a token without the subdistrict.
    await http.post(
        f"/api/v1/tickets/{ticket['id']}/backstop",
        headers=station.headers("secretary"),
        json={"department_id": station.department},
    )
    department = bearer("department", str(uuid.uuid4()), department_id=station.department)
    listed = await http.get("/api/v1/tickets", headers=department)
    assert [item["id"] for item in listed.json()["items"]] == [ticket["id"]]


async def test_filters_combine(http, station, clock):
    admin = bearer("district_admin")
    legal = await raise_ticket(http, station, service_category="legal")
    clock.set(local(2026, 9, 15, 9, 0))
    health = await raise_ticket(http, station, service_category="health")
    await http.post(
        f"/api/v1/tickets/{health['id']}/transitions",
        headers=station.headers("receptionist"),
        json={"action": "accept"},
    )
    await http.post(
        f"/api/v1/tickets/{legal['id']}/designate",
        headers=station.headers("secretary"),
        json={"designee_id": station.social_workers[2]},
    )

    async def ids(**params):
        response = await http.get("/api/v1/tickets", headers=admin, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    # Newest first (issue 13: the newest ticket was on the last page).
    assert await ids(station_id=station.id) == [health["id"], legal["id"]]
    assert await ids(status="accepted") == [health["id"]]
    assert await ids(status="new,accepted") == [health["id"], legal["id"]]
    assert await ids(owner_id=station.social_workers[2]) == [legal["id"]]
    assert await ids(level="designated") == [legal["id"]]
    assert await ids(category="health") == [health["id"]]
    assert await ids(created_from=local(2026, 9, 15, 0, 0).isoformat()) == [health["id"]]
    assert await ids(created_to=local(2026, 9, 15, 0, 0).isoformat()) == [legal["id"]]
    # At Tuesday 10:00 the legal ticket (new since Monday 09:00) is past its acceptance time.
    clock.set(local(2026, 9, 15, 10, 0))
    assert await ids(overdue="true") == [legal["id"]]
    assert await ids(overdue="false") == [health["id"]]
    bad = await http.get("/api/v1/tickets", headers=admin, params={"status": "lost"})
    assert bad.status_code == 422 and bad.json()["field"] == "status"


async def test_keyset_pages_walk_every_ticket_once(http, station):
    created = [(await raise_ticket(http, station))["id"] for _ in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await http.get("/api/v1/tickets", headers=station.headers("receptionist"), params=params)).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created[::-1]  # newest first
    bad = await http.get("/api/v1/tickets", headers=station.headers("receptionist"), params={"cursor": "!!"})
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"


async def test_csv_export_has_the_filtered_rows(http, station):
    legal = await raise_ticket(http, station, service_category="legal")
    await raise_ticket(http, station, service_category="health")
    response = await http.get(
        "/api/v1/tickets/export.csv", headers=station.headers("receptionist"), params={"category": "legal"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [row["id"] for row in rows] == [legal["id"]]
    assert rows[0]["service_category"] == "legal"
    assert rows[0]["owner_id"] == station.receptionist
    forbidden = await http.get("/api/v1/tickets/export.csv", headers=bearer("subdistrict_admin"))
    assert forbidden.status_code == 403
