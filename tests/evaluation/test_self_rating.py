"""Issue 12, point 6: staff never rate their own work.

The report: the receptionist who handled a ticket asked for its rating link (201), then posted the `/e/{token}`
form without signing in, and a 5/5 was stored. Now nobody who handled a ticket gets a link or submits in
person for it; the resident gets their own link from their account; a colleague's desk link counts only
with the code sent to the resident; and no POST without a valid current token stores anything.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from evaluation_service.invitations.models import Invitation
from evaluation_service.ratings.models import Rating
from shared.ids import utcnow
from tests.evaluation.conftest import RECEPTIONIST, SECRETARY, SOCIAL_WORKER, harness_for, resident, staff

RECEPTION = staff(RECEPTIONIST, "receptionist")
COLLEAGUE = staff(SECRETARY, "secretary")  # same station, did not handle the ticket
FIVE = {"attitude": "5", "ability": "5"}


async def _ratings(harness) -> int:
    return await harness.scalar(sa.select(sa.func.count()).select_from(Rating))


async def _invitation_id(harness, ticket_id: str) -> uuid.UUID:
    return (await harness.invitation(ticket_id)).id


async def test_the_receptionist_who_handled_the_ticket_gets_no_link_to_rate_it(harness):
    data = await harness.close_ticket(handled_by=[RECEPTIONIST, SOCIAL_WORKER])
    invitation_id = await _invitation_id(harness, data["ticket_id"])
    for handler in (RECEPTION, staff()):
        response = await harness.client.post(f"/api/v1/evaluations/invitations/{invitation_id}/token", headers=handler)
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "handled_ticket"
        assert "token" not in response.json()
    assert (await harness.invitation(data["ticket_id"])).token_issued_at is None  # nothing was issued
    assert await _ratings(harness) == 0


async def test_a_handler_cannot_submit_in_person_even_with_the_residents_code(harness):
    data = await harness.close_ticket(handled_by=[RECEPTIONIST, SOCIAL_WORKER])
    invitation_id = await _invitation_id(harness, data["ticket_id"])
    path = f"/api/v1/evaluations/invitations/{invitation_id}/in-person"
    as_before = await harness.client.post(
        path, json={"attitude": 5, "ability": 5, "resident_confirmed": True}, headers=RECEPTION
    )
    assert as_before.status_code == 403 and as_before.json()["code"] == "rater_handled_ticket"
    _, code = await harness.desk_link(data["ticket_id"], COLLEAGUE)  # even if the resident read it out to them
    for handler in (RECEPTION, staff()):
        response = await harness.client.post(
            path,
            json={"attitude": 5, "ability": 5, "resident_confirmed": True, "resident_code": code},
            headers=handler,
        )
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "rater_handled_ticket"
    assert await _ratings(harness) == 0


async def test_a_form_posted_without_a_valid_current_token_stores_nothing(harness):
    data, token = await harness.closed_with_token()
    replaced = token
    token = (await harness.link(data["ticket_id"]))["token"]  # a fresh link replaces the first one
    for path in ("/e", "/e/", "/e/ ", "/e/x", "/e/" + "A" * 43, f"/e/{replaced}", f"/e/{token}/x", f"/e/{token[:-1]}"):
        response = await harness.client.post(path, data=FIVE)
        assert response.status_code in (404, 405), (path, response.status_code)
    api = await harness.client.post("/api/v1/ratings", json={"token": "", "attitude": 5, "ability": 5})
    assert api.status_code == 422
    api = await harness.client.post("/api/v1/ratings", json={"token": replaced, "attitude": 5, "ability": 5})
    assert api.status_code == 404
    assert await _ratings(harness) == 0
    assert (await harness.client.post(f"/e/{token}", data=FIVE)).status_code == 200  # the current one works
    assert await _ratings(harness) == 1


async def test_the_resident_gets_their_link_from_their_own_account_and_rates_without_a_code(harness):
    data = await harness.close_ticket()
    listed = await harness.client.get("/api/v1/evaluations/invitations", headers=resident())
    (invitation,) = listed.json()["items"]
    assert invitation["ticket_id"] == data["ticket_id"] and invitation["redeemed_at"] is None
    link = await harness.client.post(f"/api/v1/evaluations/invitations/{invitation['id']}/token", headers=resident())
    assert link.status_code == 201, link.text
    assert link.json()["resident_code_required"] is False
    assert await harness.outbox_events("evaluation.rating_code_issued") == []
    form = await harness.client.get(f"/e/{link.json()['token']}")
    assert form.status_code == 200 and 'name="resident_code"' not in form.text
    response = await harness.client.post(f"/e/{link.json()['token']}", data={**FIVE, "via": "link"})
    assert response.status_code == 200 and "感谢您的评价" in response.text
    rating = await harness.scalar(sa.select(Rating))
    assert (rating.attitude, rating.channel) == (5, "link")


async def test_a_desk_link_counts_only_with_the_code_sent_to_the_resident(harness):
    data = await harness.close_ticket()
    listed = (await harness.client.get("/api/v1/evaluations/invitations", headers=COLLEAGUE)).json()["items"]
    assert [item["ticket_id"] for item in listed] == [data["ticket_id"]]
    first_token, first_code = await harness.desk_link(data["ticket_id"], COLLEAGUE)
    token, code = await harness.desk_link(data["ticket_id"], COLLEAGUE)  # asked again: a new link and code
    assert (
        await harness.client.post(f"/e/{first_token}", data={**FIVE, "resident_code": first_code})
    ).status_code == 404
    form = await harness.client.get(f"/e/{token}?via=qr")
    assert form.status_code == 200 and 'name="resident_code"' in form.text and "验证码" in form.text

    # Whoever holds the QR code (the colleague, or a handler they hand it to) cannot rate without the code.
    without = await harness.client.post(f"/e/{token}", data={**FIVE, "via": "qr"})
    assert without.status_code == 422 and "6 位评价验证码" in without.text
    wrong = "000000" if code != "000000" else "111111"
    mistyped = await harness.client.post(f"/e/{token}", data={**FIVE, "via": "qr", "resident_code": wrong})
    assert mistyped.status_code == 422 and "验证码不正确" in mistyped.text
    assert 'value="5" required checked' in mistyped.text  # the scores stay chosen
    api = await harness.client.post("/api/v1/ratings", json={"token": token, "attitude": 5, "ability": 5})
    assert api.status_code == 422 and api.json()["code"] == "resident_code_required"
    assert api.json()["field"] == "resident_code"
    assert await _ratings(harness) == 0

    spaced = f"{code[:3]} {code[3:]}"
    rated = await harness.client.post(
        f"/e/{token}", data={"attitude": "4", "ability": "3", "via": "qr", "resident_code": spaced}
    )
    assert rated.status_code == 200 and "感谢您的评价" in rated.text
    rating = await harness.scalar(sa.select(Rating))
    assert (rating.attitude, rating.ability, rating.channel) == (4, 3, "qr")


async def test_the_code_is_tried_a_bounded_number_of_times_and_expires(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'e.db'}"
    async with harness_for(url, resident_code_max_attempts=3, resident_code_valid_minutes=5) as harness:
        data = await harness.close_ticket()
        token, code = await harness.desk_link(data["ticket_id"], COLLEAGUE)
        wrong = [f"{(int(code) + step) % 1_000_000:06d}" for step in (1, 2, 3)]
        for guess in wrong:
            response = await harness.client.post(
                "/api/v1/ratings", json={"token": token, "attitude": 5, "ability": 5, "resident_code": guess}
            )
            assert response.json()["code"] == "resident_code_invalid"
        spent = await harness.client.post(
            "/api/v1/ratings", json={"token": token, "attitude": 5, "ability": 5, "resident_code": code}
        )
        assert spent.status_code == 422 and spent.json()["code"] == "resident_code_exhausted"
        invitation = await harness.invitation(data["ticket_id"])
        assert invitation.resident_code_attempts == 3 and invitation.redeemed_at is None

        # A new code (the colleague asks again) is good for its minutes only.
        token, code = await harness.desk_link(data["ticket_id"], COLLEAGUE)
        async with harness.database.transaction() as session:
            await session.execute(
                sa.update(Invitation)
                .where(Invitation.id == invitation.id)
                .values(resident_code_expires_at=utcnow() - timedelta(seconds=1))
            )
        old = await harness.client.post(
            "/api/v1/ratings", json={"token": token, "attitude": 5, "ability": 5, "resident_code": code}
        )
        assert old.status_code == 422 and old.json()["code"] == "resident_code_expired"
        assert await _ratings(harness) == 0
        # The resident's own link needs no code and replaces the desk link.
        own = (await harness.link(data["ticket_id"], headers=resident()))["token"]
        desk = await harness.client.post("/api/v1/ratings", json={"token": token, "attitude": 5, "ability": 5})
        assert desk.status_code == 404
        rated = await harness.client.post("/api/v1/ratings", json={"token": own, "attitude": 2, "ability": 2})
        assert rated.status_code == 201, rated.text
