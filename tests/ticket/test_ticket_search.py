"""Finding work: `q` over descriptions (Chinese from one character, the user's % and _ taken literally) on
SQLite and PostgreSQL, filters by priority and due time, and open/overdue/breached counts per station or
subdistrict, within what the caller may see."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import bearer
from tests.ticket.conftest import bulk_rows, local, open_station, raise_ticket
from ticket_service.tickets.models import Ticket
from ticket_service.tickets.repository import text_search

ADMIN = bearer("district_admin")
DESCRIPTIONS = {
    "stairs": "3号楼楼道灯坏了，晚上很黑",
    "street": "小区门口路灯不亮",
    "leak": "楼上漏水，天花板发霉",
    "percent": "满意度100%_问卷",
    "wifi": "社区WiFi连不上",
}


async def _raise_all(http, station) -> dict[str, str]:
    return {key: (await raise_ticket(http, station, description=text))["id"] for key, text in DESCRIPTIONS.items()}


async def _found(http, headers, q: str, path: str = "/api/v1/tickets") -> set[str]:
    response = await http.get(path, headers=headers, params={"q": q, "limit": 100})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def _expect_search(http, station) -> None:
    ids = await _raise_all(http, station)
    desk = station.headers("receptionist")
    assert await _found(http, desk, "楼道") == {ids["stairs"]}
    assert await _found(http, desk, "路灯") == {ids["street"]}
    assert await _found(http, desk, "漏水") == {ids["leak"]}
    assert await _found(http, desk, "漏") == {ids["leak"]}
    assert await _found(http, desk, "灯") == {ids["stairs"], ids["street"]}
    assert await _found(http, desk, "楼道灯坏") == {ids["stairs"]}
    assert await _found(http, desk, " 天花板 ") == {ids["leak"]}
    assert await _found(http, desk, "wifi") == {ids["wifi"]}  # case does not matter
    assert await _found(http, desk, "%") == {ids["percent"]}  # the user's % is a character, not a wildcard
    assert await _found(http, desk, "0%_") == {ids["percent"]}
    assert await _found(http, desk, "_") == {ids["percent"]}
    assert await _found(http, desk, "楼_") == set()
    assert await _found(http, desk, "电梯") == set()


async def test_search_finds_chinese_words_of_one_two_or_more_characters_on_sqlite(http, station):
    await _expect_search(http, station)


async def test_search_refuses_contact_like_or_blank_text(http, station):
    desk = station.headers("receptionist")
    for q, code in (
        ("13800000000", "search_personal_data"),
        ("a@b.cn", "search_personal_data"),
        ("  ", "search_blank"),
    ):
        response = await http.get("/api/v1/tickets", headers=desk, params={"q": q})
        assert response.status_code == 422, q
        assert (response.json()["code"], response.json()["field"]) == (code, "q")


async def test_search_applies_to_counts_and_the_export_and_stays_in_scope(http, station, ticket_app):
    ids = await _raise_all(http, station)
    elsewhere = await open_station(ticket_app, name="滨江居委会")
    await raise_ticket(http, elsewhere, description="滨江的楼道堆物")
    desk = station.headers("receptionist")
    assert await _found(http, desk, "楼道") == {ids["stairs"]}  # not the other station's
    assert len(await _found(http, ADMIN, "楼道")) == 2
    counts = await http.get("/api/v1/tickets/counts", headers=desk, params={"q": "灯"})
    assert counts.json()["total"] == 2
    export = await http.get("/api/v1/tickets/export.csv", headers=desk, params={"q": "漏水"})
    assert export.status_code == 200
    assert len(export.text.strip().splitlines()) == 2  # the header and the one ticket
    assert ids["leak"] in export.text


async def test_filters_by_priority_and_due_time_and_sorts_by_the_effective_deadline(http, station):
    urgent = await raise_ticket(http, station, priority="urgent")
    high = await raise_ticket(http, station, priority="high")
    normal = await raise_ticket(http, station)
    hotline = await raise_ticket(http, station, external_due_at=local(2026, 9, 14, 9, 20).isoformat())
    desk = station.headers("receptionist")

    async def listed(**params: Any) -> list[str]:
        response = await http.get("/api/v1/tickets", headers=desk, params={"limit": 100, **params})
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert set(await listed(priority="urgent,high")) == {urgent["id"], high["id"]}
    assert set(await listed(priority="normal")) == {normal["id"], hotline["id"]}
    bad = await http.get("/api/v1/tickets", headers=desk, params={"priority": "urgent,soon"})
    assert bad.status_code == 422 and bad.json()["field"] == "priority"
    # Due: urgent 09:15, the hotline's own 09:20, the others' acceptance 09:30.
    assert await listed(sort="due") == [urgent["id"], hotline["id"], *(await listed(sort="due"))[2:]]
    assert set(await listed(due_before=local(2026, 9, 14, 9, 25).isoformat())) == {urgent["id"], hotline["id"]}
    assert set(await listed(due_after=local(2026, 9, 14, 9, 20).isoformat())) == {
        hotline["id"],
        high["id"],
        normal["id"],
    }
    empty = await http.get(
        "/api/v1/tickets",
        headers=desk,
        params={"due_after": local(2026, 9, 14, 10).isoformat(), "due_before": local(2026, 9, 14, 9).isoformat()},
    )
    assert empty.status_code == 422


async def test_counts_per_station_and_subdistrict_in_one_call_within_the_callers_scope(http, station, ticket_app):
    other = await open_station(ticket_app, name="滨江居委会")
    late = await raise_ticket(http, station)
    await raise_ticket(http, station)
    closed = await raise_ticket(http, station)
    await http.post(
        f"/api/v1/tickets/{closed['id']}/close", headers=station.headers("receptionist"), json={"result_text": "已办"}
    )
    await raise_ticket(http, other)
    assert await ticket_app.state.sla_checker.run_once(local(2026, 9, 14, 9, 31)) == 3  # every open one breached
    await http.post(
        f"/api/v1/tickets/{late['id']}/transitions",
        headers=bearer("district_admin"),
        json={"action": "cancel"},
    )
    ticket_app.state.clock.set(local(2026, 9, 14, 9, 40))

    response = await http.get("/api/v1/tickets/counts", headers=ADMIN, params={"group_by": "station"})
    assert response.status_code == 200, response.text
    groups = {group["group_id"]: group for group in response.json()["groups"]}
    assert response.json()["group_by"] == "station"
    mine = groups[station.id]
    assert (mine["open"], mine["overdue"], mine["breached"], mine["total"]) == (1, 1, 2, 3)
    theirs = groups[other.id]
    assert (theirs["open"], theirs["overdue"], theirs["breached"], theirs["total"]) == (1, 1, 1, 1)

    secretary = await http.get(
        "/api/v1/tickets/counts", headers=station.headers("secretary"), params={"group_by": "station"}
    )
    assert [group["group_id"] for group in secretary.json()["groups"]] == [station.id]  # only what they may see

    by_subdistrict = await http.get("/api/v1/tickets/counts", headers=ADMIN, params={"group_by": "subdistrict"})
    subdistricts = {group["group_id"]: group["open"] for group in by_subdistrict.json()["groups"]}
    assert subdistricts == {station.subdistrict_id: 1, other.subdistrict_id: 1}
    plain = await http.get("/api/v1/tickets/counts", headers=ADMIN)
    assert plain.json()["groups"] is None
    assert (await http.get("/api/v1/tickets/counts", headers=ADMIN, params={"group_by": "road"})).status_code == 422


# --- PostgreSQL: pg_trgm and the character-pair index ------------------------------------------------------


@pytest.fixture
async def pg_http(pg_app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=pg_app), base_url="http://ticket") as client:
        yield client


async def test_search_finds_chinese_words_on_postgresql(pg_app, pg_http):
    await _expect_search(pg_http, await open_station(pg_app))


async def test_short_and_long_chinese_searches_use_their_indexes_on_postgresql(pg_app):
    station = await open_station(pg_app)
    database = pg_app.state.runtime.database
    async with database.transaction() as session:
        await bulk_rows(session)
        await session.execute(
            sa.text(
                """
                INSERT INTO ticket (id, station_id, channel, service_category, description, status,
                    responsibility_level, created_at, updated_at, owner_kind, media_urls, handled_by,
                    acceptance_breached, resolution_breached, change_count, sla_warnings)
                SELECT gen_random_uuid(), CAST(:station AS uuid), 'web', 'daily_life',
                    CASE WHEN n % 500 = 0 THEN '楼道灯坏了' || n ELSE '办理居住证明，需补交租赁合同' || n END,
                    'new', 'first_inquiry', now(), now(), 'person', '[]', '[]', false, false, 0, '[]'
                FROM generate_series(1, 40000) AS n
                """
            ),
            {"station": station.id},
        )
    async with database.engine.connect() as connection:
        # As autovacuum would: moves the GIN indexes' pending entries into the trees the planner costs.
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("VACUUM ANALYZE ticket")
        for q, index in (("楼道", "ix_ticket_description_grams"), ("楼道灯", "ix_ticket_description_trgm")):
            query = sa.select(Ticket.id).where(text_search(q))
            sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
            plan = "\n".join(row[0] for row in await connection.exec_driver_sql("EXPLAIN " + sql))
            assert index in plan, plan
            found = (await connection.exec_driver_sql(f"SELECT count(*) FROM ({sql}) AS found")).scalar()
            assert found == 80
