"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a large share of a fast endpoint's time)."""

from __future__ import annotations

import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.context import request_id_var, traceparent_var

REQUEST_ID_HEADER = b"x-request-id"


def _valid_request_id(value: bytes) -> str | None:
    # Taken from outside, so bounded and printable: it goes into logs and events.
    if 0 < len(value) <= 128 and all(33 <= byte < 127 for byte in value):
        return value.decode("ascii")
    return None


class RequestContextMiddleware:
    """Takes (or makes) the request id and trace context, and echoes the request id in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        traceparent = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                request_id = _valid_request_id(value)
            elif name == b"traceparent":
                traceparent = value.decode("latin-1")
        if request_id is None:
            request_id = uuid.uuid4().hex
        encoded = request_id.encode("ascii")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, encoded)]
            await send(message)

        request_token = request_id_var.set(request_id)
        trace_token = traceparent_var.set(traceparent)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(request_token)
            traceparent_var.reset(trace_token)
