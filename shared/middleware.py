"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a large share of a fast endpoint's time).

One middleware does the per-request work every service needs: the client's address, the request id,
the body limit, the trace span and the Prometheus series. The gateway uses the same pieces.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import tracing
from shared.context import correlation_id_var, request_id_var, traceparent_var
from shared.errors import PROBLEM_CONTENT_TYPE, problem_body
from shared.language import language_of, language_var
from shared.metrics import observe_request

logger = logging.getLogger("shared.middleware")

REQUEST_ID_HEADER = b"x-request-id"
CORRELATION_ID_HEADER = b"x-correlation-id"
FORWARDED_FOR_HEADER = b"x-forwarded-for"
# Set by the embedded gateway on the scope it hands a service in the same process: the in-process
# equivalent of a request arriving from a trusted proxy. No network client can set a scope key.
VIA_GATEWAY = "doorstep.via_gateway"
# Probes and scrapes would drown the real traffic in the series.
UNMEASURED_PATHS = frozenset({"/livez", "/readyz", "/metrics"})


_PRINTABLE_ID = re.compile(rb"[\x21-\x7e]{1,128}")


def valid_request_id(value: bytes) -> str | None:
    # Taken from outside, so bounded and printable: it goes into logs and events.
    if _PRINTABLE_ID.fullmatch(value):
        return value.decode("ascii")
    return None


def new_request_id() -> str:
    """A random (version 4) UUID in its usual text form, made without building a `uuid.UUID`."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


# --- the client's address ----------------------------------------------------------------------------------


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as written in X-Forwarded-For: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:80`."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """The networks whose X-Forwarded-For is believed (GATEWAY_TRUSTED_PROXIES, <SERVICE>_TRUSTED_PROXIES).

    Answers are remembered per address text (a service sees the same few peers on every request), up to
    `REMEMBERED` addresses; then the memory starts afresh."""

    REMEMBERED = 4096

    def __init__(self, networks: Iterable[str]) -> None:
        self.networks = tuple(ipaddress.ip_network(network, strict=False) for network in networks)
        self._answers: dict[str, bool] = {}

    def trusts(self, address: str | None) -> bool:
        if not address or not self.networks:
            return False
        answer = self._answers.get(address)
        if answer is None:
            parsed = _address(address)
            answer = parsed is not None and any(parsed in network for network in self.networks)
            if len(self._answers) >= self.REMEMBERED:
                self._answers.clear()
            self._answers[address] = answer
        return answer


_NORMALISED: dict[str, str | None] = {}  # hop as written -> address text (None: malformed), bounded


def _normalised(hop: str) -> str | None:
    known = _NORMALISED.get(hop, False)
    if known is not False:
        return known  # type: ignore[return-value]  # str | None once stored
    parsed = _address(hop)
    text = str(parsed) if parsed is not None else None
    if len(_NORMALISED) >= TrustedProxies.REMEMBERED:
        _NORMALISED.clear()
    _NORMALISED[hop] = text
    return text


def client_address(peer: str | None, forwarded_for: list[str], trusted: TrustedProxies) -> str:
    """The client as the first untrusted hop sees it: the peer, unless the peer is a trusted proxy; then
    the rightmost address of X-Forwarded-For that is not a trusted proxy. Entries left of it were written
    by the client and prove nothing. A malformed entry stops the walk at the last trusted hop."""
    address = peer or "unknown"
    if not trusted.trusts(address):
        return address
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        normalised = _normalised(hop)
        if normalised is None:
            return address
        address = normalised
        if not trusted.trusts(address):
            return address
    return address


def header_values(scope: Scope, name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in scope["headers"] if key == name]


def first_header(scope: Scope, name: bytes) -> bytes | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for key, value in headers:
        if key == name:
            return value
    return None


# --- bodies ------------------------------------------------------------------------------------------------


class BodyTooLarge(Exception):
    """The request's body went past the limit while it was being read."""


TOO_LARGE_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>提交的内容太大</title></head>
<body><main><h1>提交的内容太大</h1><p>您提交的内容超过了 {limit} 字节的上限，请缩短后重试。</p></main></body></html>
"""


def declared_length(scope: Scope) -> int | None:
    value = first_header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def within_declared_limit(scope: Scope, max_bytes: int) -> bool:
    """True when the request's body cannot pass `max_bytes`: no body at all (neither Content-Length nor
    Transfer-Encoding), or a Content-Length within the limit and no Transfer-Encoding (the HTTP server
    reads no further than the declared length). Such a request needs no counting of its body."""
    declared = None
    for name, value in scope["headers"]:
        if name == b"transfer-encoding":
            return False
        if name == b"content-length":
            if declared is not None or not value.isdigit():
                return False  # repeated or malformed: left to the counting path
            declared = int(value)
    return declared is None or declared <= max_bytes


async def send_too_large(scope: Scope, send: Send, max_bytes: int) -> None:
    """413: problem+json, or a short Chinese page for a browser (the resident's form at /e/)."""
    accept = (first_header(scope, b"accept") or b"").lower()
    if b"text/html" in accept:
        body = TOO_LARGE_PAGE.format(limit=max_bytes).encode()
        content_type = b"text/html; charset=utf-8"
    else:
        problem = problem_body(
            413, "body_too_large", f"The body exceeds {max_bytes} bytes.", instance=scope.get("path")
        )
        body = json.dumps(problem).encode()
        content_type = PROBLEM_CONTENT_TYPE.encode()
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    request_id = request_id_var.get()
    if request_id:
        headers.append((REQUEST_ID_HEADER, request_id.encode()))
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def limit_body(app: ASGIApp, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
    """Runs `app` with at most `max_bytes` of body, declared (Content-Length) or chunked. Past it the client
    gets 413, whatever the app made of the failed read (FastAPI answers 400, a form parser raises), and
    one log line from the layer that saw the body go past the limit."""
    declared = declared_length(scope)
    if declared is not None and declared > max_bytes:
        logger.warning("request body too large", extra={"declared_bytes": declared, "limit_bytes": max_bytes})
        await send_too_large(scope, send, max_bytes)
        return
    received = 0
    exceeded = False
    started = False

    async def limited_receive() -> Message:
        nonlocal received, exceeded
        if exceeded:
            raise BodyTooLarge
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                exceeded = True
                raise BodyTooLarge
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if exceeded:
            return  # the app's own answer to the failed read is replaced by the 413 below
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    too_large_below = False
    try:
        await app(scope, limited_receive, guarded_send)
    except BodyTooLarge:
        # Raised by an inner limit (the embedded gateway's, around this service): that layer logs it.
        too_large_below = not exceeded
        if started:
            raise
    except Exception:
        if not exceeded:
            raise
    if exceeded:
        logger.warning("request body too large", extra={"received_bytes": received, "limit_bytes": max_bytes})
    if (exceeded or too_large_below) and not started:
        await send_too_large(scope, send, max_bytes)


# --- the middleware ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BodyAllowance:
    """A route that takes a larger body than the service's `max_body_bytes` (a file upload)."""

    method: str
    path: re.Pattern[str]
    max_bytes: int


class RequestContextMiddleware:
    """The client's address (X-Forwarded-For believed only from trusted proxies), the request id (the
    gateway's when the request came through it, else a new one; the caller's own is kept as the
    correlation id), the body limit, metrics and the trace span."""

    def __init__(
        self,
        app: ASGIApp,
        service: str = "service",
        *,
        trusted_proxies: Iterable[str] | None = None,
        max_body_bytes: int | None = None,
        body_allowances: Sequence[BodyAllowance] = (),
    ) -> None:
        self.app = app
        self.service = service
        self.trusted = TrustedProxies(trusted_proxies if trusted_proxies is not None else ())
        self.max_body_bytes = max_body_bytes
        self.body_allowances = tuple(body_allowances)
        self._traced = tracing.ServerSpans(self._serve, service)

    def body_limit(self, scope: Scope) -> int | None:
        """`max_body_bytes`, or more on a route with a larger allowance (a file upload)."""
        if self.max_body_bytes is None:
            return None
        for allowance in self.body_allowances:
            if scope["method"] == allowance.method and allowance.path.match(scope["path"]):
                return max(self.max_body_bytes, allowance.max_bytes)
        return self.max_body_bytes

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Inside the server span (tracing on): the span is named after the route once it is known."""

        async def send_named(message: Message) -> None:
            if message["type"] == "http.response.start":  # routed by now: the span takes the route's name
                route = route_template(scope)
                tracing.name_server_span(scope, f"{scope['method']} {route}", route)
            await send(message)

        await self._limited(scope, receive, send_named)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.body_limit(scope)
        if limit is None or within_declared_limit(scope, limit):
            await self.app(scope, receive, send)
        else:
            await limit_body(self.app, scope, receive, send, limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        peer = client[0] if client else None
        in_process = bool(scope.get(VIA_GATEWAY))  # the embedded gateway already set scope["client"]
        from_gateway = in_process or self.trusted.trusts(peer)
        if from_gateway and not in_process:
            address = client_address(peer, header_values(scope, FORWARDED_FOR_HEADER), self.trusted)
            if address != peer:
                scope["client"] = (address, client[1] if client else 0)
        request_id = None
        correlation_id = None
        traceparent = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                if from_gateway:
                    request_id = valid_request_id(value)
                else:
                    correlation_id = valid_request_id(value)
            elif name == CORRELATION_ID_HEADER and from_gateway:
                correlation_id = valid_request_id(value)
            elif name == b"traceparent":
                traceparent = value.decode("latin-1")
        if request_id is None:
            request_id = new_request_id()
        encoded = request_id.encode("ascii")
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, encoded)]
            await send(message)

        request_token = request_id_var.set(request_id)
        correlation_token = correlation_id_var.set(correlation_id)
        trace_token = traceparent_var.set(traceparent)
        language_token = language_var.set(language_of(scope["headers"]))  # problems in the reader's language
        started = time.perf_counter()
        method = scope["method"]
        try:
            if tracing.tracing_enabled():
                await self._traced(scope, receive, send_with_id)  # the server span around the request
            else:
                await self._limited(scope, receive, send_with_id)
        finally:
            request_id_var.reset(request_token)
            correlation_id_var.reset(correlation_token)
            traceparent_var.reset(trace_token)
            language_var.reset(language_token)
            if scope["path"] not in UNMEASURED_PATHS:
                observe_request(self.service, method, route_template(scope), status, time.perf_counter() - started)
