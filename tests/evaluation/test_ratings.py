"""Ratings: two dimensions, one per ticket, immutable, kept as at ticket close, never by a handler."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from evaluation_service.ratings.models import Rating, RatingIsImmutable
from shared.ids import utcnow
from tests.evaluation.conftest import (
    DEMO_COMMUNITY_ID,
    DEPARTMENT,
    RECEPTIONIST,
    RESIDENT,
    SECRETARY,
    SOCIAL_WORKER,
    resident,
    staff,
    ticket_closed,
)


async def _rate(harness, token: str, **body) -> httpx.Response:
    return await harness.client.post("/api/v1/ratings", json={"token": token, "attitude": 4, "ability": 5, **body})


async def _stored(harness, ticket_id: str) -> Rating | None:
    return await harness.scalar(sa.select(Rating).where(Rating.ticket_id == uuid.UUID(ticket_id)))


async def _stored_rating(harness, ticket_id: str) -> Rating:
    rating = await _stored(harness, ticket_id)
    assert rating is not None
    return rating


async def test_a_resident_rates_with_the_token_and_the_rating_keeps_the_ticket_as_closed(harness):
    data, token = await harness.closed_with_token()
    response = await _rate(harness, token, comment="  很耐心  ")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["attitude"], body["ability"], body["comment"]) == (4, 5, "很耐心")
    assert set(body) == {"id", "ticket_id", "attitude", "ability", "comment", "channel", "submitted_at"}
    rating = await _stored_rating(harness, data["ticket_id"])
    assert rating.social_worker_id == SOCIAL_WORKER
    assert str(rating.station_id) == data["station_id"]
    assert str(rating.community_id) == DEMO_COMMUNITY_ID
    assert str(rating.subdistrict_id) == data["subdistrict_id"]
    assert rating.channel == "resident_app"
    assert rating.follow_up_required is False


async def test_the_rating_does_not_move_when_the_station_changes_later(harness):
    data, token = await harness.closed_with_token()
    await harness.publish(
        "station.updated",
        {"id": data["station_id"], "name": "新名字", "subdistrict_id": str(uuid.uuid4()), "community_name": "改名社区"},
    )
    assert (await _rate(harness, token)).status_code == 201
    rating = await _stored_rating(harness, data["ticket_id"])
    assert str(rating.subdistrict_id) == data["subdistrict_id"]
    assert rating.community_name == "市新居委会"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"attitude": 0}, "attitude"),
        ({"ability": 6}, "ability"),
        ({"attitude": "good"}, "attitude"),
        ({"comment": "长" * 501}, "comment"),
    ],
)
async def test_scores_outside_1_to_5_or_a_long_comment_are_refused_naming_the_field(harness, body, field):
    data, token = await harness.closed_with_token()
    response = await _rate(harness, token, **body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert await _stored(harness, data["ticket_id"]) is None
    assert (await _rate(harness, token)).status_code == 201  # the token was not used up


async def test_a_ticket_is_rated_once_and_the_second_submission_is_409(harness):
    data, token = await harness.closed_with_token()
    assert (await _rate(harness, token, attitude=5)).status_code == 201
    second = await _rate(harness, token, attitude=1)
    assert second.status_code == 409
    assert second.json()["code"] == "already_rated"
    assert (await _stored_rating(harness, data["ticket_id"])).attitude == 5


async def test_an_unknown_token_is_404_and_one_just_before_expiry_still_works(harness):
    _, token = await harness.closed_with_token(closed_at=utcnow() - timedelta(days=13, hours=23, minutes=50))
    unknown = await _rate(harness, "A" * 43)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "invitation_not_found"
    malformed = await _rate(harness, "<script>")
    assert malformed.status_code == 404
    assert (await _rate(harness, token)).status_code == 201


async def test_a_token_that_expired_after_it_was_issued_is_410(harness):
    data, token = await harness.closed_with_token()
    harness.app.state.clock = lambda: utcnow() + timedelta(days=15)
    response = await _rate(harness, token)
    assert response.status_code == 410
    assert response.json()["code"] == "invitation_expired"
    assert await _stored(harness, data["ticket_id"]) is None


async def test_ratings_cannot_be_changed_or_deleted(harness):
    data, token = await harness.closed_with_token()
    rating_id = (await _rate(harness, token)).json()["id"]
    for method in ("PUT", "PATCH", "DELETE"):
        response = await harness.client.request(
            method, f"/api/v1/ratings/{rating_id}", json={"attitude": 1}, headers=staff()
        )
        assert response.status_code == 405
    async with harness.database.sessionmaker() as session:
        rating = await session.get(Rating, uuid.UUID(rating_id))
        rating.attitude = 1
        with pytest.raises(RatingIsImmutable):
            await session.flush()
    assert (await _stored_rating(harness, data["ticket_id"])).attitude == 4


async def test_a_staff_member_who_handled_the_ticket_cannot_rate_it(harness):
    data, token = await harness.closed_with_token()
    for who in (SOCIAL_WORKER, RECEPTIONIST):
        response = await harness.client.post(
            "/api/v1/ratings", json={"token": token, "attitude": 5, "ability": 5}, headers=staff(who)
        )
        assert response.status_code == 403
        assert response.json()["code"] == "rater_handled_ticket"
    assert await _stored(harness, data["ticket_id"]) is None
    # Staff who did not handle it, or the resident, may.
    ok = await harness.client.post(
        "/api/v1/ratings", json={"token": token, "attitude": 5, "ability": 5}, headers=resident()
    )
    assert ok.status_code == 201


async def test_a_ticket_raised_for_a_staff_member_who_handled_it_cannot_be_rated(harness):
    data = await harness.close_ticket(resident_id=SOCIAL_WORKER)
    token = (await harness.link(data["ticket_id"], headers=staff(SECRETARY, "secretary")))["token"]
    response = await _rate(harness, token)
    assert response.status_code == 403
    invitation = await harness.invitation(data["ticket_id"])
    in_person = await harness.client.post(
        f"/api/v1/evaluations/invitations/{invitation.id}/in-person",
        json={"attitude": 5, "ability": 5, "resident_confirmed": True},
        headers=staff(SECRETARY, "secretary"),
    )
    assert in_person.status_code == 403


async def test_in_person_needs_the_residents_confirmation_and_records_the_channel(harness):
    data = await harness.close_ticket()
    invitation = await harness.invitation(data["ticket_id"])
    path = f"/api/v1/evaluations/invitations/{invitation.id}/in-person"
    colleague = staff(SECRETARY, "secretary")  # did not handle the ticket
    unconfirmed = await harness.client.post(
        path, json={"attitude": 2, "ability": 3, "resident_confirmed": False}, headers=colleague
    )
    assert unconfirmed.status_code == 422
    assert unconfirmed.json()["field"] == "resident_confirmed"
    _, code = await harness.desk_link(data["ticket_id"], colleague)
    confirmed = await harness.client.post(
        path, json={"attitude": 2, "ability": 3, "resident_confirmed": True, "resident_code": code}, headers=colleague
    )
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["channel"] == "in_person"
    rating = await _stored_rating(harness, data["ticket_id"])
    assert rating.submitted_by == SECRETARY
    assert rating.resident_confirmed is True
    assert rating.follow_up_required is True
    # The resident's own link is then used up.
    token = await harness.client.post(f"/api/v1/evaluations/invitations/{invitation.id}/token", headers=resident())
    assert token.status_code == 409


async def test_in_person_only_by_staff_of_the_tickets_station(harness):
    data = await harness.close_ticket()
    invitation = await harness.invitation(data["ticket_id"])
    path = f"/api/v1/evaluations/invitations/{invitation.id}/in-person"
    body = {"attitude": 5, "ability": 5, "resident_confirmed": True}
    elsewhere = await harness.client.post(path, json=body, headers=staff("x", station_id=str(uuid.uuid4())))
    assert elsewhere.status_code == 404
    as_resident = await harness.client.post(path, json=body, headers=resident())
    assert as_resident.status_code == 403
    assert await _stored(harness, data["ticket_id"]) is None


async def test_the_in_person_channel_cannot_be_claimed_with_a_token(harness):
    _, token = await harness.closed_with_token()
    response = await _rate(harness, token, channel="in_person")
    assert response.status_code == 403


async def test_every_rating_is_published_for_the_department_without_the_resident(harness):
    await harness.publish(
        "department.created",
        {
            "id": DEPARTMENT,
            "name": "陆家嘴街道民政科",
            "kind": "civil_affairs",
            "subdistrict_id": ticket_closed()["subdistrict_id"],
            "service_categories": ["daily_life"],
        },
    )
    data, token = await harness.closed_with_token()
    await _rate(harness, token, attitude=2, ability=4, comment="等了很久")
    [event] = await harness.outbox_events("evaluation.submitted")
    assert event.data["ticket_id"] == data["ticket_id"]
    assert event.data["follow_up_required"] is True
    assert event.data["department_id"] == DEPARTMENT
    assert event.data["subdistrict_id"] == data["subdistrict_id"]
    assert event.data["comment"] == "等了很久"
    assert RESIDENT not in event.to_json().decode()
