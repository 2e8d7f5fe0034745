"""Per-request context: the request id travels from the gateway through services into events.

The request id is always one the system made (the gateway's, or a service's own when it is called by an
untrusted peer): audit rows and events store it. An id the caller sent is kept only for correlation.
"""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# The caller's own X-Request-Id, if it sent one: logged as `correlation_id`, echoed as X-Correlation-Id.
correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
traceparent_var: ContextVar[str | None] = ContextVar("traceparent", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def current_correlation_id() -> str | None:
    return correlation_id_var.get()
