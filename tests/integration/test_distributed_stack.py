"""The distributed mode as `make up` runs it: six uvicorn processes (the gateway and five services), PostgreSQL,
RabbitMQ."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import eventually, running_stack
from tests.faults.system import stack_class
from tests.local_http import free_ports

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from tests.conftest import BROKER_URL, POSTGRES_URL, require

    require(POSTGRES_URL, 5432, "PostgreSQL")
    require(BROKER_URL, 5672, "RabbitMQ")
    suffix = uuid.uuid4().hex[:8]
    # Free ports: two runs can go side by side.
    services = ("catalog", "ticket", "deliberation", "evaluation", "notification")
    gateway_port, *service_ports = free_ports(1 + len(services))
    stack = stack_class()(
        postgres_url=POSTGRES_URL,
        broker_url=BROKER_URL,
        database_prefix=f"test_stack_{suffix}",
        namespace=f"teststack{suffix}",
        gateway_port=gateway_port,
        ports=dict(zip(services, service_ports, strict=True)),
        state_directory=tmp_path_factory.mktemp("stack"),
        extra_environment={
            "GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "3",
            "GATEWAY_READINESS_TIMEOUT_SECONDS": "1",
            "GATEWAY_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "0",
        },
    )
    with running_stack(stack):
        yield stack


async def _token(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post("/auth/token", data={"username": username, "password": f"demo-{username}"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_token_and_a_request_through_the_gateway_reach_each_service(stack):
    async with httpx.AsyncClient(base_url=stack.url(), timeout=10) as http:
        admin = await _token(http, "district_admin")
        for path in (
            "/api/v1/stations",
            "/api/v1/tickets",
            "/api/v1/projects",
            "/api/v1/evaluations/invitations",
            "/api/v1/webhooks",
        ):
            response = await http.get(path, headers=admin)
            assert response.status_code == 200, (path, response.text)
        document = (await http.get("/openapi.json")).json()
        assert {"/api/v1/stations", "/api/v1/tickets", "/api/v1/projects", "/api/v1/webhooks"} <= set(document["paths"])


def test_the_processes_answering_are_the_ones_the_stack_started(stack):
    """`make up` takes a readiness answer only from its own process: each echoes the nonce it was given."""
    for name in ["gateway", *stack.ports]:
        response = httpx.get(stack.url(name) + "/readyz", params={"scope": "local"}, timeout=10)
        assert response.headers["x-doorstep-instance"] == stack.instances[name], name


async def test_an_event_crosses_from_one_service_to_another_over_rabbitmq(stack):
    async with httpx.AsyncClient(base_url=stack.url(), timeout=10) as http:
        admin = await _token(http, "district_admin")
        subdistrict = await http.post("/api/v1/subdistricts", headers=admin, json={"name": "唐镇", "kind": "town"})
        assert subdistrict.status_code == 201, subdistrict.text
        station = await http.post(
            "/api/v1/stations",
            headers=admin,
            json={
                "subdistrict_id": subdistrict.json()["id"],
                "community_name": "唐镇一村",
                "name": "唐镇一村家门口服务站",
                "address": "唐镇路1号",
                "latitude": 31.21,
                "longitude": 121.65,
            },
        )
        assert station.status_code == 201, station.text
        station_id = station.json()["id"]
        ticket = {"station_id": station_id, "channel": "web", "service_category": "culture", "description": "x"}
        created: dict = {}

        async def ticket_accepted() -> bool:
            # The ticket service learns of the station only through the catalogue's event.
            response = await http.post("/api/v1/tickets", headers=admin, json=ticket)
            created.update(response.json())
            return response.status_code == 201

        await eventually(ticket_accepted, timeout=15)
        closed = await http.post(
            f"/api/v1/tickets/{created['id']}/close", headers=admin, json={"result_text": "已办结"}
        )
        assert closed.status_code == 200

        async def invited() -> bool:
            response = await http.get(
                "/api/v1/evaluations/invitations", headers=admin, params={"ticket_id": created["id"]}
            )
            return len(response.json()["items"]) == 1

        await eventually(invited, timeout=15)

        # The notification service consumes every event (webhooks, feed, SMS): the closing reached it too.
        connection = await asyncpg.connect(f"{stack.postgres_url}/{stack.database_name('notification')}")
        try:

            async def received_by_notification() -> bool:
                rows = await connection.fetch(
                    "SELECT 1 FROM inbox_message WHERE consumer = 'notification' AND event_type = 'ticket.closed'"
                )
                return len(rows) >= 1

            await eventually(received_by_notification, timeout=15)
        finally:
            await connection.close()


@pytest.mark.parametrize(
    ("service", "path"), [("deliberation", "/api/v1/projects"), ("notification", "/api/v1/webhooks")]
)
async def test_a_stopped_service_gets_a_problem_within_the_timeout_and_readyz_names_it(stack, service, path):
    stack.stop(service)
    try:
        async with httpx.AsyncClient(base_url=stack.url(), timeout=10) as http:
            admin = await _token(http, "district_admin")
            started = time.monotonic()
            response = await http.get(path, headers=admin)
            elapsed = time.monotonic() - started
            assert response.status_code in (502, 503)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["service"] == service
            assert elapsed < 3
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["not_ready"] == [service]
            # The gateway itself stays in the load balancer: its other routes still work.
            assert (await http.get("/readyz", params={"scope": "local"})).status_code == 200
            # The other services still answer.
            assert (await http.get("/api/v1/stations")).status_code == 200
    finally:
        stack.start(service)
        stack.wait_ready(service)
