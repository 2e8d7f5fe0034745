"""This domain's background work, started and stopped with the service (see app.py): the push sender."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from notification_service.push.provider import provider_for
from notification_service.push.service import Pusher
from notification_service.settings import NotificationSettings
from notification_service.worker import Worker
from shared.ids import utcnow
from shared.periodic import PeriodicTask


class PushWorker:
    """Sends due pushes every `push_poll_seconds`; closes the providers' HTTP clients when the service stops."""

    def __init__(self, pusher: Pusher, poll_seconds: float) -> None:
        self.pusher = pusher
        self.task = PeriodicTask("push-sender", pusher.run_once, interval_seconds=poll_seconds, service="notification")

    def start(self) -> None:
        self.task.start()

    async def stop(self) -> None:
        await self.task.stop()
        await self.pusher.provider.aclose()


def workers(app: FastAPI) -> list[Worker]:
    runtime = app.state.runtime

    def settings() -> NotificationSettings:
        current: NotificationSettings = runtime.settings  # read at every pass: a test may replace them
        return current

    def clock() -> datetime:
        # Read at every pass: a test may set `app.state.clock` after the service started.
        return getattr(app.state, "clock", utcnow)().astimezone(UTC)

    pusher = Pusher(runtime.database, settings, provider_for(settings()), clock)
    app.state.push_sender = pusher  # tests and operators may run a pass at once (`await pusher.run_once()`)
    return [PushWorker(pusher, settings().push_poll_seconds)]
