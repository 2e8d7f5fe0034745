"""Prometheus metrics, the same series for every service and the gateway.

Labels stay bounded: routes are templates (`/api/v1/tickets/{ticket_id}`), never raw paths.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

HTTP_REQUESTS = Counter(
    "doorstep_http_requests_total", "HTTP requests answered.", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "doorstep_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# The labelled series of each (service, method, route, status) seen, looked up once: `labels()` costs a
# lock and a tuple per call, on every request.
_REQUEST_SERIES: dict[tuple[str, str, str, int], tuple[Counter, Histogram]] = {}


def observe_request(service: str, method: str, route: str, status: int, seconds: float) -> None:
    """Counts one answered request and its duration (`route` a template, so the series stay bounded)."""
    key = (service, method, route, status)
    series = _REQUEST_SERIES.get(key)
    if series is None:
        series = (
            HTTP_REQUESTS.labels(service, method, route, str(status)),
            HTTP_LATENCY.labels(service, method, route),
        )
        _REQUEST_SERIES[key] = series
    series[0].inc()
    series[1].observe(seconds)


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
JWKS_FETCH_FAILURES = Counter(
    "doorstep_jwks_fetch_failures_total",
    "Fetches of the token issuer's JWKS that failed (unreachable, error status, malformed).",
    ["service"],
)

# Counts a use case made, held on its session until the transaction commits (see `count_after_commit`).
_COUNTED_AT_COMMIT = "doorstep.metrics.counted_at_commit"


def count_after_commit(session: AsyncSession | Session, counter: Counter, amount: float = 1) -> None:
    """Adds `amount` to `counter` (a labelled child) once the session's transaction commits, never when
    it rolls back: a counter of business facts must not count what was not kept."""
    session.info.setdefault(_COUNTED_AT_COMMIT, []).append((counter, amount))


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    # Releasing a savepoint fires this event too: only the outermost commit keeps anything.
    if session.in_nested_transaction():
        return
    for counter, amount in session.info.pop(_COUNTED_AT_COMMIT, ()):
        counter.inc(amount)


@event.listens_for(Session, "after_rollback")
def _forget_counts(session: Session) -> None:
    # A savepoint rolled back leaves the outer transaction's counts pending; a real rollback drops them
    # (a router may roll back and then let the empty transaction commit).
    if not session.in_nested_transaction():
        session.info.pop(_COUNTED_AT_COMMIT, None)


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
