"""The gateway's hot path: a plain ASGI app in front of the services.

It checks the bearer token at the edge, gives the request an id, and forwards it to the owning
service. Anything that is not a routed path falls through to the gateway's own FastAPI app.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from opentelemetry.trace import SpanKind
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.limits import RateLimiter, retry_after_header
from gateway.routes import route_for
from gateway.upstream import BodyTooLarge, Upstream, UpstreamTimeout, UpstreamUnavailable
from shared import tracing
from shared.auth import Principal, TokenVerifier
from shared.context import request_id_var
from shared.errors import PROBLEM_CONTENT_TYPE, Problem, problem_body
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from shared.middleware import valid_request_id

logger = logging.getLogger("gateway.proxy")


async def send_problem(
    send: Send,
    status: int,
    code: str,
    detail: str,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    **extra: object,
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


class GatewayProxy:
    def __init__(
        self,
        control_app: ASGIApp,
        upstreams: dict[str, Upstream],
        verifier: TokenVerifier,
        *,
        max_body: int,
        token_limiter: RateLimiter | None = None,
        address_limiter: RateLimiter | None = None,
        cors_allow_origins: list[str] | None = None,
    ) -> None:
        self.control_app = control_app
        self.upstreams = upstreams
        self.verifier = verifier
        self.max_body = max_body
        self.token_limiter = token_limiter
        self.address_limiter = address_limiter
        self._dispatch: ASGIApp = self._route
        if cors_allow_origins:
            self._dispatch = CORSMiddleware(
                self._route,
                allow_origins=cors_allow_origins,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                allow_headers=["authorization", "content-type", "idempotency-key", "x-request-id"],
                expose_headers=["x-request-id", "retry-after", "location"],
                max_age=600,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.control_app(scope, receive, send)
            return
        await self._dispatch(scope, receive, send)

    def _principal(self, token: str) -> Principal:
        return self.verifier.verify(token)  # the verifier remembers verified tokens until they expire

    def _limited(self, limiter: RateLimiter | None, key: str) -> float:
        return limiter.acquire(key, time.monotonic()) if limiter is not None else 0.0

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        wait = self._limited(self.address_limiter, client[0]) if client else 0.0
        if wait:
            await send_problem(
                send, 429, "rate_limited", "Too many requests from this address.",
                headers=[(b"retry-after", retry_after_header(wait).encode())],
            )  # fmt: skip
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
            method = scope["method"]
            HTTP_REQUESTS.labels("gateway", method, prefix, str(status)).inc()
            HTTP_LATENCY.labels("gateway", method, prefix).observe(time.perf_counter() - started)

    async def _forward(self, service: str, scope: Scope, receive: Receive, send: Send) -> int:
        """Forwards the request; returns the status the client got."""
        request_id = None
        authorization = None
        traceparent = None
        headers: list[tuple[bytes, bytes]] = []
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = valid_request_id(value)
                continue
            if name == b"authorization":
                authorization = value
            elif name == b"traceparent":
                traceparent = value.decode("latin-1")
                continue  # replaced below by the gateway's own span when tracing is on
            elif name == b"x-forwarded-for":
                continue  # set below from the real peer; a client cannot choose its own address
            headers.append((name, value))
        request_id = request_id or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        try:
            if authorization is not None:
                scheme, _, credentials = authorization.decode("latin-1").partition(" ")
                try:
                    if scheme.lower() != "bearer" or not credentials:
                        raise Problem("Use the Bearer scheme.", code="invalid_authorization_header", status=401)
                    principal = self._principal(credentials.strip())
                except Problem as problem:
                    return await send_problem(
                        send, problem.status, problem.code, problem.detail, instance=scope["path"]
                    )
                wait = self._limited(self.token_limiter, principal.user_id)
                if wait:
                    return await send_problem(
                        send, 429, "rate_limited", "Too many requests for this caller.",
                        headers=[(b"retry-after", retry_after_header(wait).encode())],
                    )  # fmt: skip
            client = scope.get("client")
            if client:
                headers.append((b"x-forwarded-for", client[0].encode()))
            encoded_id = request_id.encode()
            headers.append((b"x-request-id", encoded_id))
            status = 500

            async def send_with_id(message: dict) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message["headers"] = [
                        *(item for item in message["headers"] if item[0] != b"x-request-id"),
                        (b"x-request-id", encoded_id),
                    ]
                await send(message)

            try:
                with tracing.span(f"{scope['method']} {service}", SpanKind.SERVER, traceparent, "gateway"):
                    outgoing = tracing.current_traceparent() if tracing.tracing_enabled() else traceparent
                    if outgoing:
                        headers.append((b"traceparent", outgoing.encode("latin-1")))
                    await self.upstreams[service].forward(scope, receive, send_with_id, headers, self.max_body)
                return status
            except BodyTooLarge:
                return await send_problem(
                    send, 413, "body_too_large", f"The body exceeds {self.max_body} bytes.", instance=scope["path"]
                )
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
        finally:
            request_id_var.reset(token)
