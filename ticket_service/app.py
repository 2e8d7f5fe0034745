"""The ticket service: a resident's request becomes a ticket that always has an owner."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

import ticket_service.stations.handlers  # noqa: F401  (registers the event handlers)
from shared.events import EventBus
from shared.service import ServiceDefinition
from shared.service import create_app as create_service_app
from shared.settings import ServiceSettings
from ticket_service import events
from ticket_service.settings import TicketSettings
from ticket_service.tickets.router import router as tickets_router

definition = ServiceDefinition(
    name="ticket",
    title="Ticket service",
    description="Intake, duty rota, the three responsibility rules and SLAs.",
    settings_factory=TicketSettings,
    routers=[tickets_router],
    migrations_directory=Path(__file__).parent / "migrations",
    consumer=events.consumer,
    published_events=events.PUBLISHED,
    consumed_events=events.CONSUMED,
    default_port=8002,
)


def create_app(settings: ServiceSettings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(definition, settings, bus=bus)
