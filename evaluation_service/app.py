"""The evaluation service: residents' ratings, the department's inbox, annual assessments."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

import evaluation_service.invitations.handlers  # noqa: F401  (registers the event handlers)
from evaluation_service import events
from evaluation_service.invitations.router import router as invitations_router
from evaluation_service.settings import EvaluationSettings
from shared.events import EventBus
from shared.service import ServiceDefinition
from shared.service import create_app as create_service_app
from shared.settings import ServiceSettings

definition = ServiceDefinition(
    name="evaluation",
    title="Evaluation service",
    description="Residents rate social workers; departments act on the figures.",
    settings_factory=EvaluationSettings,
    routers=[invitations_router],
    migrations_directory=Path(__file__).parent / "migrations",
    consumer=events.consumer,
    published_events=events.PUBLISHED,
    consumed_events=events.CONSUMED,
    default_port=8004,
)


def create_app(settings: ServiceSettings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(definition, settings, bus=bus)
