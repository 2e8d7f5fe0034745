"""Fixtures of the notification service's tests. Each domain adds its own, with names of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from notification_service.settings import NotificationSettings, use_settings
from tests.conftest import running
from tests.local_http import LocalHttpServer, free_port

# --- webhooks: a real HTTP receiver on 127.0.0.1, and the embedded system with quick retries ----------------


@dataclass
class WebhookReceiver(LocalHttpServer):
    """A district system's endpoint: records every POST and answers `answer_status`."""

    port: int
    answer_status: int = 204
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/doorstep"

    async def _take(self, request: web.Request) -> web.Response:
        self.received.append(({name.lower(): value for name, value in request.headers.items()}, await request.read()))
        return web.Response(status=self.answer_status)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/hooks/doorstep", self._take)


@pytest.fixture
async def webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(free_port())
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


QUICK_WEBHOOK_RETRIES: dict[str, Any] = {
    "webhook_backoff_base_seconds": 0.05,
    "webhook_backoff_max_seconds": 0.3,
    "webhook_poll_seconds": 0.05,
    "webhook_connect_timeout_seconds": 1.0,
    "webhook_read_timeout_seconds": 2.0,
}


@pytest.fixture
async def webhook_system_factory(
    tmp_path: Path, embedded_template: Path
) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Builds (once) the embedded system with the notification service's webhook settings overridden."""
    from gateway.settings import GatewaySettings
    from tests.templates import build_embedded

    async with AsyncExitStack() as stack:

        async def make(**webhook_settings: Any) -> Any:
            unlimited = GatewaySettings(rate_limit_per_token_per_minute=0, rate_limit_per_address_per_minute=0)
            system = build_embedded(
                tmp_path,
                embedded_template,
                gateway_settings=unlimited,
                service_overrides={"consumer_retry_delay_ms": 50},
            )
            runtime = system.services["notification"].state.runtime
            settings = NotificationSettings.model_validate(
                {**runtime.settings.model_dump(), **QUICK_WEBHOOK_RETRIES, **webhook_settings}
            )
            runtime.settings = settings
            use_settings(settings)
            await stack.enter_async_context(running(system.gateway))
            return system

        yield make


@pytest.fixture
async def webhook_system(webhook_system_factory: Callable[..., Awaitable[Any]]) -> Any:
    return await webhook_system_factory()


# --- residents' SMS: a real SMS gateway on 127.0.0.1, and the embedded system sending to it -----------------

SMS_INBOUND_TOKEN = "sms-inbound-test-token"


@pytest.fixture
async def sms_gateway() -> AsyncIterator[Any]:
    from tests.notification.sms_gateway import SmsGateway

    gateway = SmsGateway()
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


@pytest.fixture
async def sms_system(tmp_path: Path, sms_gateway: Any, embedded_template: Path) -> AsyncIterator[Any]:
    """The embedded system (demo data) whose notification service sends SMS to `sms_gateway`, quickly."""
    from gateway.settings import GatewaySettings
    from tests.templates import build_embedded

    unlimited = GatewaySettings(rate_limit_per_token_per_minute=0, rate_limit_per_address_per_minute=0)
    system = build_embedded(
        tmp_path, embedded_template, gateway_settings=unlimited, service_overrides={"consumer_retry_delay_ms": 50}
    )
    runtime = system.services["notification"].state.runtime
    settings = NotificationSettings.model_validate(
        {
            **runtime.settings.model_dump(),
            "sms_provider": "http",
            "sms_http_url": sms_gateway.url,
            "sms_http_token": sms_gateway.token,
            "sms_poll_seconds": 0.05,
            "sms_inbound_token": SMS_INBOUND_TOKEN,
        }
    )
    runtime.settings = settings
    use_settings(settings)
    async with running(system.gateway):
        yield system
