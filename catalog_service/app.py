"""The catalogue service: the district's structure and the three lists every station shows."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from catalog_service import events
from catalog_service.seed import seed_demo
from catalog_service.service_lists.router import router as service_lists_router
from catalog_service.settings import CatalogSettings
from catalog_service.stations.router import router as stations_router
from shared.events import EventBus
from shared.service import ServiceDefinition
from shared.service import create_app as create_service_app
from shared.settings import ServiceSettings

definition = ServiceDefinition(
    name="catalog",
    title="Catalogue service",
    description="Subdistricts, stations, staff, and each station's service, resource and demand lists.",
    settings_factory=CatalogSettings,
    routers=[stations_router, service_lists_router],
    migrations_directory=Path(__file__).parent / "migrations",
    consumer=events.consumer,
    published_events=events.PUBLISHED,
    consumed_events=events.CONSUMED,
    default_port=8001,
    seed=seed_demo,
)


def create_app(settings: ServiceSettings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(definition, settings, bus=bus)
