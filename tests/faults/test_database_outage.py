"""Database outage for one service: the ticket service loses PostgreSQL while the rest of the system runs.

Its requests fail at once with 503 problem+json (not a 500, not a hang ending in the gateway's 504), it
reports itself not ready but alive (no restart), and it works again, events included, once the
database is back.
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import bearer, eventually
from tests.faults.system import (
    create_and_close,
    every_closed_ticket_invited_once,
    gateway_client,
    open_station,
    ticket_body,
)

pytestmark = pytest.mark.integration


# refuse: the database server is down (connections reset); blackhole: the network drops everything.
@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
async def test_a_service_without_its_database_fails_fast_and_recovers_without_a_restart(stack, database_proxy, mode):
    async with gateway_client(stack) as http:
        station = await open_station(stack, http, "停库")
        closed = [await create_and_close(http, station, 0)]
        ticket_service = stack.processes["ticket"]
        staff = station.staff()

        database_proxy.cut(mode)
        try:
            answers = {}
            for name, method, path, body in [
                ("create", "POST", "/api/v1/tickets", ticket_body(station, 1)),
                ("list", "GET", "/api/v1/tickets", None),
                ("read", "GET", f"/api/v1/tickets/{closed[0]}", None),
            ]:
                started = time.monotonic()
                response = await http.request(method, path, headers=staff, json=body)
                answers[name] = time.monotonic() - started
                assert response.status_code == 503, (name, response.status_code, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["code"] == "database_unavailable"
                assert "Retry-After" in response.headers
            async with gateway_client(stack) as direct:
                ready = await direct.get(stack.url("ticket") + "/readyz")
                assert ready.status_code == 503
                assert ready.json()["checks"]["database"]["ok"] is False
                assert (await direct.get(stack.url("ticket") + "/livez")).status_code == 200
            # The gateway names the service that is not ready; the others keep their databases and answer.
            assert (await http.get("/readyz")).json()["not_ready"] == ["ticket"]
            assert (await http.get("/api/v1/stations", headers=bearer("district_admin"))).status_code == 200
        finally:
            database_proxy.restore()
        outage_refused = database_proxy.counts.refused

        async def accepts_tickets_again() -> bool:
            response = await http.post("/api/v1/tickets", headers=staff, json=ticket_body(station, 2))
            assert response.status_code in (201, 503), response.text
            return response.status_code == 201

        recovered = time.monotonic()
        await eventually(accepts_tickets_again, timeout=60, interval=0.5)
        recovered = time.monotonic() - recovered
        closed.append(await create_and_close(http, station, 3))

    assert ticket_service.poll() is None and stack.processes["ticket"] is ticket_service, "no restart"
    assert outage_refused > 0, "the service did try to reach its database during the outage"
    # The events of the closings after the outage flow as before.
    await every_closed_ticket_invited_once(stack, station, closed, timeout=120)
    print(
        f"\ndatabase outage ({mode}): 503 in "
        + ", ".join(f"{name} {seconds:.2f}s" for name, seconds in answers.items())
        + f"; accepting tickets {recovered:.1f}s after the database returned"
    )
