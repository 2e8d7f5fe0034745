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
from shared.middleware import BodyAllowance
from shared.periodic import PeriodicTask
from shared.service import ServiceDefinition
from shared.service import create_app as create_service_app
from shared.settings import ServiceSettings
from ticket_service import events
from ticket_service.attachments.router import UPLOAD_PATH
from ticket_service.attachments.router import content_router as attachment_content_router
from ticket_service.attachments.router import router as attachments_router
from ticket_service.attachments.rules import MAX_FORM_BYTES
from ticket_service.attachments.service import files_from_settings
from ticket_service.handovers.router import router as handovers_router
from ticket_service.limits import Allowance, BodyLimitMiddleware
from ticket_service.open311.keys_router import router as api_keys_router
from ticket_service.open311.router import router as open311_router
from ticket_service.overview.router import router as overview_router
from ticket_service.privacy.retention import anonymise_command, retention_pass
from ticket_service.privacy.router import router as privacy_router
from ticket_service.reassignment.router import router as reassignment_router
from ticket_service.reassignment.sweep import AbsentOwnerSweep
from ticket_service.replies.router import router as replies_router
from ticket_service.rota.router import router as rota_router
from ticket_service.seed import seed_demo
from ticket_service.settings import TicketSettings
from ticket_service.sla_policies.router import router as sla_policies_router
from ticket_service.sla_policies.service import seed_defaults as seed_sla_policies
from ticket_service.tickets.metrics import OpenTicketGauges
from ticket_service.tickets.router import router as tickets_router
from ticket_service.tickets.sla import SlaPolicy
from ticket_service.tickets.sla_checker import SlaChecker


def configure_app(app: FastAPI) -> None:
    """The service's own clock, body limit, the periodic SLA checker and the retention pass (in the app's lifespan)."""
    runtime = app.state.runtime
    settings = runtime.settings
    if not isinstance(settings, TicketSettings):  # a caller passed the common settings class
        settings = TicketSettings.model_validate(settings.model_dump())
        runtime.settings = settings
    app.state.clock = utcnow
    # Open, overdue and breached tickets per subdistrict, read at each scrape of /metrics (the app's clock).
    runtime.add_metrics_refresh(OpenTicketGauges(runtime.database, lambda: app.state.clock()).refresh)
    # Attachments: where the files live, and the one route that takes a body larger than JSON's limit.
    files = files_from_settings(settings)
    app.state.attachment_files = files
    upload = Allowance("POST", UPLOAD_PATH, MAX_FORM_BYTES, "file", "attachment_too_large")
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, allowances=[upload])
    checker = SlaChecker(
        runtime.database,
        SlaPolicy(
            accept_minutes=settings.sla_accept_minutes,
            resolve_minutes=settings.sla_resolve_minutes,
        ),
        lambda: app.state.clock(),
        interval_seconds=settings.sla_check_seconds,
        batch_size=settings.sla_check_batch,
    )
    app.state.sla_checker = checker
    anonymiser = retention_pass(
        runtime.database,
        settings.personal_data_retention_days,
        lambda: app.state.clock(),
        files=files,
    )
    app.state.anonymiser = anonymiser
    retention = PeriodicTask(
        "personal-data-retention",
        anonymiser.run_once,
        interval_seconds=settings.retention_check_seconds,
        service="ticket",
    )
    # No open ticket stays with an owner inactive or on leave (a leave that starts later, anything missed).
    absent_owner_sweep = AbsentOwnerSweep(
        runtime.database, lambda: app.state.clock(), batch_size=settings.absent_owner_sweep_batch
    )
    app.state.absent_owner_sweep = absent_owner_sweep
    absent_owners = PeriodicTask(
        "absent-owner-sweep",
        absent_owner_sweep.run_once,
        interval_seconds=settings.absent_owner_sweep_seconds,
        service="ticket",
    )
    kernel_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with kernel_lifespan(application):
            # A policy row for every category and priority, from the settings (rows set by an admin stay).
            await seed_sla_policies(runtime.database, checker.policy, app.state.clock())
            if settings.sla_checker_enabled:
                checker.start()
            if settings.retention_enabled:
                retention.start()
            if settings.absent_owner_sweep_enabled:
                absent_owners.start()
            try:
                yield
            finally:
                await checker.stop()
                await retention.stop()
                await absent_owners.stop()

    app.router.lifespan_context = lifespan


definition = ServiceDefinition(
    name="ticket",
    title="Ticket service",
    description="Intake, duty rota, the three responsibility rules, business-hours SLAs and Open311 GeoReport v2.",
    settings_factory=TicketSettings,
    # The privacy router first: its /api/v1/tickets/contact-reads must not be read as a ticket id.
    routers=[
        privacy_router,
        reassignment_router,  # before the tickets' routes: /api/v1/tickets/reassign is no ticket id
        overview_router,  # before the tickets' routes too: /api/v1/tickets/overview
        tickets_router,
        attachments_router,
        attachment_content_router,  # /api/v1/attachments: signed and public links, no token
        replies_router,
        sla_policies_router,
        handovers_router,
        rota_router,
        open311_router,
        api_keys_router,
    ],
    migrations_directory=Path(__file__).parent / "migrations",
    # The kernel's body limit lets an attachment through; BodyLimitMiddleware (configure_app) answers for it.
    body_allowances=[BodyAllowance("POST", UPLOAD_PATH, MAX_FORM_BYTES)],
    consumer=events.consumer,
    published_events=events.PUBLISHED,
    consumed_events=events.CONSUMED,
    event_contract=events.CONTRACT,
    default_port=8002,
    configure_app=configure_app,
    seed=seed_demo,
    commands={"anonymise": anonymise_command},
)


def create_app(settings: ServiceSettings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(definition, settings, bus=bus)
