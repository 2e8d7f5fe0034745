"""OpenTelemetry tracing, switched on by environment.

With `<PREFIX>_TRACING_ENABLED=true` each process exports spans over OTLP/HTTP to
`OTEL_EXPORTER_OTLP_ENDPOINT` (the standard OpenTelemetry variables apply). The W3C trace context
travels gateway → service in the `traceparent` header and service → service inside events (the
CloudEvents `traceparent` extension), so one resident's request can be followed across services.
Switched off, the incoming `traceparent` is passed along untouched and no span is made.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.context import traceparent_var

_PROPAGATOR = TraceContextTextMapPropagator()
_enabled = False


def tracing_enabled() -> bool:
    return _enabled


def configure_tracing(service_name: str, *, exporter: object | None = None) -> None:
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
            provider.add_span_processor(SimpleSpanProcessor(exporter))  # type: ignore[arg-type]
        trace.set_tracer_provider(provider)
    _enabled = True


@contextmanager
def span(name: str, kind: SpanKind, traceparent: str | None, service: str) -> Iterator[trace.Span | None]:
    """A span continuing `traceparent`; while it is open, new events carry this span's context."""
    if not _enabled:
        yield None
        return
    carrier: Mapping[str, str] = {"traceparent": traceparent} if traceparent else {}
    parent = _PROPAGATOR.extract(carrier)
    tracer = trace.get_tracer(f"doorstep.{service}")
    with tracer.start_as_current_span(name, context=parent, kind=kind) as current:
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
