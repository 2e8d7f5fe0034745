"""This domain's background work, started and stopped with the service (see app.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from fastapi import FastAPI

from notification_service.settings import NotificationSettings
from notification_service.webhooks import handlers
from notification_service.webhooks.delivery import Deliverer
from notification_service.worker import Worker
from shared.ids import utcnow

logger = logging.getLogger("notification.webhooks")


class DeliveryLoop:
    """Runs batches back to back while there is work, then waits `webhook_poll_seconds` between looks."""

    def __init__(self, deliverer: Deliverer, poll_seconds: float) -> None:
        self.deliverer = deliverer
        self.poll_seconds = poll_seconds
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="webhook-deliveries")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            tried = 0
            try:
                tried = await self.deliverer.run_once()
            except Exception:
                logger.exception("webhook delivery pass failed; retrying after the interval")
            if tried:
                continue  # more may be due: no wait while there is a backlog
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass


def workers(app: FastAPI) -> list[Worker]:
    def clock() -> datetime:
        return getattr(app.state, "clock", utcnow)()

    def settings() -> NotificationSettings:
        return app.state.runtime.settings

    handlers.clock = clock
    deliverer = Deliverer(app.state.runtime.database, settings, clock)
    app.state.webhook_deliverer = deliverer
    return [DeliveryLoop(deliverer, settings().webhook_poll_seconds)]
