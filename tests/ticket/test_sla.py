"""SLAs in the station's working minutes, paused while waiting for the resident, checked periodically."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx

from shared.service import run_migrations_sync
from shared.settings import Mode
from tests.conftest import eventually, running
from tests.ticket.conftest import MONDAY_0900, Clock, events, local, open_station, publish, raise_ticket
from ticket_service.app import create_app, definition
from ticket_service.settings import TicketSettings

CLOSED_CONTRACT = {
    "ticket_id", "station_id", "subdistrict_id", "community_id", "community_name", "service_category",
    "responsibility_level", "owner_id", "completed_by", "resident_id", "handled_by", "created_at", "accepted_at",
    "closed_at", "accepted_on_time", "resolved_on_time", "acceptance_working_minutes", "resolution_working_minutes",
}  # fmt: skip


async def _get(http, station, ticket_id):
    return (await http.get(f"/api/v1/tickets/{ticket_id}", headers=station.headers("secretary"))).json()


async def _act(http, station, ticket_id, action):
    body = {"action": action} | ({"result_text": "已办结"} if action == "resolve" else {})
    response = await http.post(
        f"/api/v1/tickets/{ticket_id}/transitions", headers=station.headers("receptionist"), json=body
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_unaccepted_ticket_escalates_once_when_its_acceptance_minutes_run_out(http, station, ticket_app):
    checker = ticket_app.state.sla_checker
    ticket = await raise_ticket(http, station)
    assert datetime.fromisoformat(ticket["acceptance_due_at"]) == local(2026, 9, 14, 9, 30)
    assert await checker.run_once(local(2026, 9, 14, 9, 30)) == 0  # at the due time it is not yet breached
    assert await checker.run_once(local(2026, 9, 14, 9, 31)) == 1
    after = await _get(http, station, ticket["id"])
    assert after["responsibility_level"] == "designated"
    assert after["owner_id"] == station.social_workers[0]  # the government_affairs social worker
    assert after["acceptance_working_minutes"] == 31
    assert after["sla_breached_at"] is not None
    level = [change for change in after["history"] if change["kind"] == "level"][-1]
    assert (level["from_value"], level["to_value"], level["actor_id"], level["reason"]) == (
        "first_inquiry",
        "designated",
        None,
        "sla_breach_acceptance",
    )
    breached = await events(ticket_app, "ticket.sla_breached")
    assert len(breached) == 1
    assert breached[0].data["clock"] == "acceptance"
    assert breached[0].data["elapsed_working_minutes"] == 31
    assert breached[0].data["responsibility_level"] == "designated"
    assert (await events(ticket_app, "ticket.escalated"))[-1].data["reason"] == "sla_breach_acceptance"
    # Checking again does not escalate the same breach twice.
    assert await checker.run_once(local(2026, 9, 14, 11, 0)) == 0
    assert len(await events(ticket_app, "ticket.sla_breached")) == 1


async def test_closed_hours_and_holidays_do_not_count(http, station, ticket_app, clock):
    checker = ticket_app.state.sla_checker
    clock.set(local(2026, 9, 30, 17, 50))  # Wednesday; Thursday 1 October is a holiday
    ticket = await raise_ticket(http, station)
    assert datetime.fromisoformat(ticket["acceptance_due_at"]) == local(2026, 10, 2, 9, 20)
    assert await checker.run_once(local(2026, 10, 1, 23, 0)) == 0
    assert await checker.run_once(local(2026, 10, 2, 9, 21)) == 1


async def test_the_resolution_clock_pauses_while_waiting_for_the_resident(http, station, ticket_app, clock):
    checker = ticket_app.state.sla_checker
    ticket = await raise_ticket(http, station)
    await _act(http, station, ticket["id"], "accept")
    await _act(http, station, ticket["id"], "start")
    clock.set(local(2026, 9, 14, 10, 0))
    waiting = await _act(http, station, ticket["id"], "wait_for_resident")
    assert waiting["resolution_due_at"] is None  # no due time while the clock is paused
    assert waiting["resolution_working_minutes"] == 60
    assert await checker.run_once(local(2026, 9, 30, 10, 0)) == 0  # weeks of waiting breach nothing
    clock.set(local(2026, 9, 18, 10, 0))  # the resident comes back on Friday
    resumed = await _act(http, station, ticket["id"], "resume")
    # 1380 minutes left: Fri 420, Sat 180, Mon 480, then Tue 09:00-12:00 and 13:00-15:00.
    assert datetime.fromisoformat(resumed["resolution_due_at"]) == local(2026, 9, 22, 15, 0)
    assert await checker.run_once(local(2026, 9, 22, 15, 0)) == 0
    assert await checker.run_once(local(2026, 9, 22, 15, 1)) == 1
    after = await _get(http, station, ticket["id"])
    assert after["resolution_working_minutes"] == 1441
    breach = (await events(ticket_app, "ticket.sla_breached"))[-1].data
    assert breach["clock"] == "resolution"


async def test_a_breach_at_backstop_stays_with_the_secretary_and_says_so(http, station, ticket_app):
    checker = ticket_app.state.sla_checker
    ticket = await raise_ticket(http, station)
    await http.post(f"/api/v1/tickets/{ticket['id']}/backstop", headers=station.headers("secretary"), json={})
    assert await checker.run_once(local(2026, 9, 14, 9, 45)) == 1
    after = await _get(http, station, ticket["id"])
    assert after["owner_id"] == station.secretary
    assert after["responsibility_level"] == "backstop"
    last = after["history"][-1]
    assert (last["kind"], last["from_value"], last["to_value"], last["reason"]) == (
        "level",
        "backstop",
        "backstop",
        "sla_breach_acceptance_at_top",
    )
    assert len(await events(ticket_app, "ticket.sla_breached")) == 1


async def test_without_a_skilled_social_worker_a_breach_goes_straight_to_the_secretary(http, station, ticket_app):
    ticket = await raise_ticket(http, station, service_category="health")  # nobody has the health skill
    assert await ticket_app.state.sla_checker.run_once(local(2026, 9, 14, 9, 31)) == 1
    after = await _get(http, station, ticket["id"])
    assert (after["responsibility_level"], after["owner_id"]) == ("backstop", station.secretary)


async def test_with_no_secretary_a_breach_stays_with_its_owner_and_holds_up_no_other_ticket(http, station, ticket_app):
    other = await open_station(ticket_app, name="梅园居委会")
    stranded = await raise_ticket(http, station, service_category="health")  # nobody has the health skill
    moved = await raise_ticket(http, other, service_category="health")
    # The station's community loses its secretary: nobody is left to take a ticket at backstop.
    await publish(
        ticket_app,
        "staff.updated",
        {
            "id": station.secretary,
            "name": "secretary-left",
            "role": "secretary",
            "station_id": station.id,
            "community_id": station.community_id,
            "subdistrict_id": station.subdistrict_id,
            "department_id": None,
            "service_categories": [],
            "active": False,
        },
    )
    await ticket_app.state.sla_checker.run_once(local(2026, 9, 14, 9, 31))
    kept = await _get(http, station, stranded["id"])
    assert (kept["responsibility_level"], kept["owner_id"]) == ("backstop", stranded["owner_id"])
    # The same pass escalated the other station's ticket: one ownerless ticket does not stall the batch.
    escalated = await _get(http, other, moved["id"])
    assert (escalated["responsibility_level"], escalated["owner_id"]) == ("backstop", other.secretary)


async def test_ticket_closed_carries_the_agreed_contract(http, station, ticket_app, clock):
    ticket = await raise_ticket(http, station)
    clock.set(local(2026, 9, 14, 9, 10))
    await _act(http, station, ticket["id"], "accept")
    clock.set(local(2026, 9, 14, 10, 0))
    await _act(http, station, ticket["id"], "resolve")
    clock.set(local(2026, 9, 14, 10, 5))
    await _act(http, station, ticket["id"], "close")
    data = (await events(ticket_app, "ticket.closed"))[-1].data
    assert CLOSED_CONTRACT <= set(data)
    assert data["ticket_id"] == ticket["id"]
    assert data["community_id"] == station.community_id
    assert data["completed_by"] == station.receptionist
    assert data["handled_by"] == [station.receptionist]
    assert data["accepted_on_time"] is True and data["resolved_on_time"] is True
    assert data["acceptance_working_minutes"] == 10
    assert data["resolution_working_minutes"] == 60
    assert datetime.fromisoformat(data["closed_at"]) == local(2026, 9, 14, 10, 5)
    assert datetime.fromisoformat(data["accepted_at"]) == local(2026, 9, 14, 9, 10)


async def test_late_acceptance_is_reported_as_not_on_time(http, station, ticket_app, clock):
    ticket = await raise_ticket(http, station)
    clock.set(local(2026, 9, 14, 13, 30))  # 180 + 30 working minutes later
    await _act(http, station, ticket["id"], "accept")
    await _act(http, station, ticket["id"], "resolve")
    await _act(http, station, ticket["id"], "close")
    data = (await events(ticket_app, "ticket.closed"))[-1].data
    assert data["accepted_on_time"] is False
    assert data["acceptance_working_minutes"] == 210


async def test_the_checker_runs_by_itself_in_the_apps_lifespan(tmp_path: Path):
    settings = TicketSettings(
        mode=Mode.embedded,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'ticket.db'}",
        sla_check_seconds=0.05,
    )
    run_migrations_sync(definition, settings)
    app = create_app(settings)
    async with running(app):
        clock = Clock(MONDAY_0900)
        app.state.clock = clock
        assert app.state.sla_checker.running
        station = await open_station(app)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ticket") as http:
            ticket = await raise_ticket(http, station)
            clock.set(local(2026, 9, 14, 10, 0))

            async def escalated() -> bool:
                return (await _get(http, station, ticket["id"]))["responsibility_level"] == "designated"

            await eventually(escalated)
    assert not app.state.sla_checker.running
