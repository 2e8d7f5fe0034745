"""This domain's background work, started and stopped with the service (see app.py): the SMS sender."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from notification_service.residents.provider import provider_for
from notification_service.residents.service import Sender
from notification_service.settings import NotificationSettings
from notification_service.worker import Worker
from shared.ids import utcnow
from shared.periodic import PeriodicTask
from shared.service_calls import ServiceCaller


class SmsWorker:
    """Sends due SMS every `sms_poll_seconds`; closes its HTTP clients when the service stops."""

    def __init__(self, sender: Sender, poll_seconds: float) -> None:
        self.sender = sender
        self.task = PeriodicTask("sms-sender", sender.run_once, interval_seconds=poll_seconds, service="notification")

    def start(self) -> None:
        self.task.start()

    async def stop(self) -> None:
        await self.task.stop()
        await self.sender.caller.aclose()
        await self.sender.provider.aclose()


def workers(app: FastAPI) -> list[Worker]:
    runtime = app.state.runtime
    settings: NotificationSettings = runtime.settings

    def clock() -> datetime:
        # Read at every pass: a test may set `app.state.clock` after the service started.
        return getattr(app.state, "clock", utcnow)().astimezone(UTC)

    caller = ServiceCaller(
        settings,
        getattr(app.state, "service_transport", None),  # the embedded launcher's route to the gateway
        role="notifier",
        timeout_seconds=settings.service_call_timeout_seconds,
    )
    sender = Sender(runtime.database, settings, caller, provider_for(settings), clock)
    app.state.sms_sender = sender  # tests and operators may run a pass at once (`await sender.run_once()`)
    return [SmsWorker(sender, settings.sms_poll_seconds)]
