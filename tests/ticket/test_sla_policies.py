"""SLA policies per service category and priority, kept as data: the pure rules (which policy applies, the
tighter deadline wins), and the district admin's budgets as the station sees them on the next ticket."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
from hypothesis import given
from hypothesis import strategies as st

from shared.service import run_migrations_sync
from shared.settings import Mode
from tests.conftest import bearer, running
from tests.ticket.conftest import MONDAY_0900, Clock, local, raise_ticket
from ticket_service.app import create_app, definition
from ticket_service.settings import TicketSettings
from ticket_service.sla_policies.rules import (
    Budgets,
    DueAtSource,
    PolicySource,
    Priority,
    applicable_budgets,
    default_budgets,
    tighter_deadline,
)

ADMIN = bearer("district_admin", "district-admin-1")
CATEGORIES = ("community_management", "culture", "daily_life", "government_affairs", "health", "legal", "party_mass")

# --- the pure rules -----------------------------------------------------------------------------------------

moments = (
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)) | st.none()
)
minutes = st.floats(min_value=1, max_value=100_000, allow_nan=False, allow_infinity=False)


@given(ours=moments, theirs=moments)
def test_the_tighter_deadline_wins_and_says_which(ours, theirs):
    due, source = tighter_deadline(ours, theirs)
    present = [moment for moment in (ours, theirs) if moment is not None]
    assert due == (min(present) if present else None)
    # The external deadline wins only when it is strictly earlier (or ours is unknown, e.g. paused).
    assert (source is DueAtSource.external) == (theirs is not None and (ours is None or theirs < ours))


@given(accept=minutes, resolve=minutes)
def test_defaults_scale_the_settings_by_priority(accept, resolve):
    fallback = Budgets(accept, resolve)
    by_priority = {priority: default_budgets(fallback, priority) for priority in Priority}
    assert by_priority[Priority.normal].accept_minutes == max(1, round(accept))
    assert by_priority[Priority.normal].resolve_minutes == max(1, round(resolve))
    order = [Priority.urgent, Priority.high, Priority.normal, Priority.low]
    for tighter, looser in zip(order, order[1:], strict=False):
        assert by_priority[tighter].accept_minutes <= by_priority[looser].accept_minutes
        assert by_priority[tighter].resolve_minutes <= by_priority[looser].resolve_minutes
    assert all(budgets.source is PolicySource.default for budgets in by_priority.values())


@given(
    category=st.sampled_from(CATEGORIES),
    priority=st.sampled_from(list(Priority)),
    rows=st.dictionaries(
        st.tuples(st.sampled_from(CATEGORIES), st.sampled_from([p.value for p in Priority])),
        st.builds(Budgets, minutes, minutes),
    ),
    fallback=st.builds(Budgets, minutes, minutes),
)
def test_a_row_for_the_category_and_priority_applies_else_the_settings(category, priority, rows, fallback):
    found = applicable_budgets(rows, category, priority, fallback)
    assert found == rows.get((category, priority.value), default_budgets(fallback, priority))


# --- through the API ----------------------------------------------------------------------------------------


async def test_staff_read_a_policy_for_every_category_and_priority_seeded_from_the_settings(http, station):
    response = await http.get("/api/v1/sla-policies", headers=station.headers("receptionist"))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {(item["service_category"], item["priority"]) for item in items} == {
        (category, priority.value) for category in CATEGORIES for priority in Priority
    }
    normal = next(i for i in items if (i["service_category"], i["priority"]) == ("daily_life", "normal"))
    urgent = next(i for i in items if (i["service_category"], i["priority"]) == ("daily_life", "urgent"))
    assert (normal["accept_minutes"], normal["resolve_minutes"], normal["source"]) == (30, 1440, "default")
    assert (urgent["accept_minutes"], urgent["resolve_minutes"]) == (15, 360)
    assert response.json()["next_cursor"] is None
    for outsider in (bearer("resident"), bearer("integration_client")):
        assert (await http.get("/api/v1/sla-policies", headers=outsider)).status_code == 403


async def test_a_district_admin_sets_a_policy_with_if_match_and_the_next_ticket_runs_on_it(http, station):
    before = await raise_ticket(http, station, service_category="legal", priority="high")
    url = "/api/v1/sla-policies/legal/high"
    read = await http.get(url, headers=ADMIN)
    assert read.status_code == 200
    etag = read.headers["etag"]
    body = {"accept_minutes": 10, "resolve_minutes": 100}
    assert (await http.put(url, headers=station.headers("secretary"), json=body)).status_code == 403
    refused = await http.put(url, headers=ADMIN, json={"accept_minutes": 200, "resolve_minutes": 100})
    assert refused.status_code == 422 and refused.json()["code"] == "accept_after_resolve"
    assert (await http.put(url, headers=ADMIN, json={"accept_minutes": 0, "resolve_minutes": 100})).status_code == 422
    assert (await http.put("/api/v1/sla-policies/sports/high", headers=ADMIN, json=body)).status_code == 422
    saved = await http.put(url, headers={**ADMIN, "If-Match": etag}, json=body)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["source"], saved.json()["configured_by"]) == ("configured", "district-admin-1")
    assert saved.json()["version"] == read.json()["version"] + 1
    assert saved.headers["etag"] != etag
    assert (await http.put(url, headers={**ADMIN, "If-Match": etag}, json=body)).status_code == 412

    after = await raise_ticket(http, station, service_category="legal", priority="high")
    assert datetime.fromisoformat(after["acceptance_due_at"]) == local(2026, 9, 14, 9, 10)
    assert datetime.fromisoformat(after["resolution_due_at"]) == local(2026, 9, 14, 10, 40)
    # A ticket raised before keeps the budgets it was raised with; other categories are untouched.
    again = await http.get(f"/api/v1/tickets/{before['id']}", headers=station.headers("secretary"))
    assert datetime.fromisoformat(again.json()["acceptance_due_at"]) == local(2026, 9, 14, 9, 30)
    other = await raise_ticket(http, station, service_category="daily_life", priority="high")
    assert datetime.fromisoformat(other["acceptance_due_at"]) == local(2026, 9, 14, 9, 30)


async def test_unconfigured_policies_follow_the_settings_at_start_and_configured_ones_stay(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'ticket.db'}"
    first = TicketSettings(mode=Mode.embedded, database_url=url, sla_checker_enabled=False)
    run_migrations_sync(definition, first)
    app = create_app(first)
    async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        app.state.clock = Clock(MONDAY_0900)
        saved = await http.put(
            "/api/v1/sla-policies/health/normal", headers=ADMIN, json={"accept_minutes": 5, "resolve_minutes": 50}
        )
        assert saved.status_code == 200, saved.text
    second = TicketSettings(mode=Mode.embedded, database_url=url, sla_checker_enabled=False, sla_accept_minutes=40)
    app = create_app(second)
    async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        items = (await http.get("/api/v1/sla-policies", headers=ADMIN)).json()["items"]
        policies = {(i["service_category"], i["priority"]): i for i in items}
        assert policies[("legal", "normal")]["accept_minutes"] == 40
        assert policies[("legal", "urgent")]["accept_minutes"] == 20
        assert (policies[("health", "normal")]["accept_minutes"], policies[("health", "normal")]["source"]) == (
            5,
            "configured",
        )
