"""The gateway's hot path: a plain ASGI app in front of the services.

At the edge it works out the client's address (X-Forwarded-For believed only from trusted proxies),
gives the request the gateway's own id (the caller's X-Request-Id is kept as the correlation id), limits
the body and the request rate, checks the bearer token, and forwards the request to the owning service
with those headers set by the gateway alone. Anything that is not a routed path falls through to the
gateway's own FastAPI app, with the same edge treatment.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.routes import body_limit, route_for
from gateway.upstream import Upstream, UpstreamTimeout, UpstreamUnavailable
from shared import tracing
from shared.auth import TokenVerifier
from shared.context import correlation_id_var, request_id_var
from shared.errors import PROBLEM_CONTENT_TYPE, Problem, problem_body
from shared.language import language_of, language_var
from shared.metrics import observe_request
from shared.middleware import (
    CORRELATION_ID_HEADER,
    FORWARDED_FOR_HEADER,
    REQUEST_ID_HEADER,
    UNMEASURED_PATHS,
    VIA_GATEWAY,
    BodyTooLarge,
    TrustedProxies,
    client_address,
    header_values,
    limit_body,
    new_request_id,
    valid_request_id,
    within_declared_limit,
)
from shared.ratelimit import Decision, Limit, RateLimits, tightest

logger = logging.getLogger("gateway.proxy")


async def send_problem(
    send: Send,
    status: int,
    code: str,
    detail: str,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    **extra: Any,
) -> int:
    body = json.dumps(problem_body(status, code, detail, **extra)).encode()
    headers = [
        (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    request_id = request_id_var.get()
    if request_id:
        headers.append((b"x-request-id", request_id.encode()))
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return status


# Set by the gateway alone: whatever a caller sends under these names is dropped at the edge.
EDGE_HEADERS = frozenset({REQUEST_ID_HEADER, CORRELATION_ID_HEADER, FORWARDED_FOR_HEADER})
DECISIONS = "doorstep.rate_limit_decisions"  # scope key: the limits counted for this request
FORWARDING = "doorstep.forwarding"  # scope key: (service, headers to send, the caller's traceparent)


# Compressing smaller answers costs more than it saves (headers, a frame); larger JSON shrinks 5-10 times.
GZIP_MINIMUM_BYTES = 1024
# zlib's default: near level 9's size at a fraction of its CPU, on a gateway sharing two cores.
GZIP_LEVEL = 6


def gzip_accepted(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value allows gzip: named (or `*`) with a q-value above 0."""
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        coding, _, parameters = part.strip().partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.strip().lower()] = weight
    if "gzip" in weights:
        return weights["gzip"] > 0
    if "x-gzip" in weights:
        return weights["x-gzip"] > 0
    return weights.get("*", 0.0) > 0


class CompressingMiddleware:
    """gzip for answers of 1 KiB and more when the client accepts it (Starlette's GZipResponder: an
    answer already encoded passes untouched, Content-Length is set to the compressed size, streamed
    answers such as CSV exports are compressed chunk by chunk, `Vary: Accept-Encoding` is added).
    The services never compress, so nothing is compressed twice. ETags name the uncompressed answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = next((value for name, value in scope["headers"] if name == b"accept-encoding"), b"")
        if scope["type"] != "http" or not gzip_accepted(accept.decode("latin-1")):
            await self.app(scope, receive, send)
            return
        await GZipResponder(self.app, GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)(scope, receive, send)


class EdgeLimits:
    """Requests per minute per client address and per caller (token subject), in one store."""

    def __init__(self, store: RateLimits, per_address_per_minute: int, per_caller_per_minute: int) -> None:
        self.store = store
        self.address = Limit("address", per_address_per_minute, 60) if per_address_per_minute else None
        self.caller = Limit("caller", per_caller_per_minute, 60) if per_caller_per_minute else None

    async def close(self) -> None:
        await self.store.close()


class GatewayProxy:
    def __init__(
        self,
        control_app: ASGIApp,
        upstreams: dict[str, Upstream],
        verifier: TokenVerifier,
        *,
        max_body: int,
        limits: EdgeLimits | None = None,
        trusted_proxies: list[str] | None = None,
        cors_allow_origins: list[str] | None = None,
    ) -> None:
        self.control_app = control_app
        self.upstreams = upstreams
        self.verifier = verifier
        # The gateway's server span per forwarded request (the ASGI instrumentation), e.g. "POST ticket".
        self._traced_upstream = tracing.ServerSpans(
            self._send_upstream, "gateway", span_name=lambda scope: f"{scope['method']} {scope[FORWARDING][0]}"
        )
        self.max_body = max_body
        self.limits = limits
        self.trusted = TrustedProxies(trusted_proxies or ())
        self._dispatch: ASGIApp = self._route
        if cors_allow_origins:
            self._dispatch = CORSMiddleware(
                self._route,
                allow_origins=cors_allow_origins,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                allow_headers=[
                    "authorization", "content-type", "idempotency-key", "x-request-id", "if-match", "if-none-match",
                    "accept-language",
                ],
                expose_headers=[
                    "x-request-id", "x-correlation-id", "retry-after", "location",
                    "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "etag", "idempotent-replayed",
                ],
                max_age=600,
            )  # fmt: skip
        # Outermost: every answer leaving the gateway, the services' and its own, is compressed once here.
        self._dispatch = CompressingMiddleware(self._dispatch)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.control_app(scope, receive, send)
            return
        client = scope.get("client")
        peer = client[0] if client else None
        address = client_address(peer, header_values(scope, FORWARDED_FOR_HEADER), self.trusted)
        correlation_id = None
        headers: list[tuple[bytes, bytes]] = []
        for name, value in scope["headers"]:
            if name in EDGE_HEADERS:
                if name == REQUEST_ID_HEADER:
                    correlation_id = valid_request_id(value)
                continue
            headers.append((name, value))
        request_id = new_request_id()
        encoded_id = request_id.encode()
        headers.append((REQUEST_ID_HEADER, encoded_id))
        headers.append((FORWARDED_FOR_HEADER, address.encode("latin-1")))
        echoed: list[tuple[bytes, bytes]] = [(REQUEST_ID_HEADER, encoded_id)]
        if correlation_id is not None:
            headers.append((CORRELATION_ID_HEADER, correlation_id.encode()))
            echoed.append((CORRELATION_ID_HEADER, correlation_id.encode()))
        scope = {
            **scope,
            "client": (address, client[1] if client else 0),
            "headers": headers,
            VIA_GATEWAY: True,
            DECISIONS: [],
        }

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision = tightest(scope[DECISIONS])
                extra = decision.raw_headers() if decision is not None else []
                replaced = {name for name, _ in echoed} | {name for name, _ in extra}
                message["headers"] = [
                    *(item for item in message.get("headers", []) if item[0] not in replaced),
                    *echoed,
                    *extra,
                ]
            await send(message)

        request_token = request_id_var.set(request_id)
        correlation_token = correlation_id_var.set(correlation_id)
        language_token = language_var.set(language_of(scope["headers"]))  # the gateway's own problems too
        try:
            limit = body_limit(scope["method"], scope["path"], self.max_body)  # uploads take more
            if within_declared_limit(scope, limit):  # no body, or a declared one within the limit
                await self._dispatch(scope, receive, send_with_ids)
            else:
                await limit_body(self._dispatch, scope, receive, send_with_ids, limit)
        finally:
            request_id_var.reset(request_token)
            correlation_id_var.reset(correlation_token)
            language_var.reset(language_token)

    async def _limited(self, scope: Scope, send: Send, limit: Limit | None, key: str, detail: str) -> bool:
        """Counts the request against `limit`; answers 429 and returns True when it is over."""
        if limit is None or self.limits is None:
            return False
        decision: Decision = await self.limits.store.hit(limit, key)
        scope[DECISIONS].append(decision)
        if decision.allowed:
            return False
        await send_problem(send, 429, "rate_limited", detail, instance=scope["path"])
        return True

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.limits is not None and scope["path"] not in UNMEASURED_PATHS:
            detail = "Too many requests from this address."
            if await self._limited(scope, send, self.limits.address, scope["client"][0], detail):
                return
        route = route_for(scope["path"])
        if route is None:
            await self.control_app(scope, receive, send)
            return
        prefix, service = route
        started = time.perf_counter()
        status = 500
        try:
            status = await self._forward(service, scope, receive, send)
        finally:
            observe_request("gateway", scope["method"], prefix, status, time.perf_counter() - started)

    async def _send_upstream(self, scope: Scope, receive: Receive, send: Send) -> None:
        service, headers, traceparent = scope.pop(FORWARDING)
        outgoing = tracing.current_traceparent() if tracing.tracing_enabled() else traceparent
        if outgoing:
            headers.append((b"traceparent", outgoing.encode("latin-1")))
        limit = body_limit(scope["method"], scope["path"], self.max_body)
        await self.upstreams[service].forward(scope, receive, send, headers, limit)

    async def _forward(self, service: str, scope: Scope, receive: Receive, send: Send) -> int:
        """Forwards the request; returns the status the client got."""
        authorization = None
        traceparent = None
        headers: list[tuple[bytes, bytes]] = []
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"traceparent":
                traceparent = value.decode("latin-1")
                continue  # replaced below by the gateway's own span when tracing is on
            headers.append((name, value))
        if authorization is not None:
            scheme, _, credentials = authorization.decode("latin-1").partition(" ")
            try:
                if scheme.lower() != "bearer" or not credentials:
                    raise Problem("Use the Bearer scheme.", code="invalid_authorization_header", status=401)
                # Awaited: a JWKS fetch for an unknown key id never holds up the other requests.
                principal = await self.verifier.verify_async(credentials.strip())
            except Problem as problem:
                return await send_problem(send, problem.status, problem.code, problem.detail, instance=scope["path"])
            detail = "Too many requests for this caller."
            if self.limits is not None and await self._limited(
                scope, send, self.limits.caller, principal.user_id, detail
            ):
                return 429
        status = 500

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            scope[FORWARDING] = (service, headers, traceparent)
            if tracing.tracing_enabled():
                await self._traced_upstream(scope, receive, tracking_send)  # the gateway's server span
            else:
                await self._send_upstream(scope, receive, tracking_send)
            return status
        except BodyTooLarge:
            raise  # answered 413 by the edge's body limit
        except UpstreamUnavailable:
            logger.warning("service unavailable", extra={"service": service})
            return await send_problem(
                send, 502, "service_unavailable", f"The {service} service cannot be reached.", service=service
            )
        except UpstreamTimeout:
            logger.warning("service timed out", extra={"service": service})
            return await send_problem(
                send, 504, "service_timeout", f"The {service} service did not answer in time.", service=service
            )
