"""Invitations: created on ticket.closed, tokens only as hashes, links and QR codes for the staff app."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from evaluation_service.invitations.models import Invitation
from evaluation_service.ratings.models import Rating
from evaluation_service.tickets.models import ClosedTicket
from shared.ids import stable_id, utcnow
from tests.conftest import bearer
from tests.evaluation.conftest import (
    DEMO_COMMUNITY_ID,
    OTHER_STATION_ID,
    RECEPTIONIST,
    RESIDENT,
    SECRETARY,
    SOCIAL_WORKER,
    harness_for,
    resident,
    staff,
    ticket_closed,
)


async def _count(harness, model, ticket_id: str) -> int:
    column = model.ticket_id
    return await harness.scalar(sa.select(sa.func.count()).select_from(model).where(column == uuid.UUID(ticket_id)))


async def test_a_closed_ticket_gets_one_invitation_that_expires_after_the_configured_days(tmp_path):
    async with harness_for(f"sqlite+aiosqlite:///{tmp_path / 'e.db'}", invitation_valid_days=3) as harness:
        closed_at = utcnow().replace(microsecond=0) - timedelta(hours=2)
        data = await harness.close_ticket(closed_at=closed_at)
        invitation = await harness.invitation(data["ticket_id"])
        assert invitation.expires_at == closed_at + timedelta(days=3)
        assert invitation.redeemed_at is None
        assert len(invitation.token_hash) == 64
        events = await harness.outbox_events("evaluation.invitation_created")
        assert [e.data["ticket_id"] for e in events] == [data["ticket_id"]]


async def test_the_same_closing_sent_again_under_a_new_message_id_is_one_invitation(harness):
    data = await harness.close_ticket()
    await harness.publish("ticket.closed", data)
    assert await _count(harness, Invitation, data["ticket_id"]) == 1
    assert await _count(harness, ClosedTicket, data["ticket_id"]) == 1
    assert harness.dead_letters() == []


async def test_an_event_missing_the_optional_fields_still_invites(harness):
    """The ticket service publishes fewer fields today; handled_by falls back to owner and completer."""
    minimal = {
        "ticket_id": str(uuid.uuid4()),
        "station_id": ticket_closed()["station_id"],
        "subdistrict_id": ticket_closed()["subdistrict_id"],
        "owner_id": RECEPTIONIST,
        "completed_by": SOCIAL_WORKER,
        "accepted_on_time": "yes",  # unreadable optional fields are ignored, not fatal
        "closed_at": "not a date",
    }
    await harness.publish("ticket.closed", minimal)
    assert harness.dead_letters() == []
    ticket = await harness.scalar(
        sa.select(ClosedTicket).where(ClosedTicket.ticket_id == uuid.UUID(minimal["ticket_id"]))
    )
    assert set(ticket.handled_by) == {RECEPTIONIST, SOCIAL_WORKER}
    assert ticket.accepted_on_time is None
    assert ticket.closed_at is not None
    await harness.invitation(minimal["ticket_id"])


async def test_community_id_comes_from_the_station_copy_when_the_event_lacks_it(harness):
    await harness.publish(
        "station.created",
        {
            "id": ticket_closed()["station_id"],
            "name": "市新居委会家门口服务站",
            "subdistrict_id": ticket_closed()["subdistrict_id"],
            "community_id": DEMO_COMMUNITY_ID,
            "community_name": "市新居委会",
        },
    )
    data = ticket_closed()
    del data["community_id"], data["community_name"]
    await harness.publish("ticket.closed", data)
    invitation = await harness.invitation(data["ticket_id"])
    assert str(invitation.community_id) == DEMO_COMMUNITY_ID
    assert invitation.community_name == "市新居委会"


async def test_an_event_without_a_ticket_id_is_dead_lettered_and_writes_nothing(harness):
    data = ticket_closed()
    del data["ticket_id"]
    await harness.publish("ticket.closed", data)
    assert len(harness.dead_letters()) == 1
    assert await harness.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


async def test_only_closed_tickets_are_invited(harness):
    data = await harness.close_ticket(status="cancelled")
    assert await _count(harness, Invitation, data["ticket_id"]) == 0
    # There is no API that creates an invitation: only a ticket.closed event does.
    response = await harness.client.post("/api/v1/evaluations/invitations", headers=staff(), json={})
    assert response.status_code == 405


async def test_the_handler_gets_a_link_and_qr_code_and_only_the_hash_is_stored(harness):
    data = await harness.close_ticket()
    link = await harness.link(data["ticket_id"])
    token = link["token"]
    assert len(token) >= 43  # 256 random bits, URL-safe base64
    assert link["url"].endswith(f"/e/{token}")
    assert link["qr_url"] == link["url"] + "?via=qr"
    assert link["qr_svg"].startswith("<svg") and "<path" in link["qr_svg"]
    assert link["qr_svg_data_uri"].startswith("data:image/svg+xml")
    invitation = await harness.invitation(data["ticket_id"])
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    # The token itself is nowhere in the database files.
    path = Path(harness.settings.database_url.split("///", 1)[1])
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert invitation.token_hash.encode() in raw
    assert token.encode() not in raw


async def test_the_base_url_for_links_is_configurable(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'e.db'}"
    async with harness_for(url, public_base_url="https://pj.example.cn/") as harness:
        data = await harness.close_ticket()
        link = await harness.link(data["ticket_id"])
        assert link["url"] == f"https://pj.example.cn/e/{link['token']}"


async def test_links_never_echo_the_request_host(harness):
    """A link built from a forged Host header would send the resident (and the token) to someone else."""
    data = await harness.close_ticket()
    link = await harness.link(data["ticket_id"], headers={**resident(), "Host": "evil.example"})
    assert "evil.example" not in link["url"] + link["qr_url"]


async def test_a_fresh_token_replaces_the_previous_one(harness):
    data = await harness.close_ticket()
    first = (await harness.link(data["ticket_id"]))["token"]
    second = (await harness.link(data["ticket_id"]))["token"]
    assert first != second
    old = await harness.client.get(f"/e/{first}")
    assert old.status_code == 404
    assert (await harness.client.get(f"/e/{second}")).status_code == 200


async def test_staff_who_handled_the_ticket_get_no_link_and_a_colleague_gets_a_desk_link_bound_to_the_resident(
    harness,
):
    data = await harness.close_ticket(handled_by=[RECEPTIONIST, SOCIAL_WORKER])
    invitation = await harness.invitation(data["ticket_id"])
    path = f"/api/v1/evaluations/invitations/{invitation.id}/token"
    for handler in (staff(RECEPTIONIST, "receptionist"), staff()):
        refused = await harness.client.post(path, headers=handler)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "handled_ticket"
    assert await harness.outbox_events("evaluation.rating_code_issued") == []
    colleague = await harness.client.post(path, headers=staff(SECRETARY, "secretary"))
    assert colleague.status_code == 201, colleague.text
    assert colleague.json()["resident_code_required"] is True
    issued = await harness.outbox_events("evaluation.rating_code_issued")
    assert [event.data["ticket_id"] for event in issued] == [data["ticket_id"]]
    code = issued[0].data["code"]
    assert len(code) == 6 and code.isdigit() and code not in colleague.text  # it goes to the resident only
    assert RESIDENT not in str(issued[0].data)  # the notification service looks the contact up itself
    stored = await harness.invitation(data["ticket_id"])
    assert stored.resident_code_hash and code not in stored.resident_code_hash
    elsewhere = await harness.client.post(path, headers=staff("someone", station_id=OTHER_STATION_ID))
    assert elsewhere.status_code == 404
    admin = await harness.client.post(path, headers=bearer("district_admin"))
    assert admin.status_code == 404


async def test_the_resident_gets_their_own_link_and_sees_only_their_own_invitations(harness):
    mine = await harness.close_ticket()
    theirs = await harness.close_ticket(resident_id=str(uuid.uuid4()))
    listed = await harness.client.get("/api/v1/evaluations/invitations", headers=resident())
    assert [item["ticket_id"] for item in listed.json()["items"]] == [mine["ticket_id"]]
    assert "resident_id" not in listed.json()["items"][0]
    await harness.link(mine["ticket_id"], headers=resident())
    other = await harness.invitation(theirs["ticket_id"])
    response = await harness.client.post(f"/api/v1/evaluations/invitations/{other.id}/token", headers=resident())
    assert response.status_code == 404
    seen = await harness.client.get(f"/api/v1/evaluations/invitations/{other.id}", headers=resident())
    assert seen.status_code == 404


async def test_no_link_for_an_expired_or_used_invitation(harness):
    expired = await harness.close_ticket(closed_at=utcnow() - timedelta(days=30))
    invitation = await harness.invitation(expired["ticket_id"])
    response = await harness.client.post(f"/api/v1/evaluations/invitations/{invitation.id}/token", headers=resident())
    assert response.status_code == 410
    assert response.json()["code"] == "invitation_expired"
    used, token = await harness.closed_with_token()
    await harness.client.post("/api/v1/ratings", json={"token": token, "attitude": 5, "ability": 5})
    invitation = await harness.invitation(used["ticket_id"])
    again = await harness.client.post(f"/api/v1/evaluations/invitations/{invitation.id}/token", headers=resident())
    assert again.status_code == 409
    assert again.json()["code"] == "already_rated"


async def test_staff_list_their_station_invitations_only(harness):
    await harness.close_ticket()
    await harness.close_ticket(station_id=OTHER_STATION_ID)
    listed = await harness.client.get("/api/v1/evaluations/invitations", headers=staff())
    assert len(listed.json()["items"]) == 1
    forbidden = await harness.client.get(
        "/api/v1/evaluations/invitations", params={"station_id": OTHER_STATION_ID}, headers=staff()
    )
    assert forbidden.status_code == 403
    assert RESIDENT not in listed.text


OTHER_WORKER = str(stable_id("staff", "陆家嘴街道", "市新居委会", "social_worker", "2"))


async def test_a_reopened_ticket_closed_again_before_it_was_rated_invites_for_the_latest_closing(harness):
    # Closed three weeks ago: the first invitation has expired unused; then the resident reopened the ticket.
    first_close = utcnow().replace(microsecond=0) - timedelta(days=21)
    data = await harness.close_ticket(closed_at=first_close)
    first = await harness.invitation(data["ticket_id"])
    closed_again = first_close + timedelta(days=20)
    again = {
        **data,
        "closed_at": closed_again.isoformat(),
        "owner_id": OTHER_WORKER,
        "completed_by": OTHER_WORKER,
        "handled_by": [OTHER_WORKER],
        "resolved_on_time": False,
    }
    await harness.publish("ticket.closed", again)
    assert harness.dead_letters() == []
    invitation = await harness.invitation(data["ticket_id"])
    assert invitation.id == first.id and await _count(harness, Invitation, data["ticket_id"]) == 1
    assert invitation.social_worker_id == OTHER_WORKER
    assert invitation.expires_at == closed_again + timedelta(days=14)
    assert invitation.token_hash != first.token_hash
    ticket = await harness.scalar(sa.select(ClosedTicket).where(ClosedTicket.ticket_id == uuid.UUID(data["ticket_id"])))
    assert (ticket.completed_by, ticket.closed_at, ticket.resolved_on_time) == (OTHER_WORKER, closed_again, False)
    assert set(ticket.handled_by) == {RECEPTIONIST, SOCIAL_WORKER, OTHER_WORKER}  # everyone who ever handled it
    renewed = await harness.outbox_events("evaluation.invitation_renewed")
    assert [e.data["expires_at"] for e in renewed] == [invitation.expires_at.isoformat()]
    assert len(await harness.outbox_events("evaluation.invitation_created")) == 1

    # The one who completed it this time gets no link; the resident gets theirs and rates; the rating names them.
    refused = await harness.client.post(
        f"/api/v1/evaluations/invitations/{invitation.id}/token", headers=staff(OTHER_WORKER)
    )
    assert refused.status_code == 403 and refused.json()["code"] == "handled_ticket"
    link = await harness.link(data["ticket_id"], headers=resident())
    rated = await harness.client.post("/api/v1/ratings", json={"token": link["token"], "attitude": 5, "ability": 4})
    assert rated.status_code == 201, rated.text
    rating = await harness.scalar(sa.select(Rating).where(Rating.ticket_id == uuid.UUID(data["ticket_id"])))
    assert rating.social_worker_id == OTHER_WORKER and rating.ticket_closed_at == closed_again
    # The first closing arriving late again changes nothing.
    await harness.publish("ticket.closed", data)
    assert (await harness.invitation(data["ticket_id"])).social_worker_id == OTHER_WORKER


async def test_a_link_from_before_the_ticket_closed_again_no_longer_works(harness):
    data, old_token = await harness.closed_with_token()
    later = utcnow().replace(microsecond=0)
    await harness.publish("ticket.closed", {**data, "closed_at": later.isoformat(), "completed_by": OTHER_WORKER})
    api = await harness.client.post("/api/v1/ratings", json={"token": old_token, "attitude": 5, "ability": 5})
    assert api.status_code == 404 and api.json()["code"] == "invitation_not_found"
    page = await harness.client.get(f"/e/{old_token}")
    assert page.status_code == 404 and "只有最新的一个有效" in page.text
    assert await _count(harness, Rating, data["ticket_id"]) == 0


async def test_a_rated_ticket_closed_again_keeps_its_rating_and_records_nothing_new(harness):
    data, token = await harness.closed_with_token()
    rated = await harness.client.post("/api/v1/ratings", json={"token": token, "attitude": 2, "ability": 3})
    assert rated.status_code == 201
    before = await harness.invitation(data["ticket_id"])
    later = utcnow().replace(microsecond=0)
    again = {**data, "closed_at": later.isoformat(), "completed_by": OTHER_WORKER, "handled_by": [OTHER_WORKER]}
    await harness.publish("ticket.closed", again)
    assert harness.dead_letters() == []
    after = await harness.invitation(data["ticket_id"])
    assert (after.token_hash, after.expires_at, after.social_worker_id) == (
        before.token_hash,
        before.expires_at,
        SOCIAL_WORKER,
    )
    ticket = await harness.scalar(sa.select(ClosedTicket).where(ClosedTicket.ticket_id == uuid.UUID(data["ticket_id"])))
    assert ticket.completed_by == SOCIAL_WORKER and OTHER_WORKER not in ticket.handled_by
    rating = await harness.scalar(sa.select(Rating).where(Rating.ticket_id == uuid.UUID(data["ticket_id"])))
    assert (rating.social_worker_id, rating.attitude, rating.ability) == (SOCIAL_WORKER, 2, 3)
    assert await harness.outbox_events("evaluation.invitation_renewed") == []
    link = await harness.client.post(f"/api/v1/evaluations/invitations/{after.id}/token", headers=resident())
    assert link.status_code == 409 and link.json()["code"] == "already_rated"  # no link for a second rating
    assert await _count(harness, Rating, data["ticket_id"]) == 1
