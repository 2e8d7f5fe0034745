"""Review meetings: acceptance or rework, quality ratings 1-5, review.completed for the evaluation service."""

from __future__ import annotations

from deliberation_service.meetings.models import ReviewRating
from tests.deliberation.conftest import OTHER_COMMUNITY_ID, problem, resident


async def test_an_accepting_review_lets_the_project_close(deliberation):
    project = await deliberation.project_in_review()
    meeting = await deliberation.decide(project["id"], "review", ["yes"] * 5 + ["no"], ratings=[5, 4, 5, 3, 4, 5])
    after = await deliberation.project(project["id"])
    assert (after["stage"], after["review_accepted"]) == ("accepted", True)
    closed = await deliberation.act(project["id"], "close")
    assert closed.status_code == 200 and closed.json()["stage"] == "closed"
    assert meeting["ratings"] == {"count": 6, "mean": 26 / 6, "distribution": {"1": 0, "2": 0, "3": 1, "4": 2, "5": 3}}


async def test_review_completed_carries_every_rating_and_the_decision(deliberation):
    project = await deliberation.project_in_review()
    meeting = await deliberation.decide(project["id"], "review", ["yes"] * 5, ratings=[5, 4, 4, 5, 2])
    [event] = await deliberation.events("review.completed")
    data = event.data
    assert data["project_id"] == project["id"] and data["meeting_id"] == meeting["id"]
    assert (data["station_id"], data["community_id"], data["subdistrict_id"]) == (
        project["station_id"],
        project["community_id"],
        project["subdistrict_id"],
    )
    assert sorted(r["score"] for r in data["ratings"]) == [2, 4, 4, 5, 5]
    assert all(r["resident_id"] for r in data["ratings"])
    assert data["mean"] == 4.0 and data["accepted"] is True


async def test_a_rejecting_review_sends_the_work_back_to_implementation(deliberation):
    project = await deliberation.project_in_review()
    await deliberation.decide(project["id"], "review", ["no"] * 4 + ["yes"], ratings=[2, 2, 3, 1, 4])
    after = await deliberation.project(project["id"])
    assert (after["stage"], after["review_accepted"], after["rework_count"]) == ("implementation", False, 1)
    [event] = await deliberation.events("review.completed")
    assert event.data["accepted"] is False
    problem(await deliberation.act(project["id"], "close"), 409, "review_not_accepted")
    # After rework the honest progress may be lower than the 100 % submitted, once.
    url = f"/api/v1/projects/{project['id']}/progress"
    lower = await deliberation.http.post(url, headers=deliberation.secretary, json={"progress_percent": 80})
    assert lower.status_code == 200, lower.text
    problem(
        await deliberation.http.post(url, headers=deliberation.secretary, json={"progress_percent": 70}),
        422,
        "progress_decreased",
    )
    await deliberation.http.post(url, headers=deliberation.secretary, json={"progress_percent": 100})
    assert (await deliberation.act(project["id"], "submit_for_review")).json()["review_accepted"] is None
    await deliberation.decide(project["id"], "review", ["yes"] * 5)
    assert (await deliberation.project(project["id"]))["stage"] == "accepted"


async def test_ratings_are_1_to_5_once_per_checked_in_resident_of_the_community(deliberation):
    project = await deliberation.project_in_review()
    meeting = await deliberation.schedule(project["id"], "review")
    url = f"/api/v1/meetings/{meeting['id']}/ratings"
    [(subject, headers)] = await deliberation.check_in(meeting["id"], 1)
    problem(await deliberation.http.post(url, headers=headers, json={"score": 5}), 409, "meeting_not_open")
    await deliberation.open(meeting["id"])
    assert (
        problem(await deliberation.http.post(url, headers=headers, json={"score": 6}), 422, "out_of_range")["field"]
        == "score"
    )
    assert (await deliberation.http.post(url, headers=headers, json={"score": 4})).status_code == 201
    problem(await deliberation.http.post(url, headers=headers, json={"score": 5}), 409, "already_rated")
    _, stranger = resident()
    problem(await deliberation.http.post(url, headers=stranger, json={"score": 5}), 409, "not_checked_in")
    _, outsider = resident(community_id=OTHER_COMMUNITY_ID)
    problem(await deliberation.http.post(url, headers=outsider, json={"score": 5}), 409, "not_eligible")
    await deliberation.close(meeting["id"], attendee_count=3)
    problem(await deliberation.http.post(url, headers=headers, json={"score": 5}), 409, "meeting_closed")
    assert await deliberation.count(ReviewRating) == 1
    # Fewer than 5 ratings: the mean is not shown, so no single resident's rating is exposed.
    summary = (await deliberation.http.get(f"/api/v1/meetings/{meeting['id']}")).json()["ratings"]
    assert summary["count"] == 1 and summary["mean"] is None


async def test_only_review_meetings_collect_ratings(deliberation):
    project = await deliberation.propose()
    meeting = await deliberation.schedule(project["id"], "hearing")
    await deliberation.open(meeting["id"])
    [(_, headers)] = await deliberation.check_in(meeting["id"], 1)
    response = await deliberation.http.post(
        f"/api/v1/meetings/{meeting['id']}/ratings", headers=headers, json={"score": 5}
    )
    problem(response, 409, "not_a_review_meeting")
