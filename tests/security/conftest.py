"""One embedded system for the whole folder: the matrix makes thousands of calls on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import running
from tests.security.world import World


@pytest.fixture(scope="package")
async def system(tmp_path_factory: pytest.TempPathFactory, embedded_template: Path) -> AsyncIterator[Any]:
    from gateway.settings import GatewaySettings
    from tests.templates import build_embedded

    unlimited = GatewaySettings(rate_limit_per_token_per_minute=0, rate_limit_per_address_per_minute=0)
    path: Path = tmp_path_factory.mktemp("security")
    # The matrix compares a webhook delivery before and after each refused replay; a retry of that delivery
    # by the sender in between would look like a write (it did once): retries wait days here, not seconds.
    overrides = {
        "consumer_retry_delay_ms": 50,
        "webhook_backoff_base_seconds": 864_000,
        "webhook_backoff_max_seconds": 864_000,
    }
    built = build_embedded(path, embedded_template, gateway_settings=unlimited, service_overrides=overrides)
    async with running(built.gateway):
        yield built


@pytest.fixture(scope="package")
async def http(system: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=system.gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=60) as client:
        yield client


@pytest.fixture(scope="package")
async def world(http: httpx.AsyncClient, system: Any) -> World:
    return World(http, system=system)
