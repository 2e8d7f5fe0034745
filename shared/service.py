"""What every service process is made of, built the same way for each service.

`ServiceDefinition` says what a service is (name, settings, routers, consumer, migrations); `create_app`
turns it into a FastAPI app whose lifespan starts the outbox relay and the consumers and stops them
gracefully. `main` is each service's `python -m` entry point.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.asyncapi import EventContract
from shared.asyncapi import build_document as build_asyncapi
from shared.auth import TokenVerifier
from shared.conditional import install_conditional_requests
from shared.database import Database
from shared.errors import install_problem_handlers, reject_unstorable_input
from shared.events.bus import EventBus, InProcessBus
from shared.events.inbox import EventConsumer
from shared.events.outbox import DedicatedOutboxRelay, OutboxRelay
from shared.health import Check, health_router
from shared.logging import configure_logging
from shared.metrics import DLQ_DEPTH, metrics_router
from shared.middleware import BodyAllowance, RequestContextMiddleware
from shared.migrations import database_revision, migration_state, upgrade
from shared.operation_ids import route_operation_id
from shared.periodic import PeriodicTask, started_tasks
from shared.route_memo import remember_routes
from shared.settings import ServiceSettings
from shared.tracing import FASTAPI_TELEMETRY, configure_tracing

logger = logging.getLogger("shared.service")

# How long a starting service waits for its relay's own broker connection (the service's bus just connected).
RELAY_START_SECONDS = 10.0


@dataclass
class ServiceDefinition:
    name: str
    title: str
    settings_factory: Callable[[], ServiceSettings]
    routers: Sequence[APIRouter]
    migrations_directory: Path
    consumer: EventConsumer | None = None
    # The event types the service publishes and consumes, declared once (see each service's events.py).
    published_events: dict[str, str] = field(default_factory=dict)
    consumed_events: dict[str, str] = field(default_factory=dict)
    # The payload models of those events: served as the service's AsyncAPI document at /asyncapi.json.
    event_contract: EventContract | None = None
    default_port: int = 8000
    description: str = ""
    configure_app: Callable[[FastAPI], None] | None = None
    # Demo data for the embedded mode and `python -m <service> seed`: deterministic and idempotent.
    seed: Callable[[Database], Awaitable[None]] | None = None
    # Maintenance commands of the service: `python -m <service> <name>` runs one with its database and
    # settings, then exits (e.g. the ticket service's `anonymise`).
    commands: dict[str, Callable[[Database, ServiceSettings], Awaitable[None]]] = field(default_factory=dict)
    # Routes whose bodies may exceed the settings' `max_body_bytes` (file uploads), up to their allowance.
    body_allowances: Sequence[BodyAllowance] = ()


class ServiceRuntime:
    """The live parts of one service: settings, database, bus, relay, token verifier."""

    def __init__(self, definition: ServiceDefinition, settings: ServiceSettings, bus: EventBus | None = None):
        self.definition = definition
        self.settings = settings
        self.database = Database(settings.async_database_url, pool_size=settings.database_pool_size)
        self.owns_bus = bus is None
        self.bus: EventBus = bus if bus is not None else self._make_bus(settings)
        self.relay = self._make_relay(definition.name, settings)
        self.verifier = TokenVerifier(settings)
        # Idempotency-Key records outlive their window by at most an hour (shared/idempotency.py, which
        # imports this module: hence imported here).
        from shared.idempotency import purge

        self.idempotency_purge = PeriodicTask(
            "idempotency-purge", lambda: purge(self.database), interval_seconds=3600, service=definition.name
        )
        if definition.consumer is not None:
            definition.consumer.bind(self.database, self.bus)
        # The service's own scrape-time gauges (`add_metrics_refresh`), read after the kernel's.
        self.metrics_refreshes: list[Callable[[], Awaitable[None]]] = []

    def _make_relay(self, service: str, settings: ServiceSettings) -> OutboxRelay | DedicatedOutboxRelay:
        options: dict[str, Any] = {
            "batch_size": settings.outbox_batch_size,
            "poll_seconds": settings.outbox_poll_seconds,
            "max_backoff_seconds": settings.outbox_max_backoff_seconds,
            "service": service,
        }
        if (
            settings.outbox_relay_thread
            and self.owns_bus
            and not settings.uses_in_process_bus
            and not self.database.is_sqlite
        ):
            # Its own thread, loop, connections and broker channel: requests cannot starve the events.
            return DedicatedOutboxRelay(
                self.database, lambda: self._make_bus(settings, connection_name="doorstep-relay"), **options
            )
        # The in-process bus (embedded mode, or one a test passes in) lives on the request loop.
        return OutboxRelay(self.database, self.bus, **options)

    @staticmethod
    def _make_bus(settings: ServiceSettings, *, connection_name: str = "doorstep") -> EventBus:
        if settings.uses_in_process_bus:
            return InProcessBus(
                max_retries=settings.consumer_max_retries,
                retry_delay_seconds=settings.consumer_retry_delay_ms / 1000,
            )
        from shared.events.rabbitmq import RabbitMQBus

        return RabbitMQBus(
            settings.broker_url,
            namespace=settings.event_namespace,
            prefetch=settings.consumer_prefetch,
            max_retries=settings.consumer_max_retries,
            retry_delay_ms=settings.consumer_retry_delay_ms,
            connection_name=connection_name,
        )

    async def start(self) -> None:
        if self.owns_bus:
            await self.bus.start()
        self.relay.start()
        if isinstance(self.relay, DedicatedOutboxRelay) and not await self.relay.wait_started(RELAY_START_SECONDS):
            logger.warning("outbox relay not running yet; readiness says so until it is")
        self.idempotency_purge.start()
        logger.info("service started", extra={"mode": self.settings.mode.value})

    async def stop(self) -> None:
        # Order matters: stop taking messages and settle those in hand, then flush the outbox.
        if self.owns_bus:
            await self._stop_consumers_then_flush()
        else:
            await self.relay.stop(flush=True)
        await self.idempotency_purge.stop()
        await self.database.dispose()

    async def _stop_consumers_then_flush(self) -> None:
        await self.bus.stop_consumers()
        await self.relay.stop(flush=True)
        await self.bus.stop()

    def readiness_checks(self) -> dict[str, Check]:
        async def database() -> tuple[bool, str]:
            async with self.database.engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
            return True, "reachable"

        async def migrations() -> tuple[bool, str]:
            current = await database_revision(self.database.engine, self.definition.name)
            return migration_state(self.definition.migrations_directory, current)

        checks: dict[str, Check] = {"database": database, "migrations": migrations}
        consumer = self.definition.consumer
        if consumer is not None and consumer.event_types:

            async def consumers() -> tuple[bool, str]:
                consuming = self.bus.is_consuming(consumer.name)
                return consuming, "consuming" if consuming else "not consuming"

            checks["consumer"] = consumers

        async def relay() -> tuple[bool, str]:
            return self.relay.running, "running" if self.relay.running else "stopped"

        checks["outbox_relay"] = relay

        async def periodic_tasks() -> tuple[bool, str]:
            # Shown, never failing readiness: a stale housekeeping task is no reason to take this replica out
            # of the load balancer (the alert on doorstep_periodic_last_success_timestamp_seconds wakes someone).
            now = time.time()
            states = [(task.name, *task.state(now)) for task in started_tasks(self.definition.name)]
            if not states:
                return True, "none running"
            return True, "; ".join(f"{name}: {detail}" for name, _healthy, detail in states)

        checks["periodic_tasks"] = periodic_tasks
        return checks

    def add_metrics_refresh(self, refresh: Callable[[], Awaitable[None]]) -> None:
        """A service's gauges computed at scrape time (e.g. open work read from its database)."""
        self.metrics_refreshes.append(refresh)

    async def refresh_metrics(self) -> None:
        """Gauges read at scrape time: the outbox backlog, the dead-letter queue's depth, then the service's."""
        try:
            await self.relay.backlog()
            consumer = self.definition.consumer
            if consumer is not None and consumer.event_types:
                DLQ_DEPTH.labels(consumer.name).set(await self.bus.dead_letter_depth(consumer.name))
        finally:  # a broker that cannot be asked must not leave the service's own gauges stale
            for refresh in self.metrics_refreshes:
                try:
                    await refresh()
                except Exception:
                    logger.warning("metrics refresh failed", exc_info=True)

    def migrate(self) -> None:
        upgrade(self.definition.migrations_directory, self.settings.async_database_url, self.definition.name)


async def runtime(request: Request) -> ServiceRuntime:
    service_runtime: ServiceRuntime = request.app.state.runtime
    return service_runtime


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.database.transaction() as session:
        yield session


# The transaction spans the endpoint and commits before the response is sent ("function" scope), so a
# failed commit is reported to the client instead of after a 2xx.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


def create_app(
    definition: ServiceDefinition, settings: ServiceSettings | None = None, *, bus: EventBus | None = None
) -> FastAPI:
    settings = settings or definition.settings_factory()
    if settings.tracing_enabled:
        configure_tracing(definition.name)
    service_runtime = ServiceRuntime(definition, settings, bus)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service_runtime.start()
        try:
            yield
        finally:
            await service_runtime.stop()

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        dependencies=[Depends(reject_unstorable_input)],
        # `tickets_create`, not `create_ticket_api_v1_tickets_post`: the names generated clients show.
        generate_unique_id_function=route_operation_id,
        telemetry=FASTAPI_TELEMETRY,  # the server span is RequestContextMiddleware's (shared/tracing.py)
    )
    app.state.runtime = service_runtime
    app.state.token_verifier = service_runtime.verifier
    install_problem_handlers(app)
    install_conditional_requests(app)  # inside the request context: ETags, 304, 409 on a lost version race
    app.add_middleware(
        RequestContextMiddleware,
        service=definition.name,
        trusted_proxies=settings.trusted_proxies,
        max_body_bytes=settings.max_body_bytes,
        body_allowances=definition.body_allowances,
    )
    app.include_router(health_router(lambda request: request.app.state.runtime.readiness_checks()))
    app.include_router(metrics_router(service_runtime.refresh_metrics))
    for router in definition.routers:
        app.include_router(router)
    if definition.event_contract is not None:
        asyncapi_document = build_asyncapi(definition.event_contract, exchange=f"{settings.event_namespace}.events")

        @app.get("/asyncapi.json", include_in_schema=False)
        async def asyncapi() -> dict[str, Any]:
            """The AsyncAPI 3.0 document of the events this service sends and receives."""
            return asyncapi_document

    if definition.configure_app is not None:
        definition.configure_app(app)
    remember_routes(app)  # a path answered once is routed without the walk (shared/route_memo.py)
    return app


def main(definition: ServiceDefinition, argv: Sequence[str] | None = None) -> None:
    """`python -m <service> [serve|migrate|seed|<one of the definition's commands>]`."""
    parser = argparse.ArgumentParser(prog=f"python -m {definition.name}_service")
    commands = ["serve", "migrate", "seed", *definition.commands]
    parser.add_argument("command", nargs="?", default="serve", choices=commands)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=definition.default_port)
    arguments = parser.parse_args(argv)
    settings = definition.settings_factory()
    configure_logging(definition.name, settings.log_level, json_output=settings.log_json)
    if arguments.command == "migrate":
        upgrade(definition.migrations_directory, settings.async_database_url, definition.name)
        return
    if arguments.command == "seed":
        asyncio.run(_seed(definition, settings))
        return
    if arguments.command in definition.commands:
        asyncio.run(_command(definition.commands[arguments.command], settings))
        return

    from shared.server import serve

    serve(create_app(definition, settings), settings, arguments.host, arguments.port)


async def _seed(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    """Seeds, then leaves the events in the outbox: the running service's relay publishes them."""
    if definition.seed is None:
        return
    database = Database(settings.async_database_url)
    try:
        await definition.seed(database)
    finally:
        await database.dispose()


async def _command(command: Callable[[Database, ServiceSettings], Awaitable[None]], settings: ServiceSettings) -> None:
    database = Database(settings.async_database_url)
    try:
        await command(database, settings)
    finally:
        await database.dispose()


def run_migrations_sync(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    upgrade(definition.migrations_directory, settings.async_database_url, definition.name)


async def run_migrations(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    await asyncio.to_thread(run_migrations_sync, definition, settings)
