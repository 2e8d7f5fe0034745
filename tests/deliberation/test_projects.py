"""Projects: proposal, plan, stage gates (409 + reason code), progress, milestones, audit trail."""

from __future__ import annotations

import pytest

from deliberation_service.projects.models import Project
from tests.deliberation.conftest import OTHER_STATION_ID, STATION_ID, problem, resident, staff


async def test_staff_propose_a_project_with_its_plan(deliberation):
    project = await deliberation.propose(
        milestones=[{"title": "拆除违章棚", "due_date": "2026-02-01"}, {"title": "凉亭完工", "due_date": "2026-05-01"}]
    )
    assert project["stage"] == "proposed"
    assert project["community_id"] and project["subdistrict_id"]
    assert project["planned_budget_yuan"] == "38000.00"
    assert [m["title"] for m in project["milestones"]] == ["拆除违章棚", "凉亭完工"]
    assert project["allowed_actions"] == ["schedule_hearing"]
    assert project["published_at"] is None
    [event] = await deliberation.events("project.proposed")
    assert event.data["project_id"] == project["id"] and event.data["stage"] == "proposed"


async def test_a_resident_proposes_in_their_own_community_only(deliberation):
    _, own = resident()
    response = await deliberation.http.post(
        "/api/v1/projects",
        headers=own,
        json={"station_id": STATION_ID, "title": "楼道灯", "description": "换灯", "service_category": "daily_life"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["proposer_kind"] == "resident"
    elsewhere = await deliberation.http.post(
        "/api/v1/projects",
        headers=own,
        json={
            "station_id": OTHER_STATION_ID,
            "title": "楼道灯",
            "description": "换灯",
            "service_category": "daily_life",
        },
    )
    problem(elsewhere, 403, "out_of_scope")


async def test_another_stations_staff_cannot_propose_or_run_the_project(deliberation):
    outsider = staff(station_id=OTHER_STATION_ID)
    response = await deliberation.http.post(
        "/api/v1/projects",
        headers=outsider,
        json={"station_id": STATION_ID, "title": "x", "description": "y", "service_category": "legal"},
    )
    problem(response, 403, "out_of_scope")
    project = await deliberation.propose()
    await deliberation.http.post(f"/api/v1/projects/{project['id']}/publish", headers=deliberation.secretary)
    moved = await deliberation.http.post(
        f"/api/v1/projects/{project['id']}/transitions", headers=outsider, json={"action": "schedule_hearing"}
    )
    problem(moved, 403, "out_of_scope")
    assert (await deliberation.project(project["id"]))["stage"] == "proposed"


async def test_unknown_station_is_422_naming_station_id(deliberation):
    response = await deliberation.http.post(
        "/api/v1/projects",
        headers=staff(),
        json={
            "station_id": "00000000-0000-0000-0000-000000000001",
            "title": "x",
            "description": "y",
            "service_category": "legal",
        },
    )
    assert problem(response, 422, "unknown_station")["field"] == "station_id"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        (
            {"planned_start_date": "2026-06-01", "planned_end_date": "2026-01-01"},
            "planned_end_date",
            "end_before_start",
        ),
        (
            {"milestones": [{"title": "早了", "due_date": "2025-12-01"}]},
            "milestones[0].due_date",
            "before_planned_start",
        ),
        (
            {"milestones": [{"title": "完成", "due_date": "2026-02-01", "completed_date": "2099-01-01"}]},
            "milestones[0].completed_date",
            "in_the_future",
        ),
        (
            {"planned_start_date": None, "milestones": [{"title": "a", "due_date": "2026-02-01"}]},
            "planned_start_date",
            "required_for_milestones",
        ),
    ],
)
async def test_a_bad_plan_is_422_naming_the_field_and_nothing_is_written(deliberation, overrides, field, code):
    body = {
        "station_id": STATION_ID,
        "title": "t",
        "description": "d",
        "service_category": "culture",
        "planned_start_date": "2026-01-01",
        "planned_end_date": "2026-06-30",
        **overrides,
    }
    response = await deliberation.http.post("/api/v1/projects", headers=deliberation.secretary, json=body)
    assert problem(response, 422, code)["field"] == field
    assert await deliberation.count(Project) == 0


async def test_implementation_cannot_start_before_a_hearing_approved_it(deliberation):
    project = await deliberation.propose()
    problem(await deliberation.act(project["id"], "start_implementation"), 409, "hearing_not_approved")
    await deliberation.schedule(project["id"], "hearing")
    problem(await deliberation.act(project["id"], "start_implementation"), 409, "hearing_not_approved")
    # Staff cannot approve in the residents' place: the hearing has not decided.
    problem(await deliberation.act(project["id"], "approve"), 409, "hearing_not_decided")
    assert (await deliberation.project(project["id"]))["stage"] == "hearing"


async def test_a_project_cannot_close_before_a_review_meeting_accepted_it(deliberation):
    project = await deliberation.approved_project()
    problem(await deliberation.act(project["id"], "close"), 409, "review_not_accepted")
    await deliberation.act(project["id"], "start_implementation")
    problem(await deliberation.act(project["id"], "close"), 409, "review_not_accepted")
    assert (await deliberation.project(project["id"]))["stage"] == "implementation"


async def test_a_skipped_stage_is_409_and_changes_nothing(deliberation):
    project = await deliberation.propose()
    problem(await deliberation.act(project["id"], "submit_for_review"), 409, "stage_skipped")
    problem(await deliberation.act(project["id"], "accept"), 409, "stage_skipped")
    after = await deliberation.project(project["id"])
    assert after["stage"] == "proposed" and after["updated_at"] == project["updated_at"]
    assert [e.type for e in await deliberation.events()] == ["project.proposed"]


async def test_an_unknown_action_is_422(deliberation):
    project = await deliberation.propose()
    response = await deliberation.http.post(
        f"/api/v1/projects/{project['id']}/transitions", headers=deliberation.secretary, json={"action": "teleport"}
    )
    assert problem(response, 422, "validation_error")["field"] == "action"


async def test_review_needs_the_work_finished(deliberation):
    project = await deliberation.approved_project()
    await deliberation.act(project["id"], "start_implementation")
    url = f"/api/v1/projects/{project['id']}/progress"
    assert (
        await deliberation.http.post(url, headers=deliberation.secretary, json={"progress_percent": 60})
    ).status_code == 200
    problem(await deliberation.act(project["id"], "submit_for_review"), 409, "implementation_incomplete")
    lower = await deliberation.http.post(url, headers=deliberation.secretary, json={"progress_percent": 40})
    assert problem(lower, 422, "progress_decreased")["field"] == "progress_percent"
    too_much = await deliberation.http.post(url, headers=deliberation.secretary, json={"progress_percent": 101})
    problem(too_much, 422, "out_of_range")
    assert (
        await deliberation.http.post(url, headers=deliberation.secretary, json={"progress_percent": 100})
    ).status_code == 200
    moved = await deliberation.act(project["id"], "submit_for_review")
    assert moved.status_code == 200 and moved.json()["stage"] == "review"


async def test_progress_is_reported_only_during_implementation(deliberation):
    project = await deliberation.propose()
    response = await deliberation.http.post(
        f"/api/v1/projects/{project['id']}/progress", headers=deliberation.secretary, json={"progress_percent": 10}
    )
    problem(response, 409, "not_in_implementation")


async def test_milestones_are_replaced_and_checked_against_the_plan(deliberation):
    project = await deliberation.propose()
    url = f"/api/v1/projects/{project['id']}/milestones"
    body = {"milestones": [{"title": "B", "due_date": "2026-04-01"}, {"title": "A", "due_date": "2026-02-01"}]}
    response = await deliberation.http.put(url, headers=deliberation.secretary, json=body)
    assert [m["title"] for m in response.json()["milestones"]] == ["A", "B"]
    duplicate = {"milestones": [{"title": "A", "due_date": "2026-02-01"}, {"title": "a", "due_date": "2026-03-01"}]}
    response = await deliberation.http.put(url, headers=deliberation.secretary, json=duplicate)
    assert problem(response, 422, "duplicate_title")["field"] == "milestones[1].title"
    assert [m["title"] for m in (await deliberation.project(project["id"]))["milestones"]] == ["A", "B"]
    # A revised plan must still hold the milestones.
    shrink = await deliberation.http.patch(
        f"/api/v1/projects/{project['id']}", headers=deliberation.secretary, json={"planned_end_date": "2026-03-01"}
    )
    assert problem(shrink, 422, "after_planned_end")["field"] == "milestones[1].due_date"


async def test_every_change_is_in_the_audit_trail_with_old_and_new_values(deliberation):
    project = await deliberation.propose()
    secretary_id = "secretary-li"
    headers = staff(subject=secretary_id)
    response = await deliberation.http.patch(
        f"/api/v1/projects/{project['id']}", headers=headers, json={"planned_budget_yuan": "42000.50", "place": "新址"}
    )
    assert response.status_code == 200, response.text
    trail = (await deliberation.http.get(f"/api/v1/projects/{project['id']}/audit", headers=headers)).json()["items"]
    budget = [e for e in trail if e["field"] == "planned_budget_yuan" and e["action"] == "update"]
    assert budget == [
        {
            **budget[0],
            "entity_type": "project",
            "old_value": "38000.00",
            "new_value": "42000.50",
            "actor_id": secretary_id,
        }
    ]
    assert budget[0]["changed_at"]
    assert {e["field"] for e in trail if e["action"] == "propose"} >= {"stage", "title", "planned_budget_yuan"}


async def test_unpublished_projects_are_hidden_from_the_public(deliberation):
    project = await deliberation.propose()
    assert (await deliberation.http.get(f"/api/v1/projects/{project['id']}")).status_code == 404
    assert (await deliberation.http.get("/api/v1/projects")).json()["items"] == []
    published = await deliberation.http.post(
        f"/api/v1/projects/{project['id']}/publish", headers=deliberation.secretary
    )
    assert published.json()["published_at"]
    public = await deliberation.http.get(f"/api/v1/projects/{project['id']}")
    assert public.status_code == 200 and public.json()["title"] == project["title"]


async def test_scheduling_the_hearing_publishes_the_project(deliberation):
    project = await deliberation.propose()
    await deliberation.schedule(project["id"], "hearing")
    public = await deliberation.http.get("/api/v1/projects", params={"stage": "hearing"})
    assert [p["id"] for p in public.json()["items"]] == [project["id"]]
    assert [e.type for e in await deliberation.events()][:2] == ["project.proposed", "project.hearing_scheduled"]
