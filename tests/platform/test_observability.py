"""Metrics and traces, as an operator would read them."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from shared import tracing
from tests.conftest import DEMO_STATION_ID, eventually, staff_headers
from tests.integration.test_rabbitmq_events import _open_station, distributed, namespace  # noqa: F401


def _families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


async def test_metrics_parse_and_show_requests_outbox_and_events(client):
    await client.get("/api/v1/stations")
    await client.get("/api/v1/stations/not-a-uuid")
    created = await client.post(
        "/api/v1/tickets",
        headers=staff_headers(),
        json={"station_id": DEMO_STATION_ID, "channel": "app", "service_category": "health", "description": "x"},
    )
    ticket_id = created.json()["id"]
    await client.post(f"/api/v1/tickets/{ticket_id}/close", headers=staff_headers(), json={"result_text": "已办结"})
    response = await client.get("/metrics")
    assert response.status_code == 200
    families = _families(response.text)
    requests = families["doorstep_http_requests"].samples
    assert any(
        s.labels == {"service": "catalog", "method": "GET", "route": "/api/v1/stations/{station_id}", "status": "422"}
        for s in requests
    )
    assert any(s.labels.get("service") == "gateway" and s.labels["route"] == "/api/v1/tickets" for s in requests)
    assert "doorstep_http_request_duration_seconds" in families
    for name in ("doorstep_outbox_backlog", "doorstep_outbox_oldest_unsent_age_seconds", "doorstep_dlq_depth"):
        assert families[name].samples, name
    published = [s for s in families["doorstep_events_published"].samples if s.name.endswith("_total")]
    assert any(s.labels == {"service": "ticket", "type": "ticket.closed"} and s.value >= 1 for s in published)
    consumed = families["doorstep_events_consumed"].samples
    assert any(s.labels.get("consumer") == "evaluation" and s.labels["outcome"] == "handled" for s in consumed)
    assert "doorstep_events_retried" in families and "doorstep_events_dead_lettered" in families


# One per process: the tracer provider (and so its exporter) is installed once.
_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans():
    tracing.configure_tracing("tests", exporter=_EXPORTER)
    _EXPORTER.clear()
    yield _EXPORTER
    tracing.stop_tracing()  # the rest of the suite runs without spans, as production does by default


async def test_one_trace_runs_from_the_gateway_through_an_event_into_another_service(spans, client):
    created = await client.post(
        "/api/v1/tickets",
        headers=staff_headers(),
        json={"station_id": DEMO_STATION_ID, "channel": "app", "service_category": "legal", "description": "x"},
    )
    ticket_id = created.json()["id"]
    spans.clear()
    closed = await client.post(
        f"/api/v1/tickets/{ticket_id}/close", headers=staff_headers(), json={"result_text": "已办结"}
    )
    assert closed.status_code == 200

    def finished(name: str) -> list:
        return [span for span in spans.get_finished_spans() if span.name == name]

    async def consumed() -> bool:
        return bool(finished("consume ticket.closed"))

    await eventually(consumed)
    gateway_span = finished("POST ticket")[0]
    service_span = finished("POST /api/v1/tickets/{ticket_id}/close")[0]
    consumer_span = next(s for s in finished("consume ticket.closed") if s.attributes["service.name"] == "evaluation")
    trace_id = gateway_span.context.trace_id
    assert service_span.context.trace_id == trace_id
    assert service_span.parent.span_id == gateway_span.context.span_id
    assert consumer_span.context.trace_id == trace_id


def _ancestors(span, by_id: dict) -> list:
    chain = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span)
    return chain


async def test_a_request_that_reads_the_database_shows_its_statements_under_the_server_span(spans, client):
    spans.clear()
    listed = await client.get("/api/v1/stations", params={"q": "张三 13800000000"})
    assert listed.status_code == 200
    finished = spans.get_finished_spans()
    by_id = {span.context.span_id: span for span in finished}
    servers = [
        s for s in finished if s.name == "GET /api/v1/stations" and s.attributes.get("service.name") == "catalog"
    ]
    assert servers, [(s.name, s.attributes.get("service.name")) for s in finished if s.kind.name != "CLIENT"]
    server = servers[0]
    gateway = next(s for s in finished if s.name == "GET catalog")
    assert gateway.kind.name == "SERVER"
    assert server.parent.span_id == gateway.context.span_id  # in one process, the service's span is INTERNAL
    assert server.attributes["http.route"] == "/api/v1/stations"
    statements = [s for s in finished if s.kind.name == "CLIENT" and s.attributes.get("db.system")]
    assert any(server in _ancestors(statement, by_id) for statement in statements), [s.name for s in finished]
    # What a resident typed into the search, and their address, stay out of the traces.
    recorded = " ".join(f"{s.name} {dict(s.attributes)}" for s in finished)
    assert "13800000000" not in recorded and "张三" not in recorded
    assert "127.0.0.1" not in recorded


async def test_a_rabbitmq_event_gets_a_broker_span_in_its_requests_trace(spans, distributed):  # noqa: F811
    """Distributed mode: the catalogue's request publishes station.created through RabbitMQ; the ticket
    service's handling of it is one trace with the request, through the publish span."""
    await _open_station(distributed["catalog"])

    def finished(name: str, service: str | None = None) -> list:
        return [
            s
            for s in spans.get_finished_spans()
            if s.name == name and (service is None or s.attributes.get("service.name") == service)
        ]

    async def consumed() -> bool:
        return bool(finished("consume station.created", "ticket"))

    await eventually(consumed)
    request = finished("POST /api/v1/stations", "catalog")[0]
    publish = next(s for s in finished("publish station.created") if s.context.trace_id == request.context.trace_id)
    consumer = finished("consume station.created", "ticket")[0]
    assert publish.kind.name == "PRODUCER"
    assert publish.attributes["messaging.system"] == "rabbitmq"
    assert publish.attributes["messaging.destination.name"].endswith(".events")
    assert publish.parent.span_id == request.context.span_id
    assert consumer.kind.name == "CONSUMER"
    assert consumer.context.trace_id == request.context.trace_id
    assert consumer.parent.span_id == publish.context.span_id
