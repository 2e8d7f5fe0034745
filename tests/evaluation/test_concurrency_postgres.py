"""Exactly one rating per ticket under concurrency, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from evaluation_service.invitations.models import Invitation
from evaluation_service.ratings.models import Rating
from tests.evaluation.conftest import SECRETARY, harness_for, staff


async def _ratings(harness, ticket_id: str) -> int:
    return await harness.scalar(
        sa.select(sa.func.count()).select_from(Rating).where(Rating.ticket_id == uuid.UUID(ticket_id))
    )


async def test_of_concurrent_submissions_with_the_token_one_is_stored_and_the_others_get_409(fresh_databases):
    url = await fresh_databases("evaluation")
    async with harness_for(url, rate_limit_per_address=1000) as harness:
        data, token = await harness.closed_with_token()
        responses = await asyncio.gather(
            *(
                harness.client.post("/api/v1/ratings", json={"token": token, "attitude": score, "ability": score})
                for score in (1, 2, 3, 4, 5, 5)
            )
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201, 409, 409, 409, 409, 409]
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_rated"}
        assert await _ratings(harness, data["ticket_id"]) == 1
        assert len(await harness.outbox_events("evaluation.submitted")) == 1


async def test_in_person_and_the_residents_link_at_once_store_one_rating(fresh_databases):
    url = await fresh_databases("evaluation")
    async with harness_for(url) as harness:
        data = await harness.close_ticket()
        invitation = await harness.invitation(data["ticket_id"])
        colleague = staff(SECRETARY, "secretary")  # did not handle the ticket; the code went to the resident
        token, code = await harness.desk_link(data["ticket_id"], colleague)
        link = harness.client.post(
            "/api/v1/ratings", json={"token": token, "attitude": 5, "ability": 5, "resident_code": code}
        )
        in_person = harness.client.post(
            f"/api/v1/evaluations/invitations/{invitation.id}/in-person",
            json={"attitude": 3, "ability": 3, "resident_confirmed": True, "resident_code": code},
            headers=colleague,
        )
        responses = await asyncio.gather(link, in_person)
        assert sorted(r.status_code for r in responses) == [201, 409]
        assert await _ratings(harness, data["ticket_id"]) == 1


async def test_the_database_itself_refuses_a_second_rating_of_a_ticket(fresh_databases):
    """The unique constraint holds even for writers that bypass the redemption step."""
    url = await fresh_databases("evaluation")
    async with harness_for(url) as harness:
        data = await harness.close_ticket()
        invitation: Invitation = await harness.invitation(data["ticket_id"])
        ticket_id = uuid.UUID(data["ticket_id"])

        def row(invitation_id: uuid.UUID) -> Rating:
            return Rating(
                ticket_id=ticket_id,
                invitation_id=invitation_id,
                attitude=5,
                ability=5,
                channel="link",
                station_id=invitation.station_id,
                community_name="市新居委会",
                subdistrict_id=invitation.subdistrict_id,
                ticket_closed_at=invitation.created_at,
                follow_up_required=False,
            )

        other = await harness.close_ticket()
        other_invitation = await harness.invitation(other["ticket_id"])
        async with harness.database.transaction() as session:
            session.add(row(invitation.id))
        with pytest.raises(IntegrityError):
            async with harness.database.transaction() as session:
                session.add(row(other_invitation.id))  # another invitation, the same ticket
        assert await _ratings(harness, data["ticket_id"]) == 1
