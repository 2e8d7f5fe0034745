"""The demo data: projects in every stage, the micro park through all three meetings, the childcare case."""

from __future__ import annotations

from typing import cast

import icalendar
import sqlalchemy as sa

from deliberation_service.app import definition
from deliberation_service.audit.models import AuditEntry
from deliberation_service.projects.models import Project
from deliberation_service.projects.stages import ProjectStage
from deliberation_service.seed import CHILDCARE_CASE_ID, MICRO_PARK_ID
from shared.ids import stable_id
from tests.conftest import bearer
from tests.deliberation.conftest import STATION_ID


async def seeded(deliberation) -> None:
    assert definition.seed is not None
    await definition.seed(deliberation.database)


async def test_demo_projects_cover_every_stage(deliberation):
    await seeded(deliberation)
    projects = (await deliberation.http.get("/api/v1/projects", params={"limit": 200})).json()["items"]
    assert {p["stage"] for p in projects} == {stage.value for stage in ProjectStage}


async def test_the_micro_park_went_through_all_three_meetings(deliberation):
    await seeded(deliberation)
    project = (await deliberation.http.get(f"/api/v1/projects/{MICRO_PARK_ID}")).json()
    assert "凉亭" in project["title"] and "违章棚" in project["title"]
    assert (project["stage"], project["hearing_passed"], project["review_accepted"]) == ("closed", True, True)
    assert project["station_id"] == STATION_ID and project["progress_percent"] == 100
    assert all(m["completed_date"] for m in project["milestones"])
    meetings = (await deliberation.http.get(f"/api/v1/projects/{MICRO_PARK_ID}/meetings")).json()["items"]
    assert [m["kind"] for m in meetings] == ["review", "coordination", "hearing"]  # latest first
    for summary in meetings:
        meeting = (await deliberation.http.get(f"/api/v1/meetings/{summary['id']}")).json()
        assert meeting["state"] == "closed" and meeting["minutes"] and meeting["attendee_count"]
        assert all(m["passed"] for m in meeting["motions"])
    review = (await deliberation.http.get(f"/api/v1/meetings/{meetings[0]['id']}")).json()
    assert review["ratings"]["count"] == 7 and review["ratings"]["mean"] is not None
    trail = (await deliberation.http.get(f"/api/v1/projects/{MICRO_PARK_ID}/audit", params={"limit": 200})).json()
    stages = [(e["old_value"], e["new_value"]) for e in trail["items"] if e["field"] == "stage"]
    assert stages[::-1] == [  # newest first
        (None, "proposed"),
        ("proposed", "hearing"),
        ("hearing", "approved"),
        ("approved", "implementation"),
        ("implementation", "review"),
        ("review", "accepted"),
        ("accepted", "closed"),
    ]
    completed = [e for e in await deliberation.events("review.completed") if e.data["project_id"] == str(MICRO_PARK_ID)]
    assert len(completed) == 1 and len(completed[0].data["ratings"]) == 7


async def test_the_childcare_case_took_four_sessions_and_was_resolved(deliberation):
    await seeded(deliberation)
    station_id = str(stable_id("station", "金桥镇", "新城"))
    secretary = bearer("secretary", "s", station_id=station_id)
    case = (await deliberation.http.get(f"/api/v1/onsite-offices/{CHILDCARE_CASE_ID}", headers=secretary)).json()
    assert case["state"] == "resolved" and "08:30-16:00" in case["outcome"]
    assert len(case["sessions"]) == 4 and all(s["state"] == "closed" for s in case["sessions"])
    assert {o["name"] for o in case["invited_officials"]} >= {"副区长"}
    assert len(case["invited_departments"]) == 2 and case["commitments"]
    education = bearer("department", "d", department_id=str(stable_id("department", "金桥镇", "education")))
    assert (
        await deliberation.http.get(f"/api/v1/onsite-offices/{CHILDCARE_CASE_ID}", headers=education)
    ).status_code == 200


async def test_the_demo_department_sees_its_case_and_the_demo_station_has_upcoming_meetings(deliberation):
    await seeded(deliberation)
    department = bearer("department", "d", department_id=str(stable_id("department", "陆家嘴街道", "civil_affairs")))
    cases = (await deliberation.http.get("/api/v1/onsite-offices", headers=department)).json()["items"]
    assert [c["state"] for c in cases] == ["open"]
    calendar = icalendar.Calendar.from_ical(
        (await deliberation.http.get(f"/calendars/stations/{STATION_ID}.ics")).content
    )
    categories = [cast(icalendar.vCategory, e["CATEGORIES"]) for e in calendar.walk("VEVENT")]
    assert {str(c.cats[0]) for c in categories} == {"hearing", "onsite_office"}


async def test_seeding_twice_changes_nothing(deliberation):
    await seeded(deliberation)
    async with deliberation.database.sessionmaker() as session:
        before = (
            await session.scalar(sa.select(sa.func.count()).select_from(Project)),
            await session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
        )
    await seeded(deliberation)
    async with deliberation.database.sessionmaker() as session:
        after = (
            await session.scalar(sa.select(sa.func.count()).select_from(Project)),
            await session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
        )
    assert before == after and before[0] == 8
