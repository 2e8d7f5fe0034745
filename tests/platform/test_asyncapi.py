"""The events as published contracts: each service's AsyncAPI 3.0 document, the gateway's merge, and the
contract between every producer and its consumers, checked from the documents alone.

`asyncapi-3.0.0-schema.json` beside this file is the official AsyncAPI 3.0.0 JSON Schema: the npm package
`@asyncapi/specs` 6.11.1 (Apache-2.0), file `schemas/3.0.0-without-$id.json` (sha256 abe96881dbfaad49...
of the original), re-serialised without whitespace. No PyPI package ships it.
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import sqlalchemy as sa

from shared.events import EventEnvelope, PermanentFailure
from shared.events.bus import matches
from shared.events.contract import InvalidPayload, UndeclaredEvent, read_payload
from shared.events.tables import outbox_message
from tests.conftest import DEMO_STATION_ID, bearer, eventually, staff_headers

SERVICES = ("catalog", "ticket", "deliberation", "evaluation", "notification")
SCHEMA = json.loads((Path(__file__).parent / "asyncapi-3.0.0-schema.json").read_text())


def _events_module(service: str) -> Any:
    return __import__(f"{service}_service.events", fromlist=["CONTRACT"])


def _resolve(document: dict[str, Any], node: Any) -> Any:
    """Follows a local `$ref` (`#/a/b`) in the document."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _payload(document: dict[str, Any], channel_key: str) -> dict[str, Any]:
    channel = document["channels"][channel_key]
    (message,) = channel["messages"].values()
    return _resolve(document, message["payload"])


def _operations(document: dict[str, Any], action: str) -> dict[str, list[str]]:
    """Channel key → the services with an operation of this action on it."""
    found: dict[str, list[str]] = {}
    for operation in document["operations"].values():
        if operation["action"] == action:
            found.setdefault(operation["channel"]["$ref"].rsplit("/", 1)[1], []).append(operation["x-service"])
    return found


def contract_gaps(document: dict[str, Any]) -> list[str]:
    """What a consumer requires that its producer does not always send, read from the document only."""
    producers = _operations(document, "send")
    gaps = []
    for name, operation in document["operations"].items():
        if operation["action"] != "receive":
            continue
        channel_key = operation["channel"]["$ref"].rsplit("/", 1)[1]
        address = document["channels"][channel_key]["address"]
        if "#" in address.split(".") or "*" in address.split("."):
            continue  # a topic pattern (the webhooks' `#`): it reads no field
        if channel_key not in producers:
            gaps.append(f"{name}: nobody produces {address}")
            continue
        reader = _resolve(document, operation["x-reader"])
        produced = _payload(document, channel_key)
        for field in reader.get("required", []):
            if field not in produced.get("properties", {}):
                gaps.append(f"{name}: {address} carries no `{field}`")
            elif field not in produced.get("required", []):
                gaps.append(f"{name}: {address} may omit `{field}`")
    return gaps


@pytest.fixture
async def merged(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/asyncapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()


# --- (1) the documents are AsyncAPI 3.0 -------------------------------------------------------------------


async def test_the_gateways_merged_document_is_valid_asyncapi_3(merged):
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft7Validator(SCHEMA).iter_errors(merged), key=str)
    assert not errors, [f"{list(error.absolute_path)}: {error.message}" for error in errors[:5]]
    assert merged["asyncapi"] == "3.0.0"


async def test_each_service_serves_its_own_valid_document(embedded):
    for service in SERVICES:
        transport = httpx.ASGITransport(app=embedded.services[service])
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
            document = (await http.get("/asyncapi.json")).json()
        errors = list(jsonschema.Draft7Validator(SCHEMA).iter_errors(document))
        assert not errors, (service, [error.message for error in errors[:3]])
        sent = {op["x-service"] for op in document["operations"].values() if op["action"] == "send"}
        assert sent <= {service}


async def test_the_validator_refuses_a_broken_document(merged):
    """The schema check can fail: an operation with an action AsyncAPI does not know is refused."""
    broken = copy.deepcopy(merged)
    next(iter(broken["operations"].values()))["action"] = "publish"  # AsyncAPI 2's word, gone in 3.0
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(broken))


# --- (2) every event, its producer and its consumers ----------------------------------------------------


async def test_every_produced_event_is_documented_with_its_payload_and_producer(merged):
    producers = _operations(merged, "send")
    for service in SERVICES:
        events = _events_module(service)
        assert set(events.PAYLOADS) == set(events.PUBLISHED), service  # a model for every declared type
        for event_type in events.PUBLISHED:
            assert producers.get(event_type) == [service], event_type
            payload = _payload(merged, event_type)
            assert payload["type"] == "object" and payload["properties"], event_type
            assert merged["channels"][event_type]["address"] == event_type


async def test_every_consumed_event_lists_its_consumers(merged):
    consumers = _operations(merged, "receive")
    for service in SERVICES:
        events = _events_module(service)
        # Every type a handler is registered for has a reader, and every reader is declared.
        assert set(events.READERS if hasattr(events, "READERS") else {}) == set(events.CONSUMED), service
        for pattern in events.consumer.event_types:
            assert any(matches(read, pattern) or read == pattern for read in events.CONSUMED), (service, pattern)
        for event_type in events.CONSUMED:
            key = next(k for k, c in merged["channels"].items() if c["address"] == event_type)
            assert service in consumers.get(key, []), (service, event_type)
    # The notification service's domains (SMS, feed, push) register their own types behind its one `#`.
    from notification_service.events import READERS, _domain_handlers

    for patterns, _handler in _domain_handlers:
        assert set(patterns) <= set(READERS), patterns
    assert set(consumers["station.updated"]) == {"ticket", "deliberation", "evaluation", "notification"}
    assert set(consumers["ticket.closed"]) == {"evaluation"}


# --- (3) the contract, from the documents ---------------------------------------------------------------


async def test_every_consumer_finds_the_fields_it_requires_in_the_producers_schema(merged):
    assert contract_gaps(merged) == []


async def test_a_producer_dropping_a_field_a_consumer_requires_is_caught(merged):
    broken = copy.deepcopy(merged)
    payload = broken["channels"]["evaluation.invitation_created"]["messages"]["evaluation.invitation_created"]
    del payload["payload"]["properties"]["invitation_id"]
    payload["payload"]["required"].remove("invitation_id")
    assert contract_gaps(broken) == [
        "notification.receive.evaluation.invitation_created: evaluation.invitation_created carries no `invitation_id`"
    ]


def test_a_producer_cannot_emit_a_payload_off_its_model():
    from ticket_service.events import outbox

    good = {
        "ticket_id": str(uuid.uuid4()),
        "attachment_id": str(uuid.uuid4()),
        "station_id": DEMO_STATION_ID,
        "subdistrict_id": str(uuid.uuid4()),
        "community_id": None,
        "content_type": "image/jpeg",
        "size_bytes": 1024,
        "public": False,
        "uploaded_by": "sw-1",
        "uploaded_at": "2026-12-05T08:30:00+00:00",
    }
    assert outbox.check("ticket.attachment_added", good) == good  # the body on the wire is unchanged
    for broken in ({k: v for k, v in good.items() if k != "size_bytes"}, {**good, "size_bytes": "1024"}):
        with pytest.raises(InvalidPayload):
            outbox.check("ticket.attachment_added", broken)
    with pytest.raises(InvalidPayload):  # no field beside the model's: personal data cannot slip in
        outbox.check("ticket.attachment_added", {**good, "file_name": "王阿姨的病历.jpg"})
    with pytest.raises(UndeclaredEvent):
        outbox.check("ticket.deleted", good)


def test_a_consumer_refuses_a_payload_it_cannot_read():
    from evaluation_service.events import READERS

    ids = {"ticket_id": str(uuid.uuid4()), "station_id": DEMO_STATION_ID, "subdistrict_id": str(uuid.uuid4())}
    # A tolerant reader: fields it does not use pass, an optional field it cannot read counts as missing.
    read = read_payload(READERS, EventEnvelope.new("ticket.closed", "/test", {**ids, "x": 1, "closed_at": "?"}))
    assert read is not None and read.model_dump()["closed_at"] is None
    for broken in ({**ids, "ticket_id": "not an id"}, {k: v for k, v in ids.items() if k != "station_id"}):
        with pytest.raises(PermanentFailure):
            read_payload(READERS, EventEnvelope.new("ticket.closed", "/test", broken))


# --- (4) what an embedded run publishes matches the document --------------------------------------------

KEY_TYPES = {
    "ticket.created",
    "ticket.assigned",
    "ticket.accepted",
    "ticket.closed",
    "station.updated",
    "evaluation.invitation_created",
}


async def _published(embedded: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for service in SERVICES:
        database = embedded.services[service].state.runtime.database
        async with database.sessionmaker() as session:
            rows = await session.execute(
                sa.select(outbox_message.c.payload).order_by(outbox_message.c.created_at.desc()).limit(500)
            )
            events.extend(json.loads(row.payload) for row in rows)
    return events


async def test_events_published_in_an_embedded_run_match_the_documents_payload_schemas(client, embedded, merged):
    admin = bearer("district_admin")
    changed = await client.patch(f"/api/v1/stations/{DEMO_STATION_ID}", headers=admin, json={"phone": "021-5888"})
    assert changed.status_code == 200, changed.text
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
    accepted = await client.post(
        f"/api/v1/tickets/{ticket_id}/transitions", headers=staff_headers(), json={"action": "accept"}
    )
    assert accepted.status_code == 200, accepted.text
    closed = await client.post(
        f"/api/v1/tickets/{ticket_id}/close", headers=staff_headers(), json={"result_text": "已办结"}
    )
    assert closed.status_code == 200, closed.text

    async def invited() -> bool:
        return any(
            e["type"] == "evaluation.invitation_created" and e["subject"] == ticket_id
            for e in await _published(embedded)
        )

    await eventually(invited)
    checked: set[str] = set()
    for event in await _published(embedded):
        schema = _payload(merged, event["type"])
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        errors = list(validator.iter_errors(event["data"]))
        assert not errors, (event["type"], [error.message for error in errors[:3]])
        checked.add(event["type"])
    assert KEY_TYPES <= checked, KEY_TYPES - checked
    # The schema check can fail: the same ticket.closed without a field it must carry does not pass.
    closed_event = next(e for e in await _published(embedded) if e["type"] == "ticket.closed")
    without = {k: v for k, v in closed_event["data"].items() if k != "completed_by"}
    assert list(jsonschema.Draft202012Validator(_payload(merged, "ticket.closed")).iter_errors(without))


# --- distributed mode: the gateway merges the documents the services serve over HTTP --------------------


def _without_lifespan(app: Any) -> Any:
    """The service's HTTP routes only: /asyncapi.json needs no database, broker or relay."""

    async def serve(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        await app(scope, receive, send)

    return serve


async def test_the_gateway_merges_the_documents_of_services_served_over_http():
    from contextlib import ExitStack

    from gateway.app import create_app as create_gateway
    from gateway.settings import GatewaySettings
    from gateway.upstream import HttpUpstream
    from shared.settings import CommonSettings
    from tests.conftest import running
    from tests.platform.serving import serving

    with ExitStack() as stack:
        upstreams: dict[str, Any] = {}
        for service in SERVICES:
            app = __import__(f"{service}_service.app", fromlist=["create_app"]).create_app()
            host, port = stack.enter_context(serving(_without_lifespan(app), CommonSettings()))
            upstreams[service] = HttpUpstream(service, f"http://{host}:{port}", timeout=10, connect_timeout=5)
        # A service builds its document on the first request; on a loaded machine that can take longer than
        # the gateway's 2 s probe timeout, which would leave the service out of the merge (a fresh-clone run did).
        gateway = create_gateway(GatewaySettings(readiness_timeout_seconds=30), upstreams)
        async with running(gateway):
            transport = httpx.ASGITransport(app=gateway)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
                document = (await http.get("/asyncapi.json")).json()
    assert not list(jsonschema.Draft7Validator(SCHEMA).iter_errors(document))
    assert {op["x-service"] for op in document["operations"].values()} == set(SERVICES)
    assert contract_gaps(document) == []
