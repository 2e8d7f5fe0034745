"""The deliberation service: projects through the three meetings, and the on-site office."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

import deliberation_service.onsite_office.handlers  # registers the event handlers
import deliberation_service.stations.handlers  # noqa: F401  (registers the event handlers)
from deliberation_service import events
from deliberation_service.calendars.router import router as calendars_router
from deliberation_service.meetings.router import router as meetings_router
from deliberation_service.onsite_office.router import router as onsite_office_router
from deliberation_service.projects.router import router as projects_router
from deliberation_service.seed import seed_demo
from deliberation_service.settings import DeliberationSettings
from shared.events import EventBus
from shared.service import ServiceDefinition
from shared.service import create_app as create_service_app
from shared.settings import ServiceSettings

definition = ServiceDefinition(
    name="deliberation",
    title="Deliberation service",
    description="Projects decided, followed and judged by residents (hearing, coordination and review "
    "meetings); the on-site office; public minutes, vote counts and iCalendar feeds.",
    settings_factory=DeliberationSettings,
    routers=[projects_router, meetings_router, onsite_office_router, calendars_router],
    migrations_directory=Path(__file__).parent / "migrations",
    consumer=events.consumer,
    published_events=events.PUBLISHED,
    consumed_events=events.CONSUMED,
    event_contract=events.CONTRACT,
    default_port=8003,
    seed=seed_demo,
)


def create_app(settings: ServiceSettings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(definition, settings, bus=bus)
