"""Two replicas of every service and of the gateway (deploy/stack.py `replicas`), in a package of its own: the
fault tests' package-scoped stack is down before this one starts (both at once would not fit PostgreSQL's
connections beside the other xdist worker's tests)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import BROKER_URL, POSTGRES_URL, require, running_stack
from tests.faults.system import SERVICES, stack_class
from tests.local_http import free_ports

# Two processes of every service and of the gateway, each group behind deploy/balancer.py's round-robin.
REPLICAS = 2


@pytest.fixture(scope="module")
def replicated_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The stack with REPLICAS replicas of each group, straight to PostgreSQL and RabbitMQ (no fault proxy).
    The SLA checker and the retention pass run every second, so both replicas race for their rows."""
    require(POSTGRES_URL, 5432, "PostgreSQL")
    require(BROKER_URL, 5672, "RabbitMQ")
    postgres_url, rabbitmq_url = POSTGRES_URL, BROKER_URL
    suffix = uuid.uuid4().hex[:8]
    groups = [*SERVICES, "gateway"]
    ports = free_ports(len(groups) * (1 + REPLICAS))
    public = dict(zip(groups, ports, strict=False))
    replica_ports = {group: ports[len(groups) + index * REPLICAS :][:REPLICAS] for index, group in enumerate(groups)}
    database_prefix = f"test_replicas_{suffix}"
    stack = stack_class()(
        postgres_url=postgres_url,
        broker_url=rabbitmq_url,
        database_prefix=database_prefix,
        namespace=f"testreplicas{suffix}",
        gateway_port=public["gateway"],
        ports={service: public[service] for service in SERVICES},
        replicas=REPLICAS,
        replica_ports=replica_ports,
        state_directory=tmp_path_factory.mktemp("replicas-stack"),
        # Ten service processes on a PostgreSQL of 100 connections shared with other runs (each pool as many
        # again in overflow): at most 2 × 2 × (4 + 3 + 2 + 2 + 2) = 52.
        pool_size=2,
        pool_sizes={"ticket": 4, "evaluation": 3, "notification": 2},
        ready_timeout=300,
        extra_environment={
            "GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "60",
            "GATEWAY_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "0",
            "GATEWAY_RATE_LIMIT_PER_TOKEN_PER_MINUTE": "0",
            "TICKET_SLA_CHECK_SECONDS": "1",
            "TICKET_RETENTION_CHECK_SECONDS": "1",
        },
    )
    with running_stack(stack):
        yield stack
