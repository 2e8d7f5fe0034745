"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a large share of a fast endpoint's time).

One middleware does the per-request work every service needs: the request id, the trace span and
the Prometheus series.
"""

from __future__ import annotations

import time
import uuid

from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import tracing
from shared.context import request_id_var, traceparent_var
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

REQUEST_ID_HEADER = b"x-request-id"
# Probes and scrapes would drown the real traffic in the series.
UNMEASURED_PATHS = frozenset({"/livez", "/readyz", "/metrics"})


def valid_request_id(value: bytes) -> str | None:
    # Taken from outside, so bounded and printable: it goes into logs and events.
    if 0 < len(value) <= 128 and all(33 <= byte < 127 for byte in value):
        return value.decode("ascii")
    return None


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestContextMiddleware:
    """Takes (or makes) the request id and trace context, records metrics, echoes the request id."""

    def __init__(self, app: ASGIApp, service: str = "service") -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        traceparent = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                request_id = valid_request_id(value)
            elif name == b"traceparent":
                traceparent = value.decode("latin-1")
        if request_id is None:
            request_id = uuid.uuid4().hex
        encoded = request_id.encode("ascii")
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, encoded)]
            await send(message)

        request_token = request_id_var.set(request_id)
        trace_token = traceparent_var.set(traceparent)
        started = time.perf_counter()
        method = scope["method"]
        try:
            with tracing.span(f"{method} {scope['path']}", SpanKind.SERVER, traceparent, self.service) as span:
                await self.app(scope, receive, send_with_id)
                if span is not None:
                    span.update_name(f"{method} {route_template(scope)}")
                    span.set_attribute("http.response.status_code", status)
        finally:
            request_id_var.reset(request_token)
            traceparent_var.reset(trace_token)
            if scope["path"] not in UNMEASURED_PATHS:
                route = route_template(scope)
                HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
                HTTP_LATENCY.labels(self.service, method, route).observe(time.perf_counter() - started)
