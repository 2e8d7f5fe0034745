"""Metrics and traces, as an operator would read them."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from shared import tracing
from tests.conftest import DEMO_STATION_ID, eventually, staff_headers


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


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    tracing.configure_tracing("tests", exporter=exporter)
    yield exporter
    tracing._enabled = False  # the rest of the suite runs without spans, as production does by default


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
