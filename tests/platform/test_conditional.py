"""Conditional requests (issue 13, point 5), on SQLite and on real PostgreSQL: a ticket's ETag, 304 for an
unchanged read, 412 for a write based on a stale read; and the tag rules themselves."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from shared.conditional import Precondition, entity_tag, none_match
from tests.platform.conditional_fixtures import http, station, ticket_app  # fixtures, re-exported below
from tests.ticket.conftest import ticket_body
from ticket_service.tickets.models import TicketChange

__all__ = ["http", "station", "ticket_app"]


def _no_contact(station):
    # Nothing to mask: the handler and a colleague read the same bytes, hence the same ETag.
    return ticket_body(station, resident_name=None, resident_phone=None, description="楼道灯坏了")


async def _history_rows(app) -> int:
    async with app.state.runtime.database.sessionmaker() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(TicketChange))


async def test_an_unchanged_ticket_read_again_is_304_without_a_body(http, station):
    worker = station.headers("receptionist")
    created = await http.post("/api/v1/tickets", headers=worker, json=_no_contact(station))
    ticket_id = created.json()["id"]
    first = await http.get(f"/api/v1/tickets/{ticket_id}", headers=worker)
    etag = first.headers["etag"]
    assert first.status_code == 200 and etag.startswith('"')

    again = await http.get(f"/api/v1/tickets/{ticket_id}", headers={**worker, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert "content-type" not in again.headers

    accepted = await http.post(f"/api/v1/tickets/{ticket_id}/transitions", headers=worker, json={"action": "accept"})
    assert accepted.status_code == 200
    changed = await http.get(f"/api/v1/tickets/{ticket_id}", headers={**worker, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["status"] == "accepted"
    assert changed.headers["etag"] != etag  # a new version (the number only rises; by how much is the ORM's)


async def test_two_workers_one_ticket_the_stale_write_is_412_and_changes_nothing(http, station, ticket_app):
    worker_a = station.headers("receptionist")  # raises it at the desk, so owns it
    worker_b = station.headers("secretary")
    ticket_id = (await http.post("/api/v1/tickets", headers=worker_a, json=_no_contact(station))).json()["id"]
    read_a = await http.get(f"/api/v1/tickets/{ticket_id}", headers=worker_a)
    read_b = await http.get(f"/api/v1/tickets/{ticket_id}", headers=worker_b)
    assert read_a.headers["etag"] == read_b.headers["etag"]
    etag = read_a.headers["etag"]

    accepted = await http.post(
        f"/api/v1/tickets/{ticket_id}/transitions", headers={**worker_a, "If-Match": etag}, json={"action": "accept"}
    )
    assert accepted.status_code == 200, accepted.text
    new_etag = accepted.headers["etag"]
    assert new_etag != etag and accepted.json()["status"] == "accepted"
    rows = await _history_rows(ticket_app)

    designate = {"designee_id": station.social_workers[1], "note": "她熟悉这栋楼"}
    stale = await http.post(
        f"/api/v1/tickets/{ticket_id}/designate", headers={**worker_b, "If-Match": etag}, json=designate
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["code"] == "precondition_failed" and stale.json()["field"] == "If-Match"
    after = (await http.get(f"/api/v1/tickets/{ticket_id}", headers=worker_b)).json()
    assert after["owner_id"] == station.receptionist and after["status"] == "accepted"
    assert await _history_rows(ticket_app) == rows

    # Read again, the same write goes through; and without If-Match a write proceeds as it always did.
    fresh = await http.post(
        f"/api/v1/tickets/{ticket_id}/designate", headers={**worker_b, "If-Match": new_etag}, json=designate
    )
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["owner_id"] == station.social_workers[1]
    unconditional = await http.post(
        f"/api/v1/tickets/{ticket_id}/close", headers=worker_b, json={"note": "已处理", "result_text": "已办结"}
    )
    assert unconditional.status_code in (200, 409), unconditional.text


async def test_if_match_on_another_readers_view_compares_the_version_only(http, station):
    handler = station.headers("receptionist")
    colleague = station.headers("social_worker")
    ticket_id = (await http.post("/api/v1/tickets", headers=handler, json=ticket_body(station))).json()["id"]
    full = await http.get(f"/api/v1/tickets/{ticket_id}", headers=handler)
    masked = await http.get(f"/api/v1/tickets/{ticket_id}", headers=colleague)
    # The contact is masked for the colleague: other bytes, other tag, same version.
    assert full.headers["etag"] != masked.headers["etag"]
    assert full.headers["etag"].split("-")[0] == masked.headers["etag"].split("-")[0]
    accepted = await http.post(
        f"/api/v1/tickets/{ticket_id}/transitions",
        headers={**handler, "If-Match": masked.headers["etag"]},
        json={"action": "accept"},
    )
    assert accepted.status_code == 200, accepted.text


async def test_an_invisible_ticket_is_404_before_any_precondition(http, station):
    from tests.ticket.conftest import open_station

    worker = station.headers("receptionist")
    ticket_id = (await http.post("/api/v1/tickets", headers=worker, json=_no_contact(station))).json()["id"]
    other = await open_station(http._transport.app, name="潍坊一村")
    outsider = other.headers("receptionist")
    answer = await http.post(
        f"/api/v1/tickets/{ticket_id}/transitions", headers={**outsider, "If-Match": '"99"'}, json={"action": "accept"}
    )
    assert answer.status_code == 404


async def test_two_writes_on_one_etag_at_once_one_wins(http, station, ticket_app):
    worker = station.headers("receptionist")
    ticket_id = (await http.post("/api/v1/tickets", headers=worker, json=_no_contact(station))).json()["id"]
    etag = (await http.get(f"/api/v1/tickets/{ticket_id}", headers=worker)).headers["etag"]
    notes = [{"action": "accept", "note": f"第{number}次"} for number in range(2)]
    answers = await asyncio.gather(
        *(
            http.post(f"/api/v1/tickets/{ticket_id}/transitions", headers={**worker, "If-Match": etag}, json=body)
            for body in notes
        )
    )
    statuses = sorted(answer.status_code for answer in answers)
    # PostgreSQL: the second waits on the row lock, then sees the new version (412). SQLite serialises the
    # two requests: the second finds the new version too.
    assert statuses == [200, 412], [answer.text for answer in answers]


async def test_the_openapi_declares_if_match_412_and_304(http):
    document = (await http.get("/openapi.json")).json()
    transition = document["paths"]["/api/v1/tickets/{ticket_id}/transitions"]["post"]
    assert any(parameter["name"] == "If-Match" for parameter in transition["parameters"])
    assert "412" in transition["responses"]
    read = document["paths"]["/api/v1/tickets/{ticket_id}"]["get"]
    assert any(parameter["name"] == "If-None-Match" for parameter in read["parameters"])
    assert "304" in read["responses"]


# --- the tag rules ---------------------------------------------------------------------------------------

versions = st.integers(min_value=1, max_value=10**9)
bodies = st.binary(max_size=200)


@given(versions, bodies)
def test_a_tag_matches_its_own_version_only(version, body):
    tag = entity_tag(body, version)
    assert Precondition(tag).matches(version)
    assert not Precondition(tag).matches(version + 1)
    assert not Precondition("W/" + tag).matches(version)  # If-Match compares strongly
    assert Precondition(f'"{version + 5}-x", {tag}').matches(version)
    assert Precondition("*").matches(version)


@given(versions, bodies, bodies)
def test_if_none_match_names_the_bytes(version, body, other):
    tag = entity_tag(body, version)
    assert none_match(tag, tag) and none_match("W/" + tag, tag) and none_match("*", tag)
    assert none_match(f'"nope", {tag}', tag)
    assert none_match(entity_tag(other, version), tag) == (other == body)
