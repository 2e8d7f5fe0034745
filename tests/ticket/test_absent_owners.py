"""No ticket with an absent owner (issue 15, point 3): the events that cause it, the sweep, bulk reassign."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.conftest import DEMO_STATION_ID, bearer, eventually
from tests.ticket.conftest import events, local, open_station, publish, raise_ticket
from ticket_service.reassignment.rules import AbsenceReason, LeaveSpan, absent_at, replacement
from ticket_service.settings import TicketSettings
from ticket_service.tickets.assignment import OwnerKind, SocialWorker
from ticket_service.tickets.lifecycle import ResponsibilityLevel

ADMIN = bearer("district_admin", "district-admin-1")


async def _ticket(http, station, ticket_id: str) -> dict[str, Any]:
    response = await http.get(f"/api/v1/tickets/{ticket_id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def _owner_moves(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return [change for change in ticket["history"] if change["kind"] == "owner"]


async def _staff_event(app, station, person_id: str, event_type: str, role: str, categories: list[str], **extra):
    await publish(
        app,
        event_type,
        {
            "id": person_id,
            "name": f"{role}-{person_id[:4]}",
            "role": role,
            "station_id": station.id,
            "community_id": station.community_id,
            "subdistrict_id": station.subdistrict_id,
            "department_id": None,
            "service_categories": categories,
            **extra,
        },
    )


# --- the events that cause it ------------------------------------------------------------------------


async def test_a_removed_owners_open_tickets_move_at_once_under_the_rules_with_the_reason(http, station, ticket_app):
    # The first social worker raises two daily-life matters (the receiver owns them) and cancels a third.
    leaving = station.social_workers[0]
    first = await raise_ticket(http, station, role="social_worker", service_category="daily_life")
    second = await raise_ticket(http, station, role="social_worker", service_category="daily_life")
    assert first["owner_id"] == second["owner_id"] == leaving
    closed = await raise_ticket(http, station, role="social_worker", service_category="daily_life")
    response = await http.post(
        f"/api/v1/tickets/{closed['id']}/transitions",
        headers=station.headers("social_worker"),
        json={"action": "cancel", "note": "居民撤回"},
    )
    assert response.status_code == 200, response.text

    await _staff_event(ticket_app, station, leaving, "staff.removed", "social_worker", ["daily_life"], active=False)

    for ticket_id in (first["id"], second["id"]):
        ticket = await _ticket(http, station, ticket_id)
        # Designated by skill and load: the other daily-life social worker, not the one who left.
        assert ticket["owner_id"] == station.social_workers[1]
        assert ticket["responsibility_level"] == "designated"
        move = _owner_moves(ticket)[-1]
        assert (move["from_value"], move["to_value"], move["reason"]) == (
            leaving,
            station.social_workers[1],
            "owner_left",
        )
    assert (await _ticket(http, station, closed["id"]))["owner_id"] == leaving  # history stays as it was
    assigned = [event.data for event in await events(ticket_app, "ticket.assigned")]
    moved = [data for data in assigned if data["basis"] == "owner_left"]
    assert sorted(data["ticket_id"] for data in moved) == sorted([first["id"], second["id"]])
    assert all(data["previous_owner_id"] == leaving for data in moved)


async def test_a_deactivated_owner_without_a_skilled_colleague_hands_over_to_the_secretary(http, station, ticket_app):
    ticket = await raise_ticket(http, station, role="social_worker")  # government_affairs: only this one's skill
    await _staff_event(
        ticket_app,
        station,
        station.social_workers[0],
        "staff.updated",
        "social_worker",
        ["government_affairs"],
        active=False,
    )
    after = await _ticket(http, station, ticket["id"])
    assert after["owner_id"] == station.secretary
    assert after["responsibility_level"] == "backstop"
    assert _owner_moves(after)[-1]["reason"] == "owner_inactive"


async def test_a_backstop_ticket_goes_back_to_the_secretary_not_down_to_designation(http, station, ticket_app):
    ticket = await raise_ticket(http, station, role="social_worker", service_category="daily_life")
    named = await http.post(
        f"/api/v1/tickets/{ticket['id']}/backstop",
        headers=station.headers("secretary"),
        json={"person_id": station.social_workers[1]},
    )
    assert named.status_code == 200, named.text
    await _staff_event(ticket_app, station, station.social_workers[1], "staff.removed", "social_worker", ["daily_life"])
    after = await _ticket(http, station, ticket["id"])
    assert (after["owner_id"], after["responsibility_level"]) == (station.secretary, "backstop")


async def test_an_older_event_arriving_late_moves_nothing(http, station, ticket_app):
    ticket = await raise_ticket(http, station, role="social_worker")
    await publish(
        ticket_app,
        "staff.removed",
        {"id": station.social_workers[0], "active": False},
        time=datetime(2020, 1, 1, tzinfo=UTC),  # older than the copy: the copy stays active
    )
    assert (await _ticket(http, station, ticket["id"]))["owner_id"] == station.social_workers[0]


async def test_leave_that_covers_now_moves_the_tickets_when_it_is_entered(http, station, ticket_app, clock):
    ticket = await raise_ticket(http, station, role="social_worker", service_category="daily_life")
    response = await http.post(
        f"/api/v1/duty-rota/{station.id}/leave",
        headers=station.headers("secretary"),
        json={
            "person_id": station.social_workers[0],
            "start_at": local(2026, 9, 14, 8, 0).isoformat(),
            "end_at": local(2026, 9, 18, 20, 0).isoformat(),
            "reason": "病假",
        },
    )
    assert response.status_code == 201, response.text
    after = await _ticket(http, station, ticket["id"])
    assert after["owner_id"] == station.social_workers[1]
    assert _owner_moves(after)[-1]["reason"] == "owner_on_leave"
    assert _owner_moves(after)[-1]["actor_id"] is None  # the system moved it


async def test_a_leave_starting_next_week_moves_the_tickets_on_the_sweep_at_that_time(http, station, ticket_app, clock):
    ticket = await raise_ticket(http, station, role="social_worker", service_category="daily_life")
    response = await http.post(
        f"/api/v1/duty-rota/{station.id}/leave",
        headers=station.headers("secretary"),
        json={
            "person_id": station.social_workers[0],
            "start_at": local(2026, 9, 21, 0, 0).isoformat(),  # next Monday
            "end_at": local(2026, 9, 26, 0, 0).isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    sweep = ticket_app.state.absent_owner_sweep
    clock.set(local(2026, 9, 20, 23, 55))
    assert await sweep.run_once() == 0  # not yet on leave: the owner keeps it
    assert (await _ticket(http, station, ticket["id"]))["owner_id"] == station.social_workers[0]
    clock.set(local(2026, 9, 21, 0, 5))  # the sweep's next pass after the leave began
    assert await sweep.run_once() == 1
    after = await _ticket(http, station, ticket["id"])
    assert after["owner_id"] == station.social_workers[1]
    move = _owner_moves(after)[-1]
    assert move["reason"] == "owner_on_leave"
    assert datetime.fromisoformat(move["at"]) == local(2026, 9, 21, 0, 5)
    assert await sweep.run_once() == 0  # nothing left: a second pass moves nothing


async def test_no_open_ticket_owned_by_an_inactive_person_15_minutes_after_the_event(http, ticket_app, clock):
    # A station whose only worker is deactivated while nobody could take over (no secretary yet).
    station = await open_station(ticket_app, staff=False, name="界村")
    worker = station.social_workers[0]
    await _staff_event(ticket_app, station, worker, "staff.created", "social_worker", ["daily_life"], active=True)
    tickets = [await raise_ticket(http, station, role="social_worker", service_category="daily_life") for _ in range(3)]
    assert {ticket["owner_id"] for ticket in tickets} == {worker}
    await _staff_event(ticket_app, station, worker, "staff.updated", "social_worker", ["daily_life"], active=False)
    # Nobody could take them at the event; a secretary joins a few minutes later.
    await _staff_event(ticket_app, station, station.secretary, "staff.created", "secretary", [], active=True)
    settings: TicketSettings = ticket_app.state.runtime.settings
    # The sweep runs in the lifespan at least every 15 minutes (the setting refuses longer).
    assert settings.absent_owner_sweep_seconds <= 15 * 60
    with pytest.raises(ValidationError):
        TicketSettings(absent_owner_sweep_seconds=16 * 60)
    clock.set(MONDAY_PLUS(minutes=15))
    await ticket_app.state.absent_owner_sweep.run_once()
    mine = await http.get(
        "/api/v1/tickets",
        params={"owner_id": worker, "status": "new,accepted,in_progress,waiting_for_resident,reopened"},
        headers=ADMIN,
    )
    assert mine.status_code == 200 and mine.json()["items"] == []
    for ticket in tickets:
        after = await _ticket(http, station, ticket["id"])
        assert after["owner_id"] == station.secretary
        assert _owner_moves(after)[-1]["reason"] == "owner_inactive"


def MONDAY_PLUS(**delta: float) -> datetime:
    return local(2026, 9, 14, 9, 0) + timedelta(**delta)


async def test_the_sweep_runs_by_itself_in_the_apps_lifespan(tmp_path):
    from shared.service import run_migrations_sync
    from shared.settings import Mode
    from tests.conftest import running
    from tests.ticket.conftest import Clock
    from ticket_service.app import create_app, definition

    settings = TicketSettings(
        mode=Mode.embedded,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'ticket.db'}",
        sla_checker_enabled=False,
        absent_owner_sweep_seconds=0.05,
    )
    run_migrations_sync(definition, settings)
    app = create_app(settings)
    async with running(app):
        app.state.clock = Clock(MONDAY_PLUS())
        station = await open_station(app)
        import httpx

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ticket") as http:
            ticket = await raise_ticket(http, station, role="social_worker", service_category="daily_life")
            leave = await http.post(
                f"/api/v1/duty-rota/{station.id}/leave",
                headers=station.headers("secretary"),
                json={
                    "person_id": station.social_workers[0],
                    "start_at": MONDAY_PLUS(hours=1).isoformat(),
                    "end_at": MONDAY_PLUS(days=2).isoformat(),
                },
            )
            assert leave.status_code == 201
            app.state.clock.set(MONDAY_PLUS(hours=1, minutes=1))

            async def moved() -> bool:
                return (await _ticket(http, station, ticket["id"]))["owner_id"] == station.social_workers[1]

            await eventually(moved)


# --- bulk reassign ----------------------------------------------------------------------------------------


async def test_a_secretary_hands_a_workers_open_tickets_to_a_colleague(http, station, ticket_app):
    tickets = [await raise_ticket(http, station, role="social_worker") for _ in range(2)]
    headers = {**station.headers("secretary"), "Idempotency-Key": "handover-1"}
    body = {"from_person_id": station.social_workers[0], "to_person_id": station.social_workers[2], "note": "调岗"}
    response = await http.post("/api/v1/tickets/reassign", headers=headers, json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["moved_count"] == 2 and answer["not_moved"] == []
    assert sorted(item["ticket_id"] for item in answer["items"]) == sorted(ticket["id"] for ticket in tickets)
    assert {(item["owner_id"], item["responsibility_level"]) for item in answer["items"]} == {
        (station.social_workers[2], "first_inquiry")  # a handover keeps the level
    }
    after = await _ticket(http, station, tickets[0]["id"])
    move = _owner_moves(after)[-1]
    assert (move["reason"], move["actor_id"], move["note"]) == ("bulk_reassign", station.secretary, "调岗")
    replay = await http.post("/api/v1/tickets/reassign", headers=headers, json=body)
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json() == answer
    # The same request again (another key) finds nothing left to move.
    again = await http.post("/api/v1/tickets/reassign", headers=station.headers("secretary"), json=body)
    assert again.json()["moved_count"] == 0


async def test_without_a_colleague_named_each_ticket_moves_under_the_rules(http, station, ticket_app):
    daily = await raise_ticket(http, station, role="social_worker", service_category="daily_life")
    affairs = await raise_ticket(http, station, role="social_worker", service_category="government_affairs")
    response = await http.post(
        "/api/v1/tickets/reassign", headers=ADMIN, json={"from_person_id": station.social_workers[0]}
    )
    assert response.status_code == 200, response.text
    owners = {item["ticket_id"]: (item["owner_id"], item["responsibility_level"]) for item in response.json()["items"]}
    assert owners == {
        daily["id"]: (station.social_workers[1], "designated"),
        affairs["id"]: (station.secretary, "backstop"),
    }


async def test_a_colleague_on_leave_refuses_the_whole_request(http, station, ticket_app):
    ticket = await raise_ticket(http, station, role="social_worker")
    leave = await http.post(
        f"/api/v1/duty-rota/{station.id}/leave",
        headers=station.headers("secretary"),
        json={
            "person_id": station.social_workers[2],
            "start_at": local(2026, 9, 14, 8, 0).isoformat(),
            "end_at": local(2026, 9, 15, 8, 0).isoformat(),
        },
    )
    assert leave.status_code == 201
    response = await http.post(
        "/api/v1/tickets/reassign",
        headers=station.headers("secretary"),
        json={"from_person_id": station.social_workers[0], "to_person_id": station.social_workers[2]},
    )
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["code"]) == ("to_person_id", "person_on_leave")
    assert (await _ticket(http, station, ticket["id"]))["owner_id"] == station.social_workers[0]


async def test_only_secretaries_and_administrators_in_scope_reassign(http, station, ticket_app):
    ticket = await raise_ticket(http, station, role="social_worker")
    body = {"from_person_id": station.social_workers[0], "to_person_id": station.social_workers[1]}
    worker = await http.post("/api/v1/tickets/reassign", headers=station.headers("social_worker"), json=body)
    assert (worker.status_code, worker.json()["code"]) == (403, "secretary_or_admin_required")
    other = await open_station(ticket_app, name="滨江居委会")
    across = await http.post("/api/v1/tickets/reassign", headers=other.headers("secretary"), json=body)
    assert (across.status_code, across.json()["code"]) == (403, "out_of_scope")
    same = await http.post(
        "/api/v1/tickets/reassign",
        headers=station.headers("secretary"),
        json={"from_person_id": station.social_workers[0], "to_person_id": station.social_workers[0]},
    )
    assert (same.status_code, same.json()["field"]) == (422, "to_person_id")
    assert (await _ticket(http, station, ticket["id"]))["owner_id"] == station.social_workers[0]


# --- the embedded system: removed through the catalogue's API -------------------------------------------


async def test_a_staff_member_removed_in_the_catalogue_no_longer_owns_a_ticket(client, embedded):
    staff = await client.get("/api/v1/staff", params={"station_id": DEMO_STATION_ID, "limit": 200}, headers=ADMIN)
    assert staff.status_code == 200, staff.text
    workers = [member for member in staff.json()["items"] if member["role"] == "social_worker" and member["active"]]
    leaving = workers[0]
    headers = bearer(
        "social_worker",
        leaving["id"],
        station_id=DEMO_STATION_ID,
        community_id=leaving["community_id"],
        subdistrict_id=leaving["subdistrict_id"],
    )
    body = {
        "station_id": DEMO_STATION_ID,
        "channel": "walk_in",
        "service_category": (leaving["service_categories"] or ["daily_life"])[0],
        "description": "楼道灯坏了",
        "resident_name": "李阿姨",
        "resident_phone": "13900000000",
    }
    raised = await client.post("/api/v1/tickets", headers=headers, json=body)
    assert raised.status_code == 201, raised.text
    ticket = raised.json()
    assert ticket["owner_id"] == leaving["id"]

    removed = await client.delete(f"/api/v1/staff/{leaving['id']}", headers=ADMIN)
    assert removed.status_code == 200, removed.text

    async def moved() -> bool:
        current = (await client.get(f"/api/v1/tickets/{ticket['id']}", headers=ADMIN)).json()
        return current["owner_id"] != leaving["id"]

    await eventually(moved)
    current = (await client.get(f"/api/v1/tickets/{ticket['id']}", headers=ADMIN)).json()
    assert current["owner_id"] not in (None, leaving["id"])
    assert _owner_moves(current)[-1]["reason"] == "owner_left"


# --- the pure rules --------------------------------------------------------------------------------------

PEOPLE = st.sampled_from(["a", "b", "c", "d"])
BASE = datetime(2026, 9, 14, 1, 0, tzinfo=UTC)
MOMENTS = st.integers(min_value=0, max_value=500).map(lambda minutes: BASE + timedelta(minutes=minutes))
LEAVES = st.lists(
    st.builds(
        lambda person, start, length: LeaveSpan(person, start, start + timedelta(minutes=length)),
        PEOPLE,
        MOMENTS,
        st.integers(min_value=1, max_value=300),
    ),
    max_size=6,
)


@given(inactive=st.sets(PEOPLE), leaves=LEAVES, now=MOMENTS)
def test_absent_at_is_inactive_or_a_leave_covering_now(inactive, leaves, now):
    absent = absent_at(inactive=inactive, leaves=leaves, now=now)
    for person in ["a", "b", "c", "d"]:
        covered = any(leave.person_id == person and leave.start_at <= now < leave.end_at for leave in leaves)
        if person in inactive:
            assert absent[person] is AbsenceReason.OWNER_INACTIVE
        elif covered:
            assert absent[person] is AbsenceReason.OWNER_ON_LEAVE
        else:
            assert person not in absent  # a leave ending exactly now is over: back at work


WORKERS = st.lists(
    st.builds(
        lambda person, skills, load, on_leave: SocialWorker(
            person_id=person,
            station_ids=frozenset({"s"}),
            skills=frozenset(skills),
            open_ticket_count=load,
            on_leave=on_leave,
        ),
        PEOPLE,
        st.sets(st.sampled_from(["legal", "daily_life"])),
        st.integers(min_value=0, max_value=5),
        st.booleans(),
    ),
    max_size=4,
    unique_by=lambda worker: worker.person_id,
)


@given(
    workers=WORKERS,
    absent=st.sets(PEOPLE | st.just("secretary")),
    level=st.sampled_from(list(ResponsibilityLevel)),
    has_department=st.booleans(),
)
def test_the_replacement_is_never_absent_and_a_backstop_ticket_never_goes_down(workers, absent, level, has_department):
    from ticket_service.reassignment.rules import Department

    departments = [Department("dept", frozenset({"legal"}))] if has_department else []
    chosen = replacement(
        level=level,
        service_category="legal",
        station_id="s",
        social_workers=workers,
        absent=absent,
        secretary_id="secretary",
        departments=departments,
    )
    if chosen is None:
        assert "secretary" in absent and not has_department
        return
    assert chosen.owner_id not in absent
    by_id = {worker.person_id: worker for worker in workers}
    if chosen.owner.kind is OwnerKind.PERSON and chosen.owner_id in by_id:
        worker = by_id[chosen.owner_id]
        assert not worker.on_leave and "legal" in worker.skills
        assert level is not ResponsibilityLevel.BACKSTOP
        present = [w for w in workers if w.person_id not in absent and not w.on_leave and "legal" in w.skills]
        assert worker.open_ticket_count == min(w.open_ticket_count for w in present)  # the lightest load
    else:
        assert chosen.level is ResponsibilityLevel.BACKSTOP


def test_unknown_people_are_never_absent():
    assert absent_at(inactive=[], leaves=[], now=BASE) == {}
    assert uuid.uuid4().hex not in absent_at(inactive=["x"], leaves=[], now=BASE)
