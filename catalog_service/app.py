"""The catalogue service: the district's structure and the three lists every station shows."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from catalog_service import events
from catalog_service.closures.router import router as closures_router
from catalog_service.coverage.router import router as coverage_router
from catalog_service.csv_io.router import router as csv_router
from catalog_service.demands.router import router as demands_router
from catalog_service.demo.router import router as demo_logins_router
from catalog_service.departments.router import router as departments_router
from catalog_service.hsds.router import router as hsds_router
from catalog_service.me.router import router as me_router
from catalog_service.resource_requests.router import router as resource_requests_router
from catalog_service.resources.router import router as resources_router
from catalog_service.seed import seed_demo
from catalog_service.service_lists.router import router as service_lists_router
from catalog_service.settings import CatalogSettings
from catalog_service.staff.router import router as staff_router
from catalog_service.stations.router import router as stations_router
from catalog_service.wall.router import router as wall_router
from shared.events import EventBus
from shared.service import ServiceDefinition
from shared.service import create_app as create_service_app
from shared.settings import ServiceSettings

definition = ServiceDefinition(
    name="catalog",
    title="Catalogue service",
    description="Subdistricts, stations, staff, and each station's service, resource and demand lists.",
    settings_factory=CatalogSettings,
    routers=[
        stations_router,
        closures_router,
        service_lists_router,
        departments_router,
        staff_router,
        resources_router,
        demands_router,
        resource_requests_router,
        coverage_router,
        wall_router,
        hsds_router,
        csv_router,
        me_router,
        demo_logins_router,
    ],
    migrations_directory=Path(__file__).parent / "migrations",
    consumer=events.consumer,
    published_events=events.PUBLISHED,
    consumed_events=events.CONSUMED,
    event_contract=events.CONTRACT,
    default_port=8001,
    seed=seed_demo,
)


def create_app(settings: ServiceSettings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(definition, settings, bus=bus)
