"""Through the gateway, as the public and the apps reach the service (embedded mode, demo data seeded)."""

from __future__ import annotations

import icalendar

from deliberation_service.seed import MICRO_PARK_ID
from tests.conftest import DEMO_STATION_ID


async def test_published_projects_and_minutes_are_readable_without_a_token(client):
    project = await client.get(f"/api/v1/projects/{MICRO_PARK_ID}")
    assert project.status_code == 200, project.text
    assert project.json()["stage"] == "closed"
    meetings = (await client.get(f"/api/v1/projects/{MICRO_PARK_ID}/meetings")).json()["items"]
    hearing = (await client.get(f"/api/v1/meetings/{meetings[-1]['id']}")).json()  # latest first: the hearing last
    assert hearing["minutes"] and hearing["motions"][0]["yes_count"] >= 1


async def test_the_station_calendar_is_served_through_the_gateway(client):
    response = await client.get(f"/calendars/stations/{DEMO_STATION_ID}.ics")
    assert response.status_code == 200
    assert list(icalendar.Calendar.from_ical(response.content).walk("VEVENT"))


async def test_the_demo_resident_cannot_vote_without_being_checked_in(client):
    token = (await client.post("/auth/token", data={"username": "resident", "password": "demo-resident"})).json()
    meetings = (await client.get(f"/api/v1/projects/{MICRO_PARK_ID}/meetings")).json()["items"]
    hearing = (await client.get(f"/api/v1/meetings/{meetings[-1]['id']}")).json()  # latest first: the hearing last
    response = await client.post(
        f"/api/v1/meetings/{hearing['id']}/motions/{hearing['motions'][0]['id']}/votes",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        json={"choice": "yes"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "voting_closed"


async def test_openapi_documents_the_deliberation_paths(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/meetings/{meeting_id}/motions/{motion_id}/votes",
        "/api/v1/onsite-offices/{case_id}/resolve",
        "/calendars/stations/{station_id}.ics",
    ):
        assert path in paths, path
