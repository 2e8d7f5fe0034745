"""Transparency: published projects, decisions, vote counts and minutes without a token; iCalendar feeds."""

from __future__ import annotations

from datetime import timedelta

import icalendar

from shared.ids import utcnow
from tests.deliberation.conftest import OTHER_STATION_ID, STATION_ID, problem, resident


async def test_decisions_vote_counts_and_minutes_are_public(deliberation):
    project = await deliberation.propose()
    hearing = await deliberation.decide(project["id"], "hearing", ["yes"] * 8 + ["no"] * 2)
    public_project = (await deliberation.http.get(f"/api/v1/projects/{project['id']}")).json()
    assert (public_project["stage"], public_project["hearing_passed"]) == ("approved", True)
    meetings = (await deliberation.http.get(f"/api/v1/projects/{project['id']}/meetings")).json()["items"]
    assert [m["id"] for m in meetings] == [hearing["id"]]
    public_meeting = (await deliberation.http.get(f"/api/v1/meetings/{hearing['id']}")).json()
    assert public_meeting["minutes"] == "会议纪要：表决通过。"
    assert public_meeting["invited_residents"] is None  # residents' ids are for the station's staff
    [motion] = public_meeting["motions"]
    assert (motion["yes_count"], motion["no_count"], motion["abstain_count"], motion["passed"]) == (8, 2, 0, True)
    listed = (await deliberation.http.get("/api/v1/meetings", params={"station_id": STATION_ID})).json()["items"]
    assert [m["id"] for m in listed] == [hearing["id"]]


async def test_the_public_audit_of_a_meeting_leaves_out_who_checked_in_and_voted(deliberation):
    project = await deliberation.propose()
    hearing = await deliberation.decide(project["id"], "hearing", ["yes"] * 10)
    public = (await deliberation.http.get(f"/api/v1/meetings/{hearing['id']}/audit", params={"limit": 200})).json()
    assert {e["entity_type"] for e in public["items"]} == {"meeting", "motion"}
    closing = [e for e in public["items"] if e["action"] == "close" and e["field"] == "state"]
    assert [(e["old_value"], e["new_value"]) for e in closing] == [("open", "closed")]
    staff_view = await deliberation.http.get(
        f"/api/v1/meetings/{hearing['id']}/audit", params={"limit": 200}, headers=deliberation.secretary
    )
    kinds = {e["entity_type"] for e in staff_view.json()["items"]}
    assert kinds == {"meeting", "motion", "attendance", "vote"}
    # The trail says who voted, never how.
    votes = [e for e in staff_view.json()["items"] if e["entity_type"] == "vote"]
    assert len(votes) == 10 and all(e["new_value"] == e["actor_id"] for e in votes)


async def test_attendee_lists_are_for_the_stations_staff(deliberation):
    project = await deliberation.propose()
    meeting = await deliberation.schedule(project["id"], "hearing")
    _, headers = resident()
    problem(
        await deliberation.http.get(f"/api/v1/meetings/{meeting['id']}/attendees", headers=headers),
        403,
        "role_required",
    )
    problem(await deliberation.http.get(f"/api/v1/meetings/{meeting['id']}/attendees"), 401, "token_missing")


async def test_the_station_calendar_lists_upcoming_meetings_and_parses_as_icalendar(deliberation):
    project = await deliberation.propose()
    past = await deliberation.decide(project["id"], "hearing", ["yes"] * 10)  # closed: not upcoming
    await deliberation.act(project["id"], "start_implementation")
    upcoming = await deliberation.schedule(project["id"], "coordination", starts_in=timedelta(days=3))
    response = await deliberation.http.get(f"/calendars/stations/{STATION_ID}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    events = list(calendar.walk("VEVENT"))
    assert [str(e["UID"]) for e in events] == [f"meeting-{upcoming['id']}@doorstep.pudong.gov.cn"]
    [event] = events
    assert str(event["SUMMARY"]).endswith(upcoming["title"])
    assert str(event["LOCATION"]) == "二楼会议室"
    start = event.decoded("DTSTART")
    assert abs(start - (utcnow() + timedelta(days=3))) < timedelta(minutes=5)
    assert event.decoded("DTEND") - start == timedelta(hours=2)
    assert "方案" in str(event["DESCRIPTION"])
    assert past["id"] not in response.text


async def test_another_stations_calendar_is_empty_and_an_unknown_station_is_404(deliberation):
    project = await deliberation.propose()
    await deliberation.schedule(project["id"], "hearing", starts_in=timedelta(days=1))
    other = icalendar.Calendar.from_ical(
        (await deliberation.http.get(f"/calendars/stations/{OTHER_STATION_ID}.ics")).content
    )
    assert list(other.walk("VEVENT")) == []
    missing = await deliberation.http.get("/calendars/stations/00000000-0000-0000-0000-000000000009.ics")
    problem(missing, 404, "station_not_found")
