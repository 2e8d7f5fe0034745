"""The embedded mode: the gateway and the five services in one process, SQLite, an in-process bus.

This launcher is the one place where the services' apps are mounted together; services never import
each other or the gateway.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

import catalog_service.app
import deliberation_service.app
import evaluation_service.app
import notification_service.app
import ticket_service.app
from gateway.app import create_app as create_gateway
from gateway.proxy import GatewayProxy
from gateway.settings import GatewaySettings
from gateway.upstream import AsgiUpstream, Upstream
from shared.events import InProcessBus
from shared.logging import configure_logging
from shared.server import serve
from shared.service import ServiceDefinition, run_migrations_sync
from shared.settings import Mode, ServiceSettings

logger = logging.getLogger("gateway.embedded")

SERVICE_MODULES = {
    "catalog": catalog_service.app,
    "ticket": ticket_service.app,
    "deliberation": deliberation_service.app,
    "evaluation": evaluation_service.app,
    "notification": notification_service.app,
}


@dataclass
class EmbeddedSystem:
    gateway: GatewayProxy
    services: dict[str, FastAPI]
    bus: InProcessBus


def service_settings(definition: ServiceDefinition, var_directory: Path, **overrides: Any) -> ServiceSettings:
    database = var_directory / f"{definition.name}.db"
    return definition.settings_factory().model_copy(
        update={"mode": Mode.embedded, "database_url": f"sqlite+aiosqlite:///{database}", **overrides}
    )


def build(
    var_directory: Path = Path("var"),
    *,
    gateway_settings: GatewaySettings | None = None,
    migrate: bool = True,
    seed: bool = True,
    service_overrides: dict[str, Any] | None = None,
) -> EmbeddedSystem:
    var_directory.mkdir(parents=True, exist_ok=True)
    gateway_settings = gateway_settings or GatewaySettings(mode=Mode.embedded)
    bus = InProcessBus()
    services: dict[str, FastAPI] = {}
    settings_by_name: dict[str, ServiceSettings] = {}
    for name, module in SERVICE_MODULES.items():
        # One process, one public name: the gateway's (services build their public URLs from it).
        overrides = {"public_base_url": gateway_settings.public_base_url, **(service_overrides or {})}
        settings = service_settings(module.definition, var_directory, **overrides)
        if migrate:
            run_migrations_sync(module.definition, settings)
        settings_by_name[name] = settings
        services[name] = module.create_app(settings, bus=bus)

    upstreams: dict[str, Upstream] = {
        name: AsgiUpstream(name, app, gateway_settings.upstream_timeout_seconds) for name, app in services.items()
    }

    @asynccontextmanager
    async def bus_running() -> AsyncIterator[None]:
        await bus.start()
        try:
            yield
        finally:
            await bus.stop()

    def service_lifespan(app: FastAPI) -> Callable[[], Any]:
        return lambda: app.router.lifespan_context(app)

    @asynccontextmanager
    async def demo_data() -> AsyncIterator[None]:
        if seed:
            await seed_demo(services)
        yield

    async def refresh_metrics() -> None:
        # One process, one registry: the gateway's /metrics shows every service's series.
        for app in services.values():
            await app.state.runtime.refresh_metrics()

    lifespans = [bus_running, *(service_lifespan(app) for app in services.values()), demo_data]
    gateway = create_gateway(gateway_settings, upstreams, lifespans=lifespans, metrics_refresh=refresh_metrics)
    # The notification service calls the others (a resident's contact, a rating link) through the gateway,
    # as it does in Kubernetes: in one process, over an in-process transport instead of the network.
    services["notification"].state.service_transport = httpx.ASGITransport(app=gateway)
    # The evaluation service's district overview reads the ticket figures the same way (the caller's token).
    services["evaluation"].state.service_transport = httpx.ASGITransport(app=gateway)
    return EmbeddedSystem(gateway=gateway, services=services, bus=bus)


async def seed_demo(services: dict[str, FastAPI]) -> None:
    """Seeds each service in turn (catalogue first), delivering each one's events before the next
    seeds, so every service's local copies (stations, staff) are in place when its own seed runs."""
    for name, module in SERVICE_MODULES.items():
        runtime = services[name].state.runtime
        if module.definition.seed is None:
            continue
        await module.definition.seed(runtime.database)
        while await runtime.relay.publish_batch():
            pass
    logger.info("demo data seeded")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway.embedded")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--var", type=Path, default=Path("var"))
    parser.add_argument("--no-seed", action="store_true")
    arguments = parser.parse_args(argv)
    # Before the demo data is built: a busy port (another `make run` still serving) is refused at once.
    from shared.server import require_free_port

    require_free_port(arguments.host, arguments.port)
    settings = GatewaySettings(mode=Mode.embedded)
    configure_logging("embedded", settings.log_level, json_output=settings.log_json)
    system = build(arguments.var, gateway_settings=settings, seed=not arguments.no_seed)

    serve(system.gateway, settings, arguments.host, arguments.port)


if __name__ == "__main__":
    main()
