"""Intake: channels, residents, items, idempotent retries, and bad input that writes nothing."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from tests.conftest import bearer
from tests.ticket.conftest import events, raise_ticket, ticket_body
from ticket_service.tickets.models import Ticket, TicketChange


async def _count(app) -> int:
    async with app.state.runtime.database.sessionmaker() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(Ticket))


async def test_every_channel_is_taken_and_the_receiver_owns_it(http, station, ticket_app):
    for channel in ("walk_in", "phone", "app", "video_link", "web"):
        ticket = await raise_ticket(http, station, channel=channel)
        assert ticket["channel"] == channel
        assert ticket["status"] == "new"
        assert ticket["owner_id"] == station.receptionist
        assert ticket["responsibility_level"] == "first_inquiry"
        assert ticket["history"][0]["kind"] == "state" and ticket["history"][0]["to_value"] == "new"
    created = await events(ticket_app, "ticket.created")
    assert len(created) == 5
    assert created[0].data["owner_id"] == station.receptionist
    assert created[0].data["responsibility_level"] == "first_inquiry"
    assigned = await events(ticket_app, "ticket.assigned")
    assert [event.data["basis"] for event in assigned] == ["receiver"] * 5


async def test_an_item_from_the_service_list_sets_its_category(http, station):
    ticket = await raise_ticket(
        http,
        station,
        service_category=None,
        service_item="legal.mediation",
        location={"address": "浦东南路1号", "latitude": 31.23, "longitude": 121.51},
        media_urls=["https://example.org/leak.jpg"],
    )
    assert ticket["service_category"] == "legal"
    assert ticket["service_item"] == "legal.mediation"
    assert ticket["location_address"] == "浦东南路1号"
    assert ticket["media_urls"] == ["https://example.org/leak.jpg"]


async def test_a_resident_raises_their_own_request_with_their_account(http, station):
    resident = bearer("resident", "resident-1")
    response = await http.post(
        "/api/v1/tickets",
        headers=resident,
        json=ticket_body(station, channel="app", resident_name=None, resident_phone=None),
    )
    assert response.status_code == 201, response.text
    assert response.json()["resident_id"] == "resident-1"


async def test_a_retried_post_with_the_same_key_returns_the_first_ticket(http, station, ticket_app):
    headers = {**station.headers("receptionist"), "Idempotency-Key": "retry-1"}
    first = await http.post("/api/v1/tickets", headers=headers, json=ticket_body(station))
    again = await http.post("/api/v1/tickets", headers=headers, json=ticket_body(station))
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert await _count(ticket_app) == 1
    assert len(await events(ticket_app, "ticket.created")) == 1


async def test_the_same_key_with_another_body_is_refused(http, station, ticket_app):
    headers = {**station.headers("receptionist"), "Idempotency-Key": "retry-2"}
    await http.post("/api/v1/tickets", headers=headers, json=ticket_body(station))
    other = await http.post("/api/v1/tickets", headers=headers, json=ticket_body(station, description="别的事"))
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert other.json()["field"] == "Idempotency-Key"
    assert await _count(ticket_app) == 1


async def test_keys_belong_to_their_caller(http, station, ticket_app):
    key = {"Idempotency-Key": "shared-key"}
    first = await http.post(
        "/api/v1/tickets", headers={**station.headers("receptionist"), **key}, json=ticket_body(station)
    )
    second = await http.post(
        "/api/v1/tickets", headers={**station.headers("secretary"), **key}, json=ticket_body(station)
    )
    assert first.json()["id"] != second.json()["id"]


async def _refused(http, ticket_app, body, field, code=None, status=422, headers=None, station=None):
    before = await _count(ticket_app)
    response = await http.post("/api/v1/tickets", headers=headers or station.headers("receptionist"), json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field
    if code:
        assert response.json()["code"] == code
    assert await _count(ticket_app) == before
    return response


async def test_bad_input_names_the_field_and_writes_nothing(http, station, ticket_app):
    admin = bearer("district_admin")
    await _refused(http, ticket_app, ticket_body(station, station_id=str(uuid.uuid4())), "station_id",
                   "unknown_station", headers=admin)  # fmt: skip
    await _refused(http, ticket_app, ticket_body(station, service_category="astrology"), "service_category",
                   station=station)  # fmt: skip
    await _refused(http, ticket_app, ticket_body(station, service_category=None), "service_category",
                   "category_required", station=station)  # fmt: skip
    await _refused(http, ticket_app, ticket_body(station, service_item="legal.astrology"), "service_item",
                   "unknown_service_item", station=station)  # fmt: skip
    await _refused(http, ticket_app, ticket_body(station, service_item="legal.mediation"), "service_category",
                   "category_item_mismatch", station=station)  # fmt: skip
    await _refused(http, ticket_app, ticket_body(station, resident_phone=None), "resident_phone",
                   "resident_contact_incomplete", station=station)  # fmt: skip
    await _refused(http, ticket_app, ticket_body(station, channel="fax"), "channel", station=station)
    await _refused(http, ticket_app, ticket_body(station, media_urls=["not a url"]), "media_urls.0", station=station)


async def test_a_body_over_the_limit_is_413_naming_the_body(http, station, ticket_app):
    body = ticket_body(station, description="长" * 40_000)
    response = await http.post("/api/v1/tickets", headers=station.headers("receptionist"), json=body)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "body"
    assert await _count(ticket_app) == 0


async def test_another_stations_staff_cannot_raise_here(http, station):
    stranger = bearer("receptionist", station_id=str(uuid.uuid4()))
    response = await http.post("/api/v1/tickets", headers=stranger, json=ticket_body(station))
    assert response.status_code == 403


async def test_history_rows_cannot_be_rewritten(http, station, ticket_app):
    ticket = await raise_ticket(http, station)
    async with ticket_app.state.runtime.database.sessionmaker() as session:
        change = await session.scalar(sa.select(TicketChange).where(TicketChange.ticket_id == uuid.UUID(ticket["id"])))
        change.reason = "rewritten"
        try:
            await session.flush()
            raise AssertionError("history was rewritten")
        except RuntimeError as error:
            assert "append-only" in str(error)
