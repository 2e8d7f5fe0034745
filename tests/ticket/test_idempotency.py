"""Idempotency-Key on a ticket's actions (issue 13, point 6), on SQLite and on real PostgreSQL: a retry
replays the first answer and acts once; another request with the key is refused; keys are the caller's;
failures are not kept; replays of full reads are recorded again; old keys expire and are purged."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import sqlalchemy as sa

from shared.idempotency import WINDOW, idempotency_record, purge
from shared.ids import utcnow
from tests.conftest import bearer
from tests.platform.conditional_fixtures import http, station, ticket_app  # fixtures, re-exported below
from tests.ticket.conftest import events, raise_ticket
from ticket_service.tickets.models import TicketChange

__all__ = ["http", "station", "ticket_app"]


async def _state_changes(app, ticket_id: str) -> list[str]:
    async with app.state.runtime.database.sessionmaker() as session:
        rows = await session.scalars(
            sa.select(TicketChange.to_value)
            .where(TicketChange.ticket_id == uuid.UUID(ticket_id), TicketChange.kind == "state")
            .order_by(TicketChange.seq)
        )
        return list(rows)


async def _contact_reads(http, ticket_id: str) -> int:
    answer = await http.get(
        "/api/v1/tickets/contact-reads", headers=bearer("district_admin"), params={"ticket_id": ticket_id, "limit": 200}
    )
    assert answer.status_code == 200, answer.text
    return len(answer.json()["items"])


async def test_a_retried_transition_replays_the_first_answer_and_acts_once(http, station, ticket_app):
    ticket = await raise_ticket(http, station)
    url = f"/api/v1/tickets/{ticket['id']}/transitions"
    await http.post(url, headers=station.headers("receptionist"), json={"action": "accept"})
    headers = {**station.headers("receptionist"), "Idempotency-Key": "resolve-1"}
    first = await http.post(
        url, headers=headers, json={"action": "resolve", "note": "已换新册", "result_text": "已换新册"}
    )
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    # The same body with its keys in another order and other spacing is the same request.
    again = await http.post(
        url,
        headers={**headers, "Content-Type": "application/json"},
        content='{ "result_text": "已换新册", "note": "已换新册", "action": "resolve" }',
    )
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert await _state_changes(ticket_app, ticket["id"]) == ["new", "accepted", "resolved"]
    assert len(await events(ticket_app, "ticket.resolved")) == 1


async def test_a_retried_creation_replays_201(http, station, ticket_app):
    from tests.ticket.conftest import ticket_body

    headers = {**station.headers("receptionist"), "Idempotency-Key": "create-1"}
    first = await http.post("/api/v1/tickets", headers=headers, json=ticket_body(station))
    again = await http.post("/api/v1/tickets", headers=headers, json=ticket_body(station))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert len(await events(ticket_app, "ticket.created")) == 1


async def test_the_key_with_another_request_is_422_and_does_nothing(http, station, ticket_app):
    ticket = await raise_ticket(http, station)
    headers = {**station.headers("receptionist"), "Idempotency-Key": "shared-key"}
    url = f"/api/v1/tickets/{ticket['id']}"
    assert (await http.post(f"{url}/transitions", headers=headers, json={"action": "accept"})).status_code == 200
    other = await http.post(f"{url}/transitions", headers=headers, json={"action": "resolve"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert other.json()["field"] == "Idempotency-Key"
    elsewhere = await http.post(f"{url}/video-links", headers=headers, json={})
    assert elsewhere.status_code == 422 and elsewhere.json()["code"] == "idempotency_key_reused"
    assert await _state_changes(ticket_app, ticket["id"]) == ["new", "accepted"]


async def test_keys_belong_to_their_caller(http, station, ticket_app):
    mine = await raise_ticket(http, station)
    theirs = await raise_ticket(http, station, role="social_worker")
    key = {"Idempotency-Key": "same-words"}
    for ticket, role in ((mine, "receptionist"), (theirs, "social_worker")):
        answer = await http.post(
            f"/api/v1/tickets/{ticket['id']}/transitions",
            headers={**station.headers(role), **key},
            json={"action": "accept"},
        )
        assert answer.status_code == 200, answer.text
        assert "idempotent-replayed" not in answer.headers
    assert await _state_changes(ticket_app, theirs["id"]) == ["new", "accepted"]


async def test_a_failure_is_not_kept_so_its_retry_runs_again(http, station, ticket_app):
    ticket = await raise_ticket(http, station)
    headers = {**station.headers("receptionist"), "Idempotency-Key": "close-too-early"}
    url = f"/api/v1/tickets/{ticket['id']}/transitions"
    refused = await http.post(url, headers=headers, json={"action": "resolve", "result_text": "已办结"})
    assert refused.status_code == 409
    await http.post(url, headers=station.headers("receptionist"), json={"action": "accept"})
    retried = await http.post(url, headers=headers, json={"action": "resolve", "result_text": "已办结"})
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert await _state_changes(ticket_app, ticket["id"]) == ["new", "accepted", "resolved"]


async def test_a_replayed_full_answer_is_recorded_as_another_full_read(http, station):
    ticket = await raise_ticket(http, station)  # with the resident's name and phone
    headers = {**station.headers("receptionist"), "Idempotency-Key": "accept-read"}
    url = f"/api/v1/tickets/{ticket['id']}/transitions"
    first = await http.post(url, headers=headers, json={"action": "accept"})
    assert first.json()["resident_phone"] == "13800000000"  # the handler sees it in full
    before = await _contact_reads(http, ticket["id"])
    again = await http.post(url, headers=headers, json={"action": "accept"})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["resident_phone"] == "13800000000"
    assert await _contact_reads(http, ticket["id"]) == before + 1


async def test_a_key_past_its_window_acts_again_and_the_purge_removes_it(http, station, ticket_app):
    ticket = await raise_ticket(http, station)
    headers = {**station.headers("receptionist"), "Idempotency-Key": "yesterday"}
    url = f"/api/v1/tickets/{ticket['id']}/transitions"
    assert (await http.post(url, headers=headers, json={"action": "accept"})).status_code == 200
    database = ticket_app.state.runtime.database
    async with database.transaction() as session:
        await session.execute(sa.update(idempotency_record).values(created_at=utcnow() - WINDOW - timedelta(minutes=1)))
    # Past the window the key is free: the same request acts again (and is refused by the lifecycle).
    assert (await http.post(url, headers=headers, json={"action": "accept"})).status_code == 409
    async with database.transaction() as session:
        await session.execute(sa.update(idempotency_record).values(created_at=utcnow() - WINDOW - timedelta(minutes=1)))
    assert await purge(database) >= 1
    async with database.sessionmaker() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(idempotency_record)) == 0


async def test_racing_retries_of_one_action_act_once(http, station, ticket_app):
    ticket = await raise_ticket(http, station)
    headers = {**station.headers("receptionist"), "Idempotency-Key": "race-accept"}
    url = f"/api/v1/tickets/{ticket['id']}/transitions"
    answers = await asyncio.gather(*(http.post(url, headers=headers, json={"action": "accept"}) for _ in range(6)))
    statuses = [answer.status_code for answer in answers]
    # PostgreSQL: the others wait on the claimed key, then replay. SQLite serialises writers; a writer that
    # lost the race answers 503 "retry" rather than acting twice.
    assert statuses.count(200) >= 1 and set(statuses) <= {200, 503}, [answer.text for answer in answers]
    if "postgresql" in ticket_app.state.runtime.database.url:
        assert statuses == [200] * 6
        assert len({answer.content for answer in answers}) == 1
    assert await _state_changes(ticket_app, ticket["id"]) == ["new", "accepted"]
