"""The API gateway: the single public entry to the doorstep service stations' back end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from starlette.staticfiles import StaticFiles

from gateway import openapi
from gateway.identity.router import router as identity_router
from gateway.problems import router as problems_router
from gateway.proxy import EdgeLimits, GatewayProxy
from gateway.routes import SERVICES
from gateway.settings import GatewaySettings
from gateway.upstream import HttpUpstream, Upstream
from shared import asyncapi
from shared.auth import TokenVerifier
from shared.errors import install_problem_handlers
from shared.metrics import metrics_router
from shared.middleware import RequestContextMiddleware
from shared.operation_ids import route_operation_id
from shared.ratelimit import RateLimits
from shared.tracing import FASTAPI_TELEMETRY, configure_tracing

DESCRIPTION = """Shanghai Pudong's doorstep service stations (家门口服务站): 1,285 stations across 36
subdistricts. Stations and their three lists, residents' tickets under the three responsibility rules,
projects through the three meetings, and residents' evaluations of social workers.

Errors are RFC 9457 `application/problem+json`. Authenticate with a bearer token."""

EVENTS_DESCRIPTION = """The CloudEvents 1.0 (structured JSON) the services exchange over RabbitMQ, merged from
every service's own `/asyncapi.json`. A channel is an event type, the routing key on the topic exchange;
its message's payload is the CloudEvent's `data` as its producer publishes it. `send` operations name the
producer, `receive` operations each consumer and (`x-reader`) the fields it reads. District systems receive
the same events through signed webhooks."""


DOCS_ASSETS = "/docs/assets"


def swagger_assets() -> str:
    """The folder of Swagger UI's bundled script and stylesheet, as the fastapi-swagger package ships it."""
    return str(resources.files("fastapi_swagger") / "resources")


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
        telemetry=FASTAPI_TELEMETRY,  # the server span is RequestContextMiddleware's (shared/tracing.py)
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

    merged_events: dict[str, Any] = {}

    @control.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_document() -> JSONResponse:
        """Every service's events in one AsyncAPI 3.0 document, merged as /openapi.json is."""
        if not merged_events:
            documents: dict[str, dict[str, Any]] = {}
            for name in SERVICES:
                try:
                    status, document = await upstreams[name].get_json(
                        "/asyncapi.json", settings.readiness_timeout_seconds
                    )
                except Exception:
                    continue
                if status == 200 and isinstance(document, dict):
                    documents[name] = document
            result = asyncapi.merge(documents, title="Doorstep service stations events", description=EVENTS_DESCRIPTION)
            if len(documents) == len(SERVICES):
                merged_events.update(result)  # cache only a complete document
            return JSONResponse(result)
        return JSONResponse(merged_events)

    # Swagger UI's script, stylesheet and icon come from the gateway itself (the fastapi-swagger package
    # ships them), never from a CDN: /docs works offline and behind a firewall. A mount, out of the schema.
    control.mount(DOCS_ASSETS, StaticFiles(directory=swagger_assets()), name="docs-assets")

    @control.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> Any:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Doorstep API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )

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
