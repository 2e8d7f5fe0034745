"""This domain's background work, started and stopped with the service (see app.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.settings import NotificationSettings
from notification_service.webhooks import handlers
from notification_service.webhooks.delivery import Deliverer
from notification_service.webhooks.service import WAKE_KEY
from notification_service.worker import Worker
from shared.database import Database
from shared.ids import utcnow

logger = logging.getLogger("notification.webhooks")


class DeliveryLoop:
    """Runs batches back to back while there is work, then waits `webhook_poll_seconds` between looks, or
    less: a commit on this replica that wrote deliveries wakes it (`wake`), so a delivery does not wait for
    the next look. Retries and other replicas' rows are found by the looks."""

    def __init__(self, deliverer: Deliverer, poll_seconds: float) -> None:
        self.deliverer = deliverer
        self.poll_seconds = poll_seconds
        self._stopping = asyncio.Event()
        self._nudged = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._nudged.set()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="webhook-deliveries")

    async def stop(self) -> None:
        self._stopping.set()
        self._nudged.set()
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
                await asyncio.wait_for(self._nudged.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass
            self._nudged.clear()


def workers(app: FastAPI) -> list[Worker]:
    def clock() -> datetime:
        return getattr(app.state, "clock", utcnow)()

    def settings() -> NotificationSettings:
        current: NotificationSettings = app.state.runtime.settings
        return current

    handlers.clock = clock
    database: Database = app.state.runtime.database
    deliverer = Deliverer(database, settings, clock)
    app.state.webhook_deliverer = deliverer
    loop = app.state.webhook_delivery_loop = DeliveryLoop(deliverer, settings().webhook_poll_seconds)
    if not getattr(database, "_webhook_hook_installed", False):  # once per database, across restarts

        def wake_after_commit(session: AsyncSession) -> None:
            if session.info.pop(WAKE_KEY, False):
                app.state.webhook_delivery_loop.wake()

        database.on_commit(wake_after_commit)
        # A marker on this service's Database so that one hook is installed per database, not per app.
        database._webhook_hook_installed = True  # type: ignore[attr-defined]
    return [loop]
