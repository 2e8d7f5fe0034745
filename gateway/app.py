"""The API gateway: the single public entry to the doorstep service stations' back end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway import openapi
from gateway.identity.router import router as identity_router
from gateway.problems import router as problems_router
from gateway.proxy import EdgeLimits, GatewayProxy
from gateway.routes import SERVICES
from gateway.settings import GatewaySettings
from gateway.upstream import HttpUpstream, Upstream
from shared.auth import TokenVerifier
from shared.errors import install_problem_handlers
from shared.metrics import metrics_router
from shared.middleware import RequestContextMiddleware
from shared.operation_ids import route_operation_id
from shared.ratelimit import RateLimits
from shared.tracing import configure_tracing

DESCRIPTION = """Shanghai Pudong's doorstep service stations (家门口服务站): 1,285 stations across 36
subdistricts. Stations and their three lists, residents' tickets under the three responsibility rules,
projects through the three meetings, and residents' evaluations of social workers.

Errors are RFC 9457 `application/problem+json`. Authenticate with a bearer token."""


def http_upstreams(settings: GatewaySettings) -> dict[str, Upstream]:
    return {
        name: HttpUpstream(
            name,
            url,
            timeout=settings.upstream_timeout_seconds,
            connect_timeout=settings.upstream_connect_timeout_seconds,
        )
        for name, url in settings.service_urls().items()
    }


def create_app(
    settings: GatewaySettings | None = None,
    upstreams: dict[str, Upstream] | None = None,
    *,
    lifespans: list[Callable[[], Any]] | None = None,
    metrics_refresh: Callable[[], Awaitable[None]] | None = None,
) -> GatewayProxy:
    """`lifespans` are extra async context managers run with the gateway (the embedded services)."""
    settings = settings or GatewaySettings()
    if settings.tracing_enabled:
        configure_tracing("gateway")
    upstreams = upstreams if upstreams is not None else http_upstreams(settings)
    verifier = TokenVerifier(settings)
    limits = None
    if settings.rate_limit_per_address_per_minute or settings.rate_limit_per_token_per_minute:
        limits = EdgeLimits(
            RateLimits(settings.rate_limit_store(), settings.rate_limit_key_prefix),
            settings.rate_limit_per_address_per_minute,
            settings.rate_limit_per_token_per_minute,
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for context in lifespans or []:
                await stack.enter_async_context(context())
            for upstream in upstreams.values():
                await upstream.start()
                stack.push_async_callback(upstream.close)
            if limits is not None:
                stack.push_async_callback(limits.close)
            yield

    control = FastAPI(
        title="Doorstep service stations API",
        description=DESCRIPTION,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url=None,  # served below, merged from every service
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=route_operation_id,
    )
    control.state.settings = settings
    control.state.token_verifier = verifier
    control.state.upstreams = upstreams  # the demo issuer asks the catalogue who a seeded login names
    install_problem_handlers(control)
    control.add_middleware(RequestContextMiddleware, service="gateway")
    control.include_router(identity_router)
    control.include_router(problems_router)
    control.include_router(metrics_router(metrics_refresh))
    merged_document: dict[str, Any] = {}

    @control.get("/livez", include_in_schema=False)
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @control.get("/readyz", include_in_schema=False)
    async def readyz(scope: str = "all") -> JSONResponse:
        if scope == "local":
            # The Kubernetes readiness probe: one service being down must not take every gateway pod
            # out of the load balancer, since the other routes still work.
            return JSONResponse({"status": "ready"})

        async def check(name: str) -> tuple[str, dict[str, Any]]:
            try:
                status, body = await upstreams[name].get_json("/readyz", settings.readiness_timeout_seconds)
            except Exception as error:  # unreachable or slow: reported, never raised
                return name, {"ready": False, "detail": f"unreachable: {type(error).__name__}"}
            return name, {"ready": status == 200, "status": status, "checks": (body or {}).get("checks")}

        results = dict(await asyncio.gather(*(check(name) for name in SERVICES)))
        ready = all(result["ready"] for result in results.values())
        not_ready = [name for name, result in results.items() if not result["ready"]]
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "not_ready": not_ready, "services": results},
            status_code=200 if ready else 503,
        )

    @control.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        if not merged_document:
            documents: dict[str, dict[str, Any]] = {}
            for name in SERVICES:
                try:
                    status, document = await upstreams[name].get_json(
                        "/openapi.json", settings.readiness_timeout_seconds
                    )
                except Exception:
                    continue
                if status == 200 and isinstance(document, dict):
                    documents[name] = document
            result = openapi.merge(control.openapi(), documents)
            if len(documents) == len(SERVICES):
                merged_document.update(result)  # cache only a complete document
            return JSONResponse(result)
        return JSONResponse(merged_document)

    @control.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> Any:
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/openapi.json", title="Doorstep API")

    control.openapi_url = None

    return GatewayProxy(
        control,
        upstreams,
        verifier,
        max_body=settings.max_body_bytes,
        limits=limits,
        trusted_proxies=settings.trusted_proxies,
        cors_allow_origins=settings.cors_allow_origins,
    )
