"""Residents' personal data in the evaluation service: a phone number typed into a comment or a note is
masked in the department's inbox and its event, reports name no resident, and a year after a ticket
closed the resident's account and words are removed while every report figure stays the same."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from evaluation_service.invitations.models import Invitation
from evaluation_service.ratings.models import FollowUp, Rating
from evaluation_service.tickets.models import ClosedTicket
from shared.events.tables import outbox_message
from shared.ids import utcnow
from tests.conftest import bearer
from tests.evaluation.conftest import RESIDENT, SOCIAL_WORKER, department

PHONE = "13912345678"
MASKED = "139****5678"
ADMIN = bearer("district_admin")


async def _rate(harness, comment: str | None, attitude: int = 2, **ticket) -> dict:
    data, token = await harness.closed_with_token(**ticket)
    response = await harness.client.post(
        "/api/v1/ratings", json={"token": token, "attitude": attitude, "ability": 4, "comment": comment}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _reports(harness, year: int) -> dict[str, str]:
    answers = {}
    for name, path, params in (
        ("social_workers", "/api/v1/evaluations/reports/social-workers", {}),
        ("stations", "/api/v1/evaluations/reports/stations", {}),
        ("assessment_json", "/api/v1/performance-assessments", {"format": "json"}),
        ("assessment_csv", "/api/v1/performance-assessments", {"format": "csv"}),
        ("assessment_html", "/api/v1/performance-assessments", {"format": "html"}),
        ("one_assessment", f"/api/v1/performance-assessments/{SOCIAL_WORKER}", {}),
    ):
        response = await harness.client.get(path, params={"year": year, **params}, headers=ADMIN)
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.text
    return answers


async def test_the_department_reads_comments_and_notes_with_phone_numbers_masked(harness):
    rating = await _rate(harness, f"态度不好，请打{PHONE}联系我")
    assert rating["comment"] == f"态度不好，请打{PHONE}联系我"  # the resident is shown their own words
    follow_up = await harness.client.post(
        f"/api/v1/ratings/{rating['id']}/follow-ups",
        headers=department(),
        json={"action": "contacted_resident", "note": f"已致电{PHONE}，居民接受道歉"},
    )
    assert follow_up.status_code == 201, follow_up.text
    inbox = await harness.client.get("/api/v1/ratings", headers=department())
    one = await harness.client.get(f"/api/v1/ratings/{rating['id']}", headers=department())
    for item in (next(item for item in inbox.json()["items"] if item["id"] == rating["id"]), one.json()):
        assert item["comment"] == f"态度不好，请打{MASKED}联系我"
        assert item["follow_ups"][0]["note"] == f"已致电{MASKED}，居民接受道歉"
    assert PHONE not in inbox.text and PHONE not in one.text
    events = await harness.outbox_events("evaluation.submitted")
    assert [event.data["comment"] for event in events] == [f"态度不好，请打{MASKED}联系我"]


async def test_reports_name_no_resident(harness):
    closed_at = utcnow() - timedelta(hours=1)
    for _ in range(5):
        await _rate(harness, f"请回电{PHONE}", attitude=4, closed_at=closed_at)
    year = closed_at.astimezone(ZoneInfo("Asia/Shanghai")).year
    for name, text in (await _reports(harness, year)).items():
        assert PHONE not in text and MASKED not in text and RESIDENT not in text, name
        assert "请回电" not in text, name  # no resident's words at all


async def test_retention_removes_the_residents_data_and_keeps_every_figure(harness):
    closed_at = utcnow() - timedelta(hours=1)
    ratings = [
        await _rate(harness, f"请回电{PHONE}", attitude=attitude, closed_at=closed_at) for attitude in (1, 3, 4, 5, 5)
    ]
    follow_up = await harness.client.post(
        f"/api/v1/ratings/{ratings[0]['id']}/follow-ups",
        headers=department(),
        json={"action": "contacted_resident", "note": f"已致电{PHONE}"},
    )
    assert follow_up.status_code == 201
    recent = await harness.close_ticket(closed_at=closed_at + timedelta(days=300))  # closed later: kept
    year = closed_at.astimezone(ZoneInfo("Asia/Shanghai")).year
    before = await _reports(harness, year)
    assert '"count":5,' in before["social_workers"] and '"mean_attitude":3.6' in before["social_workers"]
    scores_before = {(r.ticket_id, r.attitude, r.ability, r.follow_up_required) for r in await _all(harness, Rating)}
    published = len(await _all(harness, outbox_message))
    anonymiser = harness.app.state.anonymiser
    assert harness.settings.personal_data_retention_days == 365

    assert await anonymiser.run_once(closed_at + timedelta(days=364)) == 0
    moment = closed_at + timedelta(days=366)
    assert await anonymiser.run_once(moment) == 5
    assert await anonymiser.run_once(moment) == 0

    assert await _reports(harness, year) == before
    assert {(r.ticket_id, r.attitude, r.ability, r.follow_up_required) for r in await _all(harness, Rating)} == (
        scores_before
    )
    assert all(rating.comment is None for rating in await _all(harness, Rating))
    assert [note.note for note in await _all(harness, FollowUp)] == ["已致电139****5678"]
    tickets = {str(ticket.ticket_id): ticket for ticket in await _all(harness, ClosedTicket)}
    invitations = {str(invitation.ticket_id): invitation for invitation in await _all(harness, Invitation)}
    for rating in ratings:
        assert tickets[rating["ticket_id"]].resident_id is None
        assert tickets[rating["ticket_id"]].personal_data_removed_at == moment
        assert invitations[rating["ticket_id"]].resident_id is None
    assert tickets[recent["ticket_id"]].resident_id == RESIDENT
    assert invitations[recent["ticket_id"]].resident_id == RESIDENT
    assert len(await _all(harness, outbox_message)) == published  # nothing published


async def _all(harness, table) -> list:
    async with harness.database.sessionmaker() as session:
        if isinstance(table, sa.Table):
            return list((await session.execute(sa.select(table))).all())
        return list((await session.scalars(sa.select(table))).all())
