"""Warnings before an SLA breach: at 50% and 80% of each clock's budget, once each, none after a breach;
and `ticket.accepted` for the resident's SMS."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import bearer
from tests.ticket.conftest import events, local, raise_ticket
from ticket_service.tickets.sla_warnings import (
    WARNING_THRESHOLDS,
    decide_warning,
    next_threshold,
    settled_key,
    settled_thresholds,
)

WARNING_CONTRACT = {
    "ticket_id", "station_id", "subdistrict_id", "community_id", "community_name", "service_category",
    "service_item", "channel", "status", "owner_id", "owner_kind", "responsibility_level", "resident_id",
    "created_at", "clock", "threshold_percent", "budget_minutes", "elapsed_working_minutes", "due_at", "warned_at",
    "priority", "external_due_at", "due_at_source", "service_category_name",
}  # fmt: skip

# --- the pure rule ----------------------------------------------------------------------------------

budgets = st.floats(min_value=1, max_value=100_000, allow_nan=False, allow_infinity=False)
shares = st.lists(st.floats(min_value=0, max_value=1.5, allow_nan=False), min_size=1, max_size=12)


@given(budget=budgets, shares=shares)
def test_each_threshold_warns_at_most_once_in_rising_order_and_never_after_a_breach(budget, shares):
    settled: frozenset[int] = frozenset()
    sent: list[int] = []
    for share in sorted(shares):  # a clock only ever uses more minutes
        elapsed = budget * share
        decision = decide_warning(elapsed, budget, settled, running=True, breached=elapsed > budget)
        assert settled <= decision.settled  # nothing settled is ever unsettled
        if decision.threshold_percent is not None:
            assert elapsed <= budget  # a breached clock warns no more
            assert elapsed >= budget * decision.threshold_percent / 100 - 1e-6
            sent.append(decision.threshold_percent)
        settled = decision.settled
    assert len(sent) == len(set(sent))
    assert sent == sorted(sent)


@given(budget=budgets, share=st.floats(min_value=0.8, max_value=1.0))
def test_a_clock_first_seen_past_80_percent_warns_only_at_80(budget, share):
    decision = decide_warning(budget * share, budget, frozenset(), running=True, breached=False)
    assert decision.threshold_percent == 80
    assert decision.settled == frozenset(WARNING_THRESHOLDS)  # the skipped 50% never fires later
    assert next_threshold(decision.settled) is None


@given(budget=budgets, share=st.floats(min_value=0, max_value=1.0), settled=st.sets(st.sampled_from([50, 80])))
def test_a_paused_or_breached_clock_warns_nothing(budget, share, settled):
    paused = decide_warning(budget * share, budget, settled, running=False, breached=False)
    breached = decide_warning(budget * share, budget, settled, running=True, breached=True)
    assert paused.threshold_percent is None and breached.threshold_percent is None
    assert paused.settled == breached.settled == frozenset(settled)


@given(budget=budgets, share=st.floats(min_value=0, max_value=1.0))
def test_the_next_look_is_the_lowest_threshold_still_to_warn(budget, share):
    decision = decide_warning(budget * share, budget, frozenset(), running=True, breached=False)
    upcoming = next_threshold(decision.settled)
    if upcoming is not None:
        # What comes next has not been crossed yet, so the checker looks in the future.
        assert budget * share < budget * upcoming / 100
        assert all(percent < upcoming for percent in decision.settled)


def test_settled_thresholds_are_stored_per_clock():
    stored = [settled_key("acceptance", 50), settled_key("resolution", 80), "junk", "acceptance:x"]
    assert settled_thresholds(stored, "acceptance") == {50}
    assert settled_thresholds(stored, "resolution") == {80}
    with pytest.raises(ValueError):
        decide_warning(1, 0, frozenset(), running=True, breached=False)


# --- the checker ------------------------------------------------------------------------------------


async def _warnings(app) -> list[tuple[str, str, int]]:
    return [
        (envelope.data["ticket_id"], envelope.data["clock"], envelope.data["threshold_percent"])
        for envelope in await events(app, "ticket.sla_warning")
    ]


async def test_the_acceptance_clock_warns_at_50_and_80_percent_once_each_and_not_after_the_breach(
    http, station, ticket_app
):
    checker = ticket_app.state.sla_checker
    ticket = await raise_ticket(http, station)  # Monday 09:00, 30 working minutes to accept
    await checker.run_once(local(2026, 9, 14, 9, 14))
    assert await _warnings(ticket_app) == []
    await checker.run_once(local(2026, 9, 14, 9, 15))  # exactly half: the warning is due
    assert await _warnings(ticket_app) == [(ticket["id"], "acceptance", 50)]
    await checker.run_once(local(2026, 9, 14, 9, 20))
    assert len(await _warnings(ticket_app)) == 1  # not twice
    await checker.run_once(local(2026, 9, 14, 9, 25))
    assert await _warnings(ticket_app) == [(ticket["id"], "acceptance", 50), (ticket["id"], "acceptance", 80)]
    assert await checker.run_once(local(2026, 9, 14, 9, 31)) == 1  # the breach
    await checker.run_once(local(2026, 9, 14, 11, 0))
    assert len(await _warnings(ticket_app)) == 2  # nothing more after the breach
    warning = (await events(ticket_app, "ticket.sla_warning"))[1]
    assert set(warning.data) == WARNING_CONTRACT
    assert warning.subject == ticket["id"]
    assert warning.data["budget_minutes"] == 30 and warning.data["elapsed_working_minutes"] == 25
    assert datetime.fromisoformat(warning.data["due_at"]) == local(2026, 9, 14, 9, 30)
    assert datetime.fromisoformat(warning.data["warned_at"]) == local(2026, 9, 14, 9, 25)
    # The lists still flag a ticket overdue by its breach time only, not by a warning's.
    listed = await http.get(
        "/api/v1/tickets", headers=station.headers("secretary"), params={"overdue": "true", "station_id": station.id}
    )
    assert listed.status_code == 200 and [item["id"] for item in listed.json()["items"]] == [ticket["id"]]


async def test_a_ticket_first_checked_past_80_percent_gets_only_the_80_percent_warning(http, station, ticket_app):
    checker = ticket_app.state.sla_checker
    ticket = await raise_ticket(http, station)
    await checker.run_once(local(2026, 9, 14, 9, 27))
    await checker.run_once(local(2026, 9, 14, 9, 28))
    assert await _warnings(ticket_app) == [(ticket["id"], "acceptance", 80)]


async def test_a_warned_ticket_is_not_overdue_and_an_accepted_one_is_not_warned(http, station, ticket_app, clock):
    checker = ticket_app.state.sla_checker
    ticket = await raise_ticket(http, station)
    await checker.run_once(local(2026, 9, 14, 9, 16))
    listed = await http.get(
        "/api/v1/tickets", headers=station.headers("secretary"), params={"overdue": "true", "station_id": station.id}
    )
    assert listed.json()["items"] == []
    clock.set(local(2026, 9, 14, 9, 20))
    response = await http.post(
        f"/api/v1/tickets/{ticket['id']}/transitions",
        headers=station.headers("receptionist"),
        json={"action": "accept"},
    )
    assert response.status_code == 200, response.text
    await checker.run_once(local(2026, 9, 14, 9, 29))  # the acceptance clock stopped at 20 minutes
    assert await _warnings(ticket_app) == [(ticket["id"], "acceptance", 50)]


async def test_the_resolution_clock_warns_in_working_minutes_and_not_while_paused(http, station, ticket_app, clock):
    checker = ticket_app.state.sla_checker
    ticket = await raise_ticket(http, station)  # 1,440 working minutes to resolve: three working days

    async def act(action: str) -> None:
        response = await http.post(
            f"/api/v1/tickets/{ticket['id']}/transitions",
            headers=station.headers("receptionist"),
            json={"action": action},
        )
        assert response.status_code == 200, response.text

    clock.set(local(2026, 9, 14, 9, 5))
    await act("accept")
    await checker.run_once(local(2026, 9, 15, 13, 59))  # Tuesday: 719 working minutes used
    assert await _warnings(ticket_app) == []
    await checker.run_once(local(2026, 9, 15, 14, 0))  # 720: half
    assert await _warnings(ticket_app) == [(ticket["id"], "resolution", 50)]
    clock.set(local(2026, 9, 15, 15, 0))
    await act("wait_for_resident")
    await checker.run_once(local(2026, 9, 18, 17, 0))  # days of waiting use no minutes
    assert len(await _warnings(ticket_app)) == 1
    clock.set(local(2026, 9, 21, 9, 0))  # Monday: 780 minutes used; 80% (1,152) is 372 working minutes on
    await act("resume")
    await checker.run_once(local(2026, 9, 21, 16, 11))
    assert len(await _warnings(ticket_app)) == 1
    await checker.run_once(local(2026, 9, 21, 16, 12))
    assert await _warnings(ticket_app) == [(ticket["id"], "resolution", 50), (ticket["id"], "resolution", 80)]
    warning = (await events(ticket_app, "ticket.sla_warning"))[-1]
    assert warning.data["elapsed_working_minutes"] == 1152 and warning.data["budget_minutes"] == 1440


# --- ticket.accepted --------------------------------------------------------------------------------


async def test_accepting_publishes_ticket_accepted_with_who_and_when(http, station, ticket_app, clock):
    ticket = await raise_ticket(http, station)
    assert await events(ticket_app, "ticket.accepted") == []
    clock.set(local(2026, 9, 14, 9, 10))
    response = await http.post(
        f"/api/v1/tickets/{ticket['id']}/transitions",
        headers=station.headers("receptionist"),
        json={"action": "accept"},
    )
    assert response.status_code == 200, response.text
    accepted = await events(ticket_app, "ticket.accepted")
    assert len(accepted) == 1
    data = accepted[0].data
    assert accepted[0].subject == ticket["id"]
    assert data["ticket_id"] == ticket["id"] and data["status"] == "accepted"
    assert data["accepted_by"] == station.receptionist and data["owner_id"] == station.receptionist
    assert datetime.fromisoformat(data["accepted_at"]) == local(2026, 9, 14, 9, 10)
    assert "resident_phone" not in data and "resident_name" not in data  # events carry no contact


async def test_the_notifier_reads_any_tickets_contact_to_text_the_resident_and_each_read_is_logged(
    http, station, ticket_app
):
    ticket = await raise_ticket(http, station)
    notifier = bearer("notifier", "service:notification")
    contact = await http.get(f"/api/v1/tickets/{ticket['id']}/contact", headers=notifier)
    assert contact.status_code == 200, contact.text
    assert contact.json()["resident_phone"] == "13800000000" and contact.json()["resident_name"] == "王阿姨"
    log = await http.get(
        "/api/v1/tickets/contact-reads", headers=bearer("district_admin"), params={"ticket_id": ticket["id"]}
    )
    reads = [read for read in log.json()["items"] if read["reader_id"] == "service:notification"]
    assert len(reads) == 1
    assert reads[0]["reader_roles"] == ["notifier"] and reads[0]["purpose"] == "resident_sms"
    assert reads[0]["resident_phone_masked"] == "138****0000"
    assert (await http.get(f"/api/v1/tickets/{uuid.uuid4()}/contact", headers=notifier)).status_code == 404
    # Nothing else of tickets: not the ticket itself, not the lists.
    assert (await http.get(f"/api/v1/tickets/{ticket['id']}", headers=notifier)).status_code == 404
    assert (await http.get("/api/v1/tickets", headers=notifier)).status_code == 403
