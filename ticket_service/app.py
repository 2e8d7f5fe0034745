"""The ticket service: a resident's request becomes a ticket that always has an owner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

# Importing the handler modules registers the event handlers on the consumer.
import ticket_service.stations.handlers
import ticket_service.tickets.handlers  # noqa: F401
from shared.events import EventBus
from shared.ids import utcnow
from shared.periodic import PeriodicTask
from shared.service import ServiceDefinition
from shared.service import create_app as create_service_app
from shared.settings import ServiceSettings
from ticket_service import events
from ticket_service.limits import BodyLimitMiddleware
from ticket_service.open311.keys_router import router as api_keys_router
from ticket_service.open311.router import router as open311_router
from ticket_service.privacy.retention import Anonymiser, anonymise_command
from ticket_service.privacy.router import router as privacy_router
from ticket_service.rota.router import router as rota_router
from ticket_service.seed import seed_demo
from ticket_service.settings import TicketSettings
from ticket_service.tickets.router import router as tickets_router
from ticket_service.tickets.sla import SlaPolicy
from ticket_service.tickets.sla_checker import SlaChecker


def configure_app(app: FastAPI) -> None:
    """The service's own clock, body limit, the periodic SLA checker and the retention pass (in the app's lifespan)."""
    runtime = app.state.runtime
    settings = runtime.settings
    app.state.clock = utcnow
    app.add_middleware(BodyLimitMiddleware, max_bytes=getattr(settings, "max_body_bytes", 64 * 1024))
    checker = SlaChecker(
        runtime.database,
        SlaPolicy(
            accept_minutes=getattr(settings, "sla_accept_minutes", 30),
            resolve_minutes=getattr(settings, "sla_resolve_minutes", 1440),
        ),
        lambda: app.state.clock(),
        interval_seconds=getattr(settings, "sla_check_seconds", 30),
        batch_size=getattr(settings, "sla_check_batch", 200),
    )
    app.state.sla_checker = checker
    anonymiser = Anonymiser(
        runtime.database, getattr(settings, "personal_data_retention_days", 365), lambda: app.state.clock()
    )
    app.state.anonymiser = anonymiser
    retention = PeriodicTask(
        "personal-data-retention",
        anonymiser.run_once,
        interval_seconds=getattr(settings, "retention_check_seconds", 3600),
    )
    kernel_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with kernel_lifespan(application):
            if getattr(settings, "sla_checker_enabled", True):
                checker.start()
            if getattr(settings, "retention_enabled", True):
                retention.start()
            try:
                yield
            finally:
                await checker.stop()
                await retention.stop()

    app.router.lifespan_context = lifespan


definition = ServiceDefinition(
    name="ticket",
    title="Ticket service",
    description="Intake, duty rota, the three responsibility rules, business-hours SLAs and Open311 GeoReport v2.",
    settings_factory=TicketSettings,
    # The privacy router first: its /api/v1/tickets/contact-reads must not be read as a ticket id.
    routers=[privacy_router, tickets_router, rota_router, open311_router, api_keys_router],
    migrations_directory=Path(__file__).parent / "migrations",
    consumer=events.consumer,
    published_events=events.PUBLISHED,
    consumed_events=events.CONSUMED,
    default_port=8002,
    configure_app=configure_app,
    seed=seed_demo,
    commands={"anonymise": anonymise_command},
)


def create_app(settings: ServiceSettings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(definition, settings, bus=bus)
