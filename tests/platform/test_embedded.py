"""The embedded mode end to end, through the gateway, as `make run` serves it."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from evaluation_service.invitations.models import Invitation
from shared.events import EventEnvelope
from shared.events.tables import outbox_message
from tests.conftest import DEMO_STATION_ID, DEMO_SUBDISTRICT_ID, bearer, eventually, staff_headers


async def test_readyz_reports_every_service_ready(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert set(response.json()["services"]) == {"catalog", "ticket", "deliberation", "evaluation", "notification"}


async def test_openapi_holds_every_services_paths(client):
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    for path in ("/api/v1/stations", "/api/v1/tickets", "/api/v1/projects", "/api/v1/evaluations/invitations"):
        assert path in paths, path
    assert "/auth/token" in paths


async def test_demo_user_gets_a_token_that_services_accept(client):
    response = await client.post("/auth/token", data={"username": "social_worker", "password": "demo-social_worker"})
    assert response.status_code == 200
    access_token = response.json()["access_token"]
    tickets = await client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {access_token}"})
    assert tickets.status_code == 200


async def test_wrong_password_is_refused_as_problem(client):
    response = await client.post("/auth/token", data={"username": "social_worker", "password": "nope"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_grant"


async def _close_a_ticket(client) -> str:
    created = await client.post(
        "/api/v1/tickets",
        headers=staff_headers(),
        json={
            "station_id": DEMO_STATION_ID,
            "channel": "walk_in",
            "service_category": "government_affairs",
            "description": "医疗记录本用完了，换一本新的",
        },
    )
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    closed = await client.post(
        f"/api/v1/tickets/{ticket_id}/close", headers=staff_headers(), json={"result_text": "已办结"}
    )
    assert closed.status_code == 200, closed.text
    return ticket_id


async def _invitations(embedded, ticket_id: str) -> int:
    database = embedded.services["evaluation"].state.runtime.database
    async with database.sessionmaker() as session:
        return await session.scalar(
            sa.select(sa.func.count()).select_from(Invitation).where(Invitation.ticket_id == uuid.UUID(ticket_id))
        )


async def test_closed_ticket_invites_the_resident_exactly_once_even_when_delivered_twice(client, embedded):
    ticket_id = await _close_a_ticket(client)

    async def invited() -> bool:
        return await _invitations(embedded, ticket_id) == 1

    await eventually(invited)
    # The bus delivers the very same event again, as a broker may after a lost ack.
    ticket_database = embedded.services["ticket"].state.runtime.database
    async with ticket_database.sessionmaker() as session:
        payload = await session.scalar(
            sa.select(outbox_message.c.payload).where(outbox_message.c.event_type == "ticket.closed")
        )
    duplicate = EventEnvelope.from_json(payload)
    await embedded.bus.publish(duplicate)
    await embedded.bus.publish(duplicate)
    assert await _invitations(embedded, ticket_id) == 1
    assert embedded.bus.dead_letters("evaluation") == []


async def test_event_carries_the_request_id_that_caused_it(client, embedded):
    # The id is the gateway's own; the caller's is echoed for correlation only.
    caller_id = "test-" + uuid.uuid4().hex
    response = await client.post(
        "/api/v1/tickets",
        headers={**staff_headers(), "X-Request-ID": caller_id},
        json={"station_id": DEMO_STATION_ID, "channel": "phone", "service_category": "legal", "description": "咨询"},
    )
    request_id = response.headers["x-request-id"]
    assert uuid.UUID(request_id) and response.headers["x-correlation-id"] == caller_id
    ticket_database = embedded.services["ticket"].state.runtime.database
    async with ticket_database.sessionmaker() as session:
        payloads = (await session.scalars(sa.select(outbox_message.c.payload))).all()
    events = [EventEnvelope.from_json(payload) for payload in payloads]
    created = [event for event in events if event.subject == response.json()["id"]]
    assert created and created[0].request_id == request_id
    assert created[0].type == "ticket.created"


async def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(client):
    admin = bearer("district_admin")
    before = (await client.get("/api/v1/stations", params={"limit": 200})).json()["items"]
    response = await client.post(
        "/api/v1/stations",
        headers=admin,
        json={
            "subdistrict_id": DEMO_SUBDISTRICT_ID,
            "community_name": "新社区",
            "name": "新社区家门口服务站",
            "address": "某路1号",
            "latitude": 131.2,
            "longitude": 121.5,
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "latitude"
    after = (await client.get("/api/v1/stations", params={"limit": 200})).json()["items"]
    assert len(after) == len(before)


async def test_unknown_station_for_a_ticket_is_422_naming_station_id(client):
    response = await client.post(
        "/api/v1/tickets",
        headers=bearer("district_admin"),
        json={"station_id": str(uuid.uuid4()), "channel": "web", "service_category": "legal", "description": "x"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "station_id"


async def test_closing_twice_is_a_conflict_with_a_reason_code(client):
    ticket_id = await _close_a_ticket(client)
    again = await client.post(
        f"/api/v1/tickets/{ticket_id}/close", headers=staff_headers(), json={"result_text": "已办结"}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "ticket_already_closed"


async def test_tokens_are_checked_at_the_edge(client):
    response = await client.get("/api/v1/tickets", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    missing = await client.get("/api/v1/tickets")
    assert missing.status_code == 401


async def test_another_stations_staff_cannot_see_a_ticket(client):
    ticket_id = await _close_a_ticket(client)
    stranger = staff_headers(station_id=str(uuid.uuid4()))
    response = await client.get(f"/api/v1/tickets/{ticket_id}", headers=stranger)
    assert response.status_code == 404


async def test_unknown_path_is_a_problem_not_a_page(client):
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
