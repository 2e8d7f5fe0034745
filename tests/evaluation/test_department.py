"""The department's inbox: every rating reaches its subdistrict's department; low scores are followed up."""

from __future__ import annotations

import uuid

from tests.conftest import bearer
from tests.evaluation.conftest import (
    DEPARTMENT,
    OTHER_STATION_ID,
    OTHER_SUBDISTRICT_ID,
    RESIDENT,
    SECRETARY,
    SOCIAL_WORKER,
    department,
    resident,
    staff,
    ticket_closed,
)

HEALTH_DEPARTMENT = str(uuid.uuid5(uuid.NAMESPACE_URL, "health-department"))


async def _rated(harness, attitude: int, ability: int, comment: str | None = None, **ticket) -> dict:
    data, token = await harness.closed_with_token(**ticket)
    response = await harness.client.post(
        "/api/v1/ratings", json={"token": token, "attitude": attitude, "ability": ability, "comment": comment}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _departments(harness) -> None:
    subdistrict = ticket_closed()["subdistrict_id"]
    await harness.publish(
        "department.created",
        {
            "id": DEPARTMENT,
            "name": "民政科",
            "kind": "civil_affairs",
            "subdistrict_id": subdistrict,
            "service_categories": [],
        },
    )
    await harness.publish(
        "department.created",
        {
            "id": HEALTH_DEPARTMENT,
            "name": "卫生科",
            "kind": "health",
            "subdistrict_id": subdistrict,
            "service_categories": ["health"],
        },
    )


async def test_every_rating_reaches_the_department_of_its_subdistrict_and_no_other(harness):
    await _departments(harness)
    mine = await _rated(harness, 5, 4, "谢谢")
    health = await _rated(harness, 4, 4, service_category="health")
    await _rated(harness, 5, 5, station_id=OTHER_STATION_ID, subdistrict_id=OTHER_SUBDISTRICT_ID)
    inbox = (await harness.client.get("/api/v1/ratings", headers=department())).json()["items"]
    assert {item["id"] for item in inbox} == {mine["id"], health["id"]}
    routed = {item["id"]: item["department_id"] for item in inbox}
    assert routed[mine["id"]] == DEPARTMENT  # civil affairs by default
    assert routed[health["id"]] == HEALTH_DEPARTMENT  # the department covering the category
    assert next(item for item in inbox if item["id"] == mine["id"])["comment"] == "谢谢"
    assert "resident_id" not in inbox[0] and RESIDENT not in str(inbox)
    other = (await harness.client.get("/api/v1/ratings", headers=department(OTHER_SUBDISTRICT_ID))).json()["items"]
    assert mine["id"] not in {item["id"] for item in other}
    single = await harness.client.get(f"/api/v1/ratings/{mine['id']}", headers=department(OTHER_SUBDISTRICT_ID))
    assert single.status_code == 404


async def test_a_district_level_department_sees_what_was_routed_to_it(harness):
    await _departments(harness)
    rating = await _rated(harness, 5, 5)
    district_level = bearer("department", "d", department_id=DEPARTMENT)
    items = (await harness.client.get("/api/v1/ratings", headers=district_level)).json()["items"]
    assert [item["id"] for item in items] == [rating["id"]]


async def test_station_staff_and_residents_cannot_read_the_inbox(harness):
    rating = await _rated(harness, 1, 1, "很差")
    for headers in (staff(), staff(SECRETARY, "secretary"), resident()):
        assert (await harness.client.get("/api/v1/ratings", headers=headers)).status_code == 403
        assert (await harness.client.get(f"/api/v1/ratings/{rating['id']}", headers=headers)).status_code == 403
    assert (await harness.client.get("/api/v1/ratings")).status_code == 401


async def test_two_or_lower_on_either_dimension_is_flagged_and_stays_open_until_the_department_acts(harness):
    low_attitude = await _rated(harness, 2, 5, "态度不好")
    low_ability = await _rated(harness, 4, 1)
    fine = await _rated(harness, 3, 3)
    flagged = (await harness.client.get("/api/v1/ratings", params={"follow_up": "open"}, headers=department())).json()
    assert {item["id"] for item in flagged["items"]} == {low_attitude["id"], low_ability["id"]}
    assert fine["id"] not in {item["id"] for item in flagged["items"]}
    recorded = await harness.client.post(
        f"/api/v1/ratings/{low_attitude['id']}/follow-ups",
        json={"action": "contacted_resident", "note": "已电话回访，居民表示理解"},
        headers=department(),
    )
    assert recorded.status_code == 201, recorded.text
    still_open = (
        await harness.client.get("/api/v1/ratings", params={"follow_up": "open"}, headers=department())
    ).json()
    assert [item["id"] for item in still_open["items"]] == [low_ability["id"]]
    done = (await harness.client.get(f"/api/v1/ratings/{low_attitude['id']}", headers=department())).json()
    assert done["follow_up_done"] is True
    assert done["follow_ups"][0]["action"] == "contacted_resident"
    assert done["follow_ups"][0]["note"] == "已电话回访，居民表示理解"
    assert done["attitude"] == 2  # the rating itself is unchanged
    events = await harness.outbox_events("evaluation.follow_up_recorded")
    assert [e.data["rating_id"] for e in events] == [low_attitude["id"]]


async def test_only_the_subdistricts_department_records_follow_ups(harness):
    rating = await _rated(harness, 1, 1)
    body = {"action": "other", "note": "x"}
    path = f"/api/v1/ratings/{rating['id']}/follow-ups"
    assert (await harness.client.post(path, json=body, headers=department(OTHER_SUBDISTRICT_ID))).status_code == 404
    assert (await harness.client.post(path, json=body, headers=staff())).status_code == 403
    assert (await harness.client.post(path, json=body, headers=bearer("subdistrict_admin", "a"))).status_code == 403
    bad = await harness.client.post(path, json={"action": "ignored_it", "note": "x"}, headers=department())
    assert bad.status_code == 422 and bad.json()["field"] == "action"


async def test_an_appeal_is_a_separate_record_the_department_decides(harness):
    rating = await _rated(harness, 1, 2, "与本站无关")
    ticket_id = rating["ticket_id"]
    appeal = await harness.client.post(
        "/api/v1/ratings/appeals", json={"ticket_id": ticket_id, "reason": "评价的是医院排队"}, headers=staff()
    )
    assert appeal.status_code == 201, appeal.text
    assert "attitude" not in appeal.json()  # the social worker does not see the scores
    again = await harness.client.post(
        "/api/v1/ratings/appeals",
        json={"ticket_id": ticket_id, "reason": "再次"},
        headers=staff(SECRETARY, "secretary"),
    )
    assert again.status_code == 409 and again.json()["code"] == "appeal_exists"
    pending = (await harness.client.get("/api/v1/ratings/appeals", headers=department())).json()["items"]
    assert [item["status"] for item in pending] == ["pending"]
    path = f"/api/v1/ratings/appeals/{appeal.json()['id']}/decision"
    assert (
        await harness.client.post(path, json={"outcome": "upheld", "note": "x"}, headers=staff())
    ).status_code == 403
    decided = await harness.client.post(
        path, json={"outcome": "upheld", "note": "经核实与本站无关"}, headers=department()
    )
    assert decided.status_code == 200 and decided.json()["status"] == "upheld"
    twice = await harness.client.post(path, json={"outcome": "rejected", "note": "x"}, headers=department())
    assert twice.status_code == 409
    stored = (await harness.client.get(f"/api/v1/ratings/{rating['id']}", headers=department())).json()
    assert (stored["attitude"], stored["ability"]) == (1, 2)  # immutable; the appeal is beside it
    assert stored["appeal"]["status"] == "upheld"
    own = (await harness.client.get("/api/v1/ratings/appeals", headers=staff())).json()["items"]
    assert [item["decision_note"] for item in own] == ["经核实与本站无关"]


async def test_only_the_rated_worker_or_their_secretary_may_appeal(harness):
    rating = await _rated(harness, 1, 1)
    body = {"ticket_id": rating["ticket_id"], "reason": "x"}
    for headers in (staff("another-worker"), staff(SECRETARY, "secretary", station_id=OTHER_STATION_ID), resident()):
        response = await harness.client.post("/api/v1/ratings/appeals", json=body, headers=headers)
        assert response.status_code == 404
    unrated = await harness.close_ticket()
    response = await harness.client.post(
        "/api/v1/ratings/appeals", json={"ticket_id": unrated["ticket_id"], "reason": "x"}, headers=staff(SOCIAL_WORKER)
    )
    assert response.status_code == 404
