"""The evaluation service: residents' ratings, the department's inbox, annual assessments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

import evaluation_service.directory.handlers  # registers the event handlers
import evaluation_service.invitations.handlers
import evaluation_service.reviews.handlers  # noqa: F401
from evaluation_service import events
from evaluation_service.invitations.router import router as invitations_router
from evaluation_service.overview.router import router as overview_router
from evaluation_service.page.ratelimit import RatingGuard
from evaluation_service.page.router import router as page_router
from evaluation_service.privacy.retention import anonymise_command, retention_pass
from evaluation_service.ratings.metrics import RatingMeanGauge
from evaluation_service.ratings.router import router as ratings_router
from evaluation_service.reports.router import router as reports_router
from evaluation_service.seed import seed_demo
from evaluation_service.settings import EvaluationSettings, use_settings
from shared.clock import clock_of
from shared.events import EventBus
from shared.periodic import PeriodicTask
from shared.service import ServiceDefinition
from shared.service import create_app as create_service_app
from shared.settings import ServiceSettings


def configure(app: FastAPI) -> None:
    settings = app.state.runtime.settings
    if not isinstance(settings, EvaluationSettings):  # a caller passed the common settings class
        settings = EvaluationSettings.model_validate(settings.model_dump())
        app.state.runtime.settings = settings
    use_settings(settings)
    app.state.rating_guard = RatingGuard.from_settings(settings)
    # This year's mean score per subdistrict, read at each scrape of /metrics (the app's clock).
    gauge = RatingMeanGauge(app.state.runtime.database, lambda: clock_of(app)(), lambda: settings.minimum_sample)
    app.state.runtime.add_metrics_refresh(gauge.refresh)
    _run_retention(app, settings)


def _run_retention(app: FastAPI, settings: EvaluationSettings) -> None:
    """The retention pass runs in the app's lifespan (tests set `app.state.clock` to control it)."""
    anonymiser = retention_pass(
        app.state.runtime.database,
        settings.personal_data_retention_days,
        lambda: clock_of(app)(),
    )
    app.state.anonymiser = anonymiser
    retention = PeriodicTask(
        "personal-data-retention",
        anonymiser.run_once,
        interval_seconds=settings.retention_check_seconds,
        service="evaluation",
    )
    kernel_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with kernel_lifespan(application):
            if settings.retention_enabled:
                retention.start()
            try:
                yield
            finally:
                await retention.stop()

    app.router.lifespan_context = lifespan


definition = ServiceDefinition(
    name="evaluation",
    title="Evaluation service",
    description="Residents rate social workers; departments act on the figures.",
    settings_factory=EvaluationSettings,
    routers=[invitations_router, ratings_router, reports_router, page_router, overview_router],
    migrations_directory=Path(__file__).parent / "migrations",
    consumer=events.consumer,
    published_events=events.PUBLISHED,
    consumed_events=events.CONSUMED,
    event_contract=events.CONTRACT,
    default_port=8004,
    configure_app=configure,
    seed=seed_demo,
    commands={"anonymise": anonymise_command},
)


def create_app(settings: ServiceSettings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(definition, settings, bus=bus)
