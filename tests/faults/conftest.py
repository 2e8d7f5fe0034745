"""One distributed stack for the fault tests, wired through fault proxies (see system.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import running_stack
from tests.faults.proxy import FaultProxy
from tests.faults.system import CONSUMER_MAX_RETRIES, DATABASE_FAULT_SERVICE, SERVICES, stack_class
from tests.local_http import free_port, free_ports


def _host_and_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


@pytest.fixture(scope="package")
def broker_proxy(rabbitmq_url: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(_host_and_port(rabbitmq_url, 5672), free_port()).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="package")
def database_proxy(postgres_url: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(_host_and_port(postgres_url, 5432), free_port()).start()
    yield proxy
    proxy.stop()


# Package-scoped twins of the suite's `postgres`/`rabbitmq` fixtures (same skip, or fail with REQUIRE_SERVICES=1).
@pytest.fixture(scope="package")
def postgres_url() -> str:
    from tests.conftest import POSTGRES_URL, require

    require(POSTGRES_URL, 5432, "PostgreSQL")
    return POSTGRES_URL


@pytest.fixture(scope="package")
def rabbitmq_url() -> str:
    from tests.conftest import BROKER_URL, require

    require(BROKER_URL, 5672, "RabbitMQ")
    return BROKER_URL


@pytest.fixture(scope="package")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_url: str,
    rabbitmq_url: str,
    broker_proxy: FaultProxy,
    database_proxy: FaultProxy,
) -> Iterator[Any]:
    suffix = uuid.uuid4().hex[:8]
    gateway_port, *service_ports = free_ports(1 + len(SERVICES))
    namespace = f"testfaults{suffix}"
    database_prefix = f"test_faults_{suffix}"
    stack = stack_class()(
        postgres_url=postgres_url,
        broker_url=broker_proxy.url(rabbitmq_url),
        database_prefix=database_prefix,
        namespace=namespace,
        gateway_port=gateway_port,
        ports=dict(zip(SERVICES, service_ports, strict=True)),
        state_directory=tmp_path_factory.mktemp("faults-stack"),
        database_urls={
            DATABASE_FAULT_SERVICE: f"{database_proxy.url(postgres_url)}/{database_prefix}_{DATABASE_FAULT_SERVICE}"
        },
        extra_environment={
            "GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "30",
            "GATEWAY_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "0",
            "GATEWAY_RATE_LIMIT_PER_TOKEN_PER_MINUTE": "0",
            "EVALUATION_CONSUMER_MAX_RETRIES": str(CONSUMER_MAX_RETRIES),
            "EVALUATION_CONSUMER_RETRY_DELAY_MS": "300",
        },
    )

    def mend_proxies() -> None:
        broker_proxy.restore()
        database_proxy.restore()

    with running_stack(stack, before_down=mend_proxies):
        yield stack
