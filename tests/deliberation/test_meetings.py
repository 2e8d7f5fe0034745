"""Meetings: scheduling per project stage, registration and check-in, closing, motions, votes, quorum."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from deliberation_service.meetings.models import Attendance, Meeting, Motion, Vote
from shared.ids import utcnow
from tests.deliberation.conftest import OTHER_COMMUNITY_ID, OTHER_STATION_ID, problem, resident, staff


async def open_hearing(deliberation, residents: int = 10) -> tuple[dict, dict, dict, list]:
    project = await deliberation.propose()
    meeting = await deliberation.schedule(project["id"], "hearing")
    await deliberation.open(meeting["id"])
    checked_in = await deliberation.check_in(meeting["id"], residents)
    motion = await deliberation.motion(meeting["id"])
    return project, meeting, motion, checked_in


async def test_meeting_kinds_follow_the_project_stage(deliberation):
    project = await deliberation.propose()
    starts_at = utcnow() + timedelta(days=1)
    body = {
        "project_id": project["id"],
        "title": "协调会",
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=1)).isoformat(),
        "place": "会议室",
    }
    coordination = await deliberation.http.post(
        "/api/v1/meetings", headers=deliberation.secretary, json={**body, "kind": "coordination"}
    )
    problem(coordination, 409, "not_in_implementation")
    review = await deliberation.http.post(
        "/api/v1/meetings", headers=deliberation.secretary, json={**body, "kind": "review"}
    )
    problem(review, 409, "not_in_review")
    backwards = await deliberation.http.post(
        "/api/v1/meetings",
        headers=deliberation.secretary,
        json={**body, "kind": "hearing", "ends_at": (starts_at - timedelta(hours=1)).isoformat()},
    )
    assert problem(backwards, 422, "not_after_start")["field"] == "ends_at"
    naive = await deliberation.http.post(
        "/api/v1/meetings",
        headers=deliberation.secretary,
        json={**body, "kind": "hearing", "starts_at": "2026-01-01T19:00:00"},
    )
    assert problem(naive, 422, "validation_error")["field"] == "starts_at"
    assert await deliberation.count(Meeting) == 0
    assert (await deliberation.project(project["id"]))["stage"] == "proposed"


async def test_a_meeting_does_not_open_long_before_its_published_start(deliberation):
    project = await deliberation.propose()
    meeting = await deliberation.schedule(project["id"], "hearing", starts_in=timedelta(days=2))
    response = await deliberation.http.post(f"/api/v1/meetings/{meeting['id']}/open", headers=deliberation.secretary)
    problem(response, 409, "too_early_to_open")


async def test_each_resident_is_checked_in_at_most_once(deliberation):
    project = await deliberation.propose()
    meeting = await deliberation.schedule(project["id"], "hearing")
    url = f"/api/v1/meetings/{meeting['id']}/check-ins"
    first = await deliberation.http.post(url, headers=deliberation.secretary, json={"resident_id": "r-1"})
    assert first.status_code == 201 and first.json()["checked_in_at"]
    again = await deliberation.http.post(url, headers=deliberation.secretary, json={"resident_id": "r-1"})
    problem(again, 409, "already_checked_in")
    assert await deliberation.count(Attendance) == 1


async def test_a_registered_resident_is_then_checked_in_on_the_same_row(deliberation):
    project = await deliberation.propose()
    meeting = await deliberation.schedule(project["id"], "hearing")
    subject, headers = resident()
    url = f"/api/v1/meetings/{meeting['id']}"
    registered = await deliberation.http.post(f"{url}/registrations", headers=headers)
    assert registered.status_code == 201 and registered.json()["resident_id"] == subject
    problem(await deliberation.http.post(f"{url}/registrations", headers=headers), 409, "already_registered")
    checked = await deliberation.http.post(
        f"{url}/check-ins", headers=deliberation.secretary, json={"resident_id": subject}
    )
    assert checked.status_code == 201 and checked.json()["registered_at"]
    details = (await deliberation.http.get(url)).json()
    assert (details["registered_count"], details["checked_in_count"]) == (1, 1)


async def test_residents_register_only_in_their_own_community(deliberation):
    project = await deliberation.propose()
    meeting = await deliberation.schedule(project["id"], "hearing")
    _, outsider = resident(community_id=OTHER_COMMUNITY_ID)
    response = await deliberation.http.post(f"/api/v1/meetings/{meeting['id']}/registrations", headers=outsider)
    problem(response, 403, "not_own_community")
    check_in = await deliberation.http.post(
        f"/api/v1/meetings/{meeting['id']}/check-ins",
        headers=staff(station_id=OTHER_STATION_ID),
        json={"resident_id": "x"},
    )
    problem(check_in, 403, "out_of_scope")
    assert await deliberation.count(Attendance) == 0


async def test_closing_needs_minutes_and_an_attendee_count_and_changes_nothing_otherwise(deliberation):
    _, meeting, motion, _ = await open_hearing(deliberation, residents=3)
    url = f"/api/v1/meetings/{meeting['id']}/close"
    no_minutes = await deliberation.http.post(
        url, headers=deliberation.secretary, json={"minutes": "  ", "attendee_count": 5}
    )
    assert problem(no_minutes, 422, "required")["field"] == "minutes"
    no_count = await deliberation.http.post(url, headers=deliberation.secretary, json={"minutes": "纪要"})
    assert problem(no_count, 422, "required")["field"] == "attendee_count"
    too_few = await deliberation.http.post(
        url, headers=deliberation.secretary, json={"minutes": "纪要", "attendee_count": 2}
    )
    assert problem(too_few, 422, "below_checked_in_count")["field"] == "attendee_count"
    details = (await deliberation.http.get(f"/api/v1/meetings/{meeting['id']}")).json()
    assert details["state"] == "open" and details["minutes"] is None
    assert details["motions"][0]["state"] == "open"
    assert await deliberation.events("meeting.closed") == []


async def test_closing_a_meeting_freezes_open_motions_and_publishes_minutes(deliberation):
    project, meeting, motion, residents = await open_hearing(deliberation, residents=10)
    for _, headers in residents[:8]:
        assert (await deliberation.vote(meeting["id"], motion["id"], headers, "yes")).status_code == 201
    closed = await deliberation.close(meeting["id"], attendee_count=14, minutes="居民同意改建凉亭。")
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["state"], body["minutes"], body["attendee_count"]) == ("closed", "居民同意改建凉亭。", 14)
    [frozen] = body["motions"]
    assert (frozen["state"], frozen["passed"], frozen["yes_count"], frozen["checked_in_count"]) == (
        "closed",
        True,
        8,
        10,
    )
    [event] = await deliberation.events("meeting.closed")
    assert event.data["attendee_count"] == 14 and event.data["minutes"] == "居民同意改建凉亭。"
    assert (await deliberation.project(project["id"]))["stage"] == "approved"
    problem(await deliberation.close(meeting["id"], attendee_count=14), 409, "meeting_closed")


async def test_a_hearings_deciding_motion_approves_the_project(deliberation):
    project, meeting, motion, residents = await open_hearing(deliberation, residents=12)
    for index, (_, headers) in enumerate(residents):
        choice = ["yes", "yes", "no", "abstain"][index % 4]
        assert (await deliberation.vote(meeting["id"], motion["id"], headers, choice)).status_code == 201
    closed = await deliberation.http.post(
        f"/api/v1/meetings/{meeting['id']}/motions/{motion['id']}/close", headers=deliberation.secretary
    )
    result = closed.json()
    assert (result["passed"], result["outcome"]) == (True, "passed")
    assert (result["yes_count"], result["no_count"], result["abstain_count"]) == (6, 3, 3)
    after = await deliberation.project(project["id"])
    assert (after["stage"], after["hearing_passed"]) == ("approved", True)
    [decided] = await deliberation.events("motion.decided")
    assert decided.data["passed"] is True and decided.data["yes"] == 6 and decided.data["project_id"] == project["id"]
    assert [e.data["stage"] for e in await deliberation.events("project.approved")] == ["approved"]
    # Implementation may now start: the gate sees the residents' decision.
    assert (await deliberation.act(project["id"], "start_implementation")).status_code == 200


async def test_a_hearing_that_votes_no_rejects_the_project(deliberation):
    project = await deliberation.propose()
    await deliberation.decide(project["id"], "hearing", ["no"] * 6 + ["yes"] * 4)
    after = await deliberation.project(project["id"])
    assert (after["stage"], after["hearing_passed"]) == ("rejected", False)
    problem(await deliberation.act(project["id"], "start_implementation"), 409, "project_rejected")


async def test_without_a_quorum_the_hearing_decides_nothing(deliberation):
    project = await deliberation.propose()
    meeting = await deliberation.decide(project["id"], "hearing", ["yes"] * 9)  # hearing quorum: 10 checked in
    assert meeting["motions"][0]["outcome"] == "quorum_not_met"
    after = await deliberation.project(project["id"])
    assert (after["stage"], after["hearing_passed"]) == ("hearing", None)
    # Another hearing may be held.
    await deliberation.decide(project["id"], "hearing", ["yes"] * 10)
    assert (await deliberation.project(project["id"]))["stage"] == "approved"


async def test_a_configured_quorum_applies_to_its_meeting_kind(tmp_path):
    from tests.deliberation.conftest import start_deliberation

    rules = {"hearing": {"minimum_checked_in": 2, "minimum_turnout_percent": 100}}
    async for service in start_deliberation(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}", quorum_rules=rules):
        project = await service.propose()
        meeting = await service.decide(project["id"], "hearing", ["yes", "yes"])
        motion = meeting["motions"][0]
        assert (motion["quorum_minimum_checked_in"], motion["quorum_minimum_turnout_percent"]) == (2, 100)
        assert (await service.project(project["id"]))["stage"] == "approved"


async def test_one_deciding_motion_per_meeting_and_none_at_coordination(deliberation):
    _, meeting, _, _ = await open_hearing(deliberation, residents=1)
    second = await deliberation.http.post(
        f"/api/v1/meetings/{meeting['id']}/motions",
        headers=deliberation.secretary,
        json={"title": "再议", "deciding": True},
    )
    problem(second, 409, "deciding_motion_exists")
    project = await deliberation.approved_project()
    await deliberation.act(project["id"], "start_implementation")
    coordination = await deliberation.schedule(project["id"], "coordination")
    deciding = await deliberation.http.post(
        f"/api/v1/meetings/{coordination['id']}/motions",
        headers=deliberation.secretary,
        json={"title": "x", "deciding": True},
    )
    assert problem(deciding, 422, "not_a_deciding_meeting")["field"] == "deciding"
    ordinary = await deliberation.motion(coordination["id"], deciding=False)
    assert ordinary["deciding"] is False


async def test_vote_by_someone_not_checked_in_is_409_and_not_counted(deliberation):
    _, meeting, motion, _ = await open_hearing(deliberation, residents=2)
    _, walk_in = resident()
    problem(await deliberation.vote(meeting["id"], motion["id"], walk_in, "yes"), 409, "not_checked_in")
    assert await deliberation.count(Vote) == 0


async def test_a_resident_of_another_community_is_not_eligible(deliberation):
    _, meeting, motion, _ = await open_hearing(deliberation, residents=1)
    subject, outsider = resident(community_id=OTHER_COMMUNITY_ID)
    await deliberation.http.post(
        f"/api/v1/meetings/{meeting['id']}/check-ins",
        headers=deliberation.secretary,
        json={"resident_id": subject, "community_id": OTHER_COMMUNITY_ID},
    )
    problem(await deliberation.vote(meeting["id"], motion["id"], outsider, "yes"), 409, "not_eligible")
    problem(await deliberation.vote(meeting["id"], motion["id"], staff(), "yes"), 403, "role_required")
    assert await deliberation.count(Vote) == 0


async def test_a_second_vote_is_409_and_the_first_stands(deliberation):
    _, meeting, motion, residents = await open_hearing(deliberation, residents=1)
    _, headers = residents[0]
    assert (await deliberation.vote(meeting["id"], motion["id"], headers, "yes")).status_code == 201
    problem(await deliberation.vote(meeting["id"], motion["id"], headers, "no"), 409, "already_voted")
    async with deliberation.database.sessionmaker() as session:
        assert (await session.scalars(sa.select(Vote.choice))).all() == ["yes"]


async def test_a_vote_after_voting_closed_is_409(deliberation):
    _, meeting, motion, residents = await open_hearing(deliberation, residents=2)
    await deliberation.http.post(
        f"/api/v1/meetings/{meeting['id']}/motions/{motion['id']}/close", headers=deliberation.secretary
    )
    problem(await deliberation.vote(meeting["id"], motion["id"], residents[0][1], "yes"), 409, "voting_closed")
    again = await deliberation.http.post(
        f"/api/v1/meetings/{meeting['id']}/motions/{motion['id']}/close", headers=deliberation.secretary
    )
    problem(again, 409, "voting_closed")
    assert await deliberation.count(Vote) == 0


async def test_a_vote_before_the_meeting_opens_or_with_a_bad_choice_is_refused(deliberation):
    project = await deliberation.propose()
    meeting = await deliberation.schedule(project["id"], "hearing")
    [(_, headers)] = await deliberation.check_in(meeting["id"], 1)
    motion = await deliberation.motion(meeting["id"])
    problem(await deliberation.vote(meeting["id"], motion["id"], headers, "yes"), 409, "meeting_not_open")
    await deliberation.open(meeting["id"])
    assert (
        problem(await deliberation.vote(meeting["id"], motion["id"], headers, "maybe"), 422, "unknown_choice")["field"]
        == "choice"
    )
    assert await deliberation.count(Vote) == 0


async def test_vote_counts_are_public_only_once_frozen(deliberation):
    _, meeting, motion, residents = await open_hearing(deliberation, residents=10)
    for _, headers in residents:
        await deliberation.vote(meeting["id"], motion["id"], headers, "yes")
    public = (await deliberation.http.get(f"/api/v1/meetings/{meeting['id']}/motions/{motion['id']}")).json()
    assert public["yes_count"] is None and public["state"] == "open"
    await deliberation.close(meeting["id"], attendee_count=12)
    public = (await deliberation.http.get(f"/api/v1/meetings/{meeting['id']}/motions/{motion['id']}")).json()
    assert (public["yes_count"], public["no_count"], public["passed"]) == (10, 0, True)


async def test_nothing_changes_at_a_closed_meeting(deliberation):
    _, meeting, motion, residents = await open_hearing(deliberation, residents=10)
    for _, headers in residents:
        await deliberation.vote(meeting["id"], motion["id"], headers, "yes")
    await deliberation.close(meeting["id"], attendee_count=10)
    late = await deliberation.http.post(
        f"/api/v1/meetings/{meeting['id']}/check-ins", headers=deliberation.secretary, json={"resident_id": "late"}
    )
    problem(late, 409, "meeting_closed")
    more = await deliberation.http.post(
        f"/api/v1/meetings/{meeting['id']}/motions", headers=deliberation.secretary, json={"title": "追加"}
    )
    problem(more, 409, "meeting_closed")
    async with deliberation.database.sessionmaker() as session:
        row = await session.get(Motion, uuid.UUID(motion["id"]))
        assert (row.state, row.yes_count, row.checked_in_count) == ("closed", 10, 10)
