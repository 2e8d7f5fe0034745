"""The deliberation service: projects through the three meetings, and the on-site office."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from deliberation_service import events
from deliberation_service.projects.router import router as projects_router
from deliberation_service.settings import DeliberationSettings
from shared.events import EventBus
from shared.service import ServiceDefinition
from shared.service import create_app as create_service_app
from shared.settings import ServiceSettings

definition = ServiceDefinition(
    name="deliberation",
    title="Deliberation service",
    description="Projects decided, followed and judged by residents; on-site office.",
    settings_factory=DeliberationSettings,
    routers=[projects_router],
    migrations_directory=Path(__file__).parent / "migrations",
    consumer=events.consumer,
    published_events=events.PUBLISHED,
    consumed_events=events.CONSUMED,
    default_port=8003,
)


def create_app(settings: ServiceSettings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(definition, settings, bus=bus)
