"""The service reads the time from its injected clock (`app.state.clock`), never from the wall clock:
what a meeting allows, and the times it records, follow the clock the deployment (or a test) gives it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.ids import utcnow
from tests.deliberation.conftest import problem


async def test_a_meeting_opens_and_records_its_times_by_the_services_clock(deliberation):
    project = await deliberation.propose()
    meeting = await deliberation.schedule(project["id"], "hearing", starts_in=timedelta(days=3))
    opening = f"/api/v1/meetings/{meeting['id']}/open"
    # Three days early by the wall clock: too early to open.
    problem(await deliberation.http.post(opening, headers=deliberation.secretary), 409, "too_early_to_open")

    # On the day, by the service's clock.
    starts_at = datetime.fromisoformat(meeting["starts_at"])
    on_the_day = (starts_at - timedelta(minutes=5)).astimezone(UTC).replace(microsecond=0)
    deliberation.app.state.clock = lambda: on_the_day
    opened = await deliberation.http.post(opening, headers=deliberation.secretary)
    assert opened.status_code == 200, opened.text
    assert datetime.fromisoformat(opened.json()["opened_at"]) == on_the_day

    # The audit trail dates the opening by the same clock, days ahead of the wall clock.
    trail = await deliberation.http.get(
        f"/api/v1/meetings/{meeting['id']}/audit", params={"limit": 200}, headers=deliberation.secretary
    )
    [opening_entry] = [e for e in trail.json()["items"] if e["action"] == "open" and e["field"] == "state"]
    assert datetime.fromisoformat(opening_entry["changed_at"]) == on_the_day
    assert on_the_day - utcnow() > timedelta(days=2)


async def test_a_project_is_stamped_by_the_services_clock(deliberation):
    moment = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    deliberation.app.state.clock = lambda: moment
    project = await deliberation.propose()
    assert datetime.fromisoformat(project["created_at"]) == moment
    published = await deliberation.http.post(
        f"/api/v1/projects/{project['id']}/publish", headers=deliberation.secretary
    )
    assert published.status_code == 200, published.text
    assert datetime.fromisoformat(published.json()["published_at"]) == moment
