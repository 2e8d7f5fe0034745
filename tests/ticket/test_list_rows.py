"""Ticket lists read plain rows of the list's columns (no ORM entities) and merge a scope's alternatives
page by page: the items are exactly what `privacy.masked_read` shows of each ticket, a ticket two branches
of a scope find is listed once, and on PostgreSQL each list is an index walk that stops after the page."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy import event

from tests.conftest import bearer
from tests.ticket.conftest import MONDAY_0900, bulk_rows, raise_ticket
from ticket_service.privacy import service as privacy
from ticket_service.tickets import repository
from ticket_service.tickets.models import Ticket
from ticket_service.tickets.schemas import TicketRead

ADDRESS = "浦东新区陆家嘴街道市新居委会东昌路123弄4号502室"


async def _pages(http, headers, limit: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await http.get("/api/v1/tickets", headers=headers, params=query)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


def test_the_list_reads_every_column_a_list_item_shows():
    shown = set(TicketRead.model_fields) - {"contact_masked"}
    renamed = {"duplicate_of": "duplicate_of_id", "duplicates": "duplicate_ids"}
    assert {column.name for column in repository.LIST_COLUMNS} == {renamed.get(name, name) for name in shown}


async def test_list_items_are_exactly_the_masked_reads_of_the_tickets(http, station, ticket_app):
    bodies: list[dict[str, Any]] = [
        {},  # the conftest's resident name and phone
        {"resident_name": None, "resident_phone": None, "resident_id": "resident-1", "description": "路灯坏了"},
        {"description": "联系人: 王 阿姨 / wang@example.org\n请回电 13800002222", "resident_name": "王阿姨"},
        {"location": {"address": ADDRESS, "latitude": 31.234567, "longitude": 121.512345}},
        {"resident_name": None, "resident_phone": None, "description": "楼道灯不亮", "priority": "urgent"},
    ]
    for body in bodies:
        await raise_ticket(http, station, **body)
    listed = await _pages(http, station.headers("receptionist"), limit=2)
    assert len(listed) == len(bodies)
    async with ticket_app.state.runtime.database.sessionmaker() as session:
        for item in listed:
            ticket = await session.get(Ticket, uuid.UUID(item["id"]))
            assert ticket is not None
            assert item == privacy.masked_read(ticket).model_dump(mode="json")
    assert {item["contact_masked"] for item in listed} == {True, False}


async def test_a_scope_of_several_branches_lists_each_ticket_once_in_order(http, station, ticket_app, clock):
    """A department's scope: its subdistrict's tickets, those assigned to it, those its person owns."""
    from tests.ticket.conftest import open_station

    elsewhere = await open_station(ticket_app, name="滨江居委会")  # another subdistrict
    ids = []
    for minute in range(5):
        clock.set(MONDAY_0900 + timedelta(minutes=minute))
        ids.append((await raise_ticket(http, station))["id"])
    clock.set(MONDAY_0900 + timedelta(minutes=10))
    outside = (await raise_ticket(http, elsewhere))["id"]
    # The department is named on one ticket of its own subdistrict (two branches find it); the ticket in
    # the other subdistrict is its person's (a worker there, named by that community's secretary).
    person = elsewhere.social_workers[1]
    for ticket_id, at, body in (
        (ids[2], station, {"department_id": station.department}),
        (outside, elsewhere, {"person_id": person}),
    ):
        named = await http.post(f"/api/v1/tickets/{ticket_id}/backstop", headers=at.headers("secretary"), json=body)
        assert named.status_code == 200, named.text
    department = bearer("department", person, department_id=station.department, subdistrict_id=station.subdistrict_id)
    expected = [outside, *reversed(ids)]
    for limit in (1, 2, 50):
        assert [item["id"] for item in await _pages(http, department, limit)] == expected
    ascending = await _pages(http, department, 2, sort="created")
    assert [item["id"] for item in ascending] == expected[::-1]


# --- PostgreSQL: the plans --------------------------------------------------------------------------------


async def _plans(app, http, headers, params) -> list[str]:
    """EXPLAIN of every statement the list request ran."""
    engine = app.state.runtime.database.engine
    ran: list[tuple[str, Any]] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM ticket" in statement:
            ran.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", listen)
    try:
        response = await http.get("/api/v1/tickets", headers=headers, params=params)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listen)
    assert response.status_code == 200, response.text
    plans = []
    async with engine.connect() as connection:
        for statement, parameters in ran:
            rows = await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
            plans.append("\n".join(row[0] for row in rows))
    return plans


async def test_the_station_and_subdistrict_overdue_lists_walk_their_indexes(pg_app):
    app = pg_app
    busy, quiet, subdistrict = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with app.state.runtime.database.transaction() as session:
        await bulk_rows(session)
        for station_id in (busy, quiet):
            await session.execute(
                sa.text(
                    "INSERT INTO station_copy (id, subdistrict_id, community_name, name, updated_at) "
                    "VALUES (:id, :sub, 'c', 'n', now())"
                ),
                {"id": station_id, "sub": subdistrict if station_id == busy else uuid.uuid4()},
            )
        # 60,000 tickets, one in 20 at the busy station (its subdistrict's), most closed; the open ones
        # of the last week overdue.
        await session.execute(
            sa.text(
                """
                INSERT INTO ticket (id, station_id, subdistrict_id, channel, service_category, description,
                    status, responsibility_level, created_at, updated_at, owner_kind, media_urls, handled_by,
                    acceptance_breached, resolution_breached, change_count, due_at)
                SELECT gen_random_uuid(),
                    CASE WHEN n % 20 = 0 THEN CAST(:busy AS uuid) ELSE CAST(:quiet AS uuid) END,
                    CASE WHEN n % 20 = 0 THEN CAST(:sub AS uuid) ELSE gen_random_uuid() END,
                    'web', 'legal', 'x', CASE WHEN n % 50 = 0 THEN 'accepted' ELSE 'closed' END, 'first_inquiry',
                    now(), now(), 'person', '[]', '[]', false, false, 0,
                    CASE WHEN n % 50 = 0 THEN now() - interval '1 day' END
                FROM generate_series(1, 60000) AS n
                """
            ),
            {"busy": busy, "quiet": quiet, "sub": subdistrict},
        )
    async with app.state.runtime.database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("VACUUM ANALYZE ticket")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ticket") as http:
        staff = bearer("social_worker", station_id=str(busy), subdistrict_id=str(subdistrict))
        department = bearer("department", department_id=str(uuid.uuid4()), subdistrict_id=str(subdistrict))
        (station_list,) = await _plans(app, http, staff, {"station_id": str(busy)})
        (overdue_list,) = await _plans(app, http, department, {"overdue": "true"})
    # The page's keys: an index walk newest first that stops at the page (no sort of the station's rows).
    assert "Index Only Scan Backward using ix_ticket_station_id_id" in station_list, station_list
    assert "Sort" not in station_list and "Bitmap" not in station_list, station_list
    # The subdistrict's branch walks the open tickets' index; no bitmap over them, no sort of them all.
    assert "Index Only Scan Backward using ix_ticket_open_subdistrict_id_id" in overdue_list, overdue_list
    assert "Bitmap Heap Scan" not in overdue_list, overdue_list
