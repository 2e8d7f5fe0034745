"""The notification service: everything that leaves the system — webhooks to district systems, the
worker's feed and its stream, push to workers' devices, SMS to residents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

# Each domain registers its event handlers on import (events.on).
import notification_service.feed.handlers
import notification_service.push.handlers
import notification_service.residents.handlers
import notification_service.webhooks.handlers  # noqa: F401
from notification_service import events
from notification_service.feed.router import router as feed_router
from notification_service.feed.workers import workers as feed_workers
from notification_service.push.router import router as push_router
from notification_service.push.workers import workers as push_workers
from notification_service.residents.router import router as residents_router
from notification_service.residents.workers import workers as residents_workers
from notification_service.settings import NotificationSettings, use_settings
from notification_service.webhooks.router import router as webhooks_router
from notification_service.webhooks.workers import workers as webhooks_workers
from notification_service.worker import Worker
from shared.events import EventBus
from shared.service import ServiceDefinition
from shared.service import create_app as create_service_app
from shared.settings import ServiceSettings


def configure(app: FastAPI) -> None:
    settings = app.state.runtime.settings
    if not isinstance(settings, NotificationSettings):  # a caller passed the common settings class
        settings = NotificationSettings.model_validate(settings.model_dump())
        app.state.runtime.settings = settings
    use_settings(settings)
    running: list[Worker] = []
    kernel_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with kernel_lifespan(application):
            for make in (webhooks_workers, feed_workers, push_workers, residents_workers):
                for worker in make(application):
                    worker.start()
                    running.append(worker)
            try:
                yield
            finally:
                for worker in reversed(running):
                    await worker.stop()
                running.clear()

    app.router.lifespan_context = lifespan


definition = ServiceDefinition(
    name="notification",
    title="Notification service",
    description=(
        "Everything that leaves the system: webhooks to district systems, the worker's feed and push, "
        "SMS notices to residents."
    ),
    settings_factory=NotificationSettings,
    routers=[webhooks_router, feed_router, push_router, residents_router],
    migrations_directory=Path(__file__).parent / "migrations",
    consumer=events.consumer,
    published_events=events.PUBLISHED,
    consumed_events=events.CONSUMED,
    event_contract=events.CONTRACT,
    default_port=8005,
    configure_app=configure,
)


def create_app(settings: ServiceSettings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(definition, settings, bus=bus)
