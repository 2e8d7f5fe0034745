"""Prometheus metrics, the same series for every service and the gateway.

Labels stay bounded: routes are templates (`/api/v1/tickets/{ticket_id}`), never raw paths.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

HTTP_REQUESTS = Counter(
    "doorstep_http_requests_total", "HTTP requests answered.", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "doorstep_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_PUBLISHED = Counter("doorstep_events_published_total", "Events the broker confirmed.", ["service", "type"])
EVENTS_PUBLISH_FAILURES = Counter(
    "doorstep_events_publish_failures_total", "Publish attempts that failed and will be retried.", ["service", "type"]
)
EVENTS_CONSUMED = Counter(
    "doorstep_events_consumed_total",
    "Events a consumer took, by outcome: handled, duplicate (inbox) or failed.",
    ["consumer", "type", "outcome"],
)
EVENTS_RETRIED = Counter("doorstep_events_retried_total", "Failed events scheduled for a retry.", ["consumer", "type"])
EVENTS_DEAD_LETTERED = Counter(
    "doorstep_events_dead_lettered_total", "Events moved to the dead-letter queue.", ["consumer", "type"]
)
OUTBOX_BACKLOG = Gauge("doorstep_outbox_backlog", "Outbox rows not yet published.", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "doorstep_outbox_oldest_unsent_age_seconds", "Age of the oldest unpublished outbox row.", ["service"]
)
PERIODIC_LAST_SUCCESS = Gauge(
    "doorstep_periodic_last_success_timestamp_seconds",
    "Unix time of a periodic task's last pass that succeeded (SLA checker, retention, senders).",
    ["service", "task"],
)
PERIODIC_INTERVAL = Gauge("doorstep_periodic_interval_seconds", "A periodic task's interval.", ["service", "task"])
DLQ_DEPTH = Gauge("doorstep_dlq_depth", "Messages waiting in a consumer's dead-letter queue.", ["consumer"])


def metrics_router(refresh: Callable[[], Awaitable[None]] | None = None) -> APIRouter:
    """`GET /metrics` in the Prometheus text format; `refresh` updates scrape-time gauges first."""
    router = APIRouter(include_in_schema=False)

    @router.get("/metrics")
    async def metrics() -> Response:
        if refresh is not None:
            try:
                await refresh()
            except Exception:  # a gauge that cannot be read must not hide the other series
                pass
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router
