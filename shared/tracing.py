"""OpenTelemetry tracing, switched on by environment.

With `<PREFIX>_TRACING_ENABLED=true` each process exports spans over OTLP/HTTP to
`OTEL_EXPORTER_OTLP_ENDPOINT` (the standard OpenTelemetry variables apply). The W3C trace context
travels gateway → service in the `traceparent` header and service → service inside events (the
CloudEvents `traceparent` extension), so one resident's request can be followed across services.
Switched off, the incoming `traceparent` is passed along untouched and no span is made.

The spans come from the OpenTelemetry instrumentations where one exists: each HTTP request's server span
from the ASGI instrumentation (`ServerSpans`), each SQL statement's client span from the SQLAlchemy
instrumentation. Events have hand-made spans (the aio-pika instrumentation has no release for the SDK
in use): a producer span when the bus publishes, a consumer span when a service handles one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.context import traceparent_var

if TYPE_CHECKING:  # the SDK is imported when tracing is configured
    from opentelemetry.sdk.trace.export import SpanExporter

_PROPAGATOR = TraceContextTextMapPropagator()

# FastAPI's own telemetry (on by default since 0.16x whenever a tracer provider is set) is switched off
# in every app: it would make a second server span beside `ServerSpans` and record the query string and
# rejected input values (a resident's name or phone) unmasked. Passed as `FastAPI(telemetry=...)`.
FASTAPI_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
_enabled = False


def tracing_enabled() -> bool:
    return _enabled


def configure_tracing(service_name: str, *, exporter: SpanExporter | None = None) -> None:
    """Install a tracer provider once per process. `exporter` lets tests capture spans in memory."""
    global _enabled
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
    instrumentor = SQLAlchemyInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        # Every engine created from now on: a span per statement. The package declares SQLAlchemy < 2.1
        # (its dependency check refuses our 2.1); the engine events it listens to are unchanged in 2.1,
        # and tests/platform/test_observability.py checks the spans appear.
        instrumentor.instrument(skip_dep_check=True)
    _enabled = True


def stop_tracing() -> None:
    """No more spans in this process (tests end a traced test with it)."""
    global _enabled
    _enabled = False
    instrumentor = SQLAlchemyInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()


@contextmanager
def span(
    name: str,
    kind: SpanKind,
    traceparent: str | None,
    service: str,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Iterator[trace.Span | None]:
    """A span continuing `traceparent`; while it is open, new events carry this span's context."""
    if not _enabled:
        yield None
        return
    carrier: Mapping[str, str] = {"traceparent": traceparent} if traceparent else {}
    parent = _PROPAGATOR.extract(carrier)
    tracer = trace.get_tracer(f"doorstep.{service}")
    with tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes) as current:
        current.set_attribute("service.name", service)
        token = traceparent_var.set(current_traceparent())
        try:
            yield current
        finally:
            traceparent_var.reset(token)


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


_UNTRACED_SCOPE = "doorstep.untraced_scope"
_SERVER_SPAN = "doorstep.server_span"


class ServerSpans:
    """The OpenTelemetry ASGI instrumentation's server span around `app`, while tracing is on.

    The span continues the request's `traceparent` header and records the method, route, status and
    timing; events published meanwhile carry its context. It never records the query string nor the
    client's address (personal data: a search by name or phone, a resident's IP): the instrumentation
    sees a copy of the scope without them, `app` the real one. `span_name` names the span from the
    scope (the route is unknown until the app has routed it: `name_server_span` renames it then).
    """

    def __init__(self, app: ASGIApp, service: str, span_name: Callable[[Scope], str] | None = None) -> None:
        self.app = app
        self.service = service
        self.span_name = span_name or (lambda scope: str(scope.get("method", "HTTP")))
        self._traced = OpenTelemetryMiddleware(
            self._serve,
            default_span_details=self._details,
            server_request_hook=self._started,
            exclude_spans=["receive", "send"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _enabled or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        shown = {**scope, "query_string": b"", "client": None, _UNTRACED_SCOPE: scope}
        await self._traced(shown, receive, send)

    def _details(self, scope: Scope) -> tuple[str, dict[str, Any]]:
        return self.span_name(scope), {}

    def _started(self, span: trace.Span, scope: dict[str, Any]) -> None:
        span.set_attribute("service.name", self.service)
        scope[_UNTRACED_SCOPE][_SERVER_SPAN] = span

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = traceparent_var.set(current_traceparent())
        try:
            await self.app(scope[_UNTRACED_SCOPE], receive, send)
        finally:
            traceparent_var.reset(token)


def name_server_span(scope: Scope, name: str, route: str) -> None:
    """Rename the request's server span once its route is known (at the latest when the response starts:
    the span ends with the response's last byte) and record the route."""
    server_span = scope.get(_SERVER_SPAN)
    if isinstance(server_span, trace.Span) and server_span.is_recording():
        server_span.update_name(name)
        server_span.set_attribute("http.route", route)
