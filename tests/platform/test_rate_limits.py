"""Rate limits at the gateway: per token and per client address, answered with 429 problem+json."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from gateway.limits import RateLimiter
from tests.conftest import bearer, running


def test_a_burst_is_allowed_then_the_sustained_rate():
    limiter = RateLimiter(rate_per_minute=60, burst=3)
    assert [limiter.acquire("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("a", 0.0) == 1.0  # one token a second: wait a second
    assert limiter.acquire("b", 0.0) == 0.0  # another caller has its own bucket
    assert limiter.acquire("a", 1.0) == 0.0


@given(st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=200))
def test_never_more_than_burst_plus_rate_times_elapsed(gaps):
    limiter = RateLimiter(rate_per_minute=120, burst=5)
    now, allowed = 0.0, 0
    for gap in gaps:
        now += gap
        allowed += limiter.acquire("caller", now) == 0.0
    assert allowed <= 5 + now * 2 + 1e-9


def test_memory_is_bounded():
    limiter = RateLimiter(rate_per_minute=60, burst=1, max_keys=10)
    for number in range(100):
        limiter.acquire(str(number), 0.0)
    assert len(limiter._buckets) == 10


async def test_the_gateway_answers_429_with_retry_after(tmp_path):
    from gateway.embedded import build
    from gateway.settings import GatewaySettings

    settings = GatewaySettings(
        rate_limit_per_token_per_minute=60, rate_limit_per_address_per_minute=0, rate_limit_burst=2
    )
    system = build(tmp_path, gateway_settings=settings, seed=False)
    async with running(system.gateway):
        transport = httpx.ASGITransport(app=system.gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            caller = bearer("district_admin", subject="one-caller")
            statuses = [(await client.get("/api/v1/stations", headers=caller)).status_code for _ in range(3)]
            assert statuses == [200, 200, 429]
            limited = await client.get("/api/v1/stations", headers=caller)
            assert limited.headers["content-type"] == "application/problem+json"
            assert limited.json()["code"] == "rate_limited"
            assert int(limited.headers["retry-after"]) >= 1
            other = await client.get("/api/v1/stations", headers=bearer("district_admin", subject="another"))
            assert other.status_code == 200


async def test_one_address_is_limited_whatever_token_it_uses(tmp_path):
    from gateway.embedded import build
    from gateway.settings import GatewaySettings

    settings = GatewaySettings(
        rate_limit_per_token_per_minute=0, rate_limit_per_address_per_minute=60, rate_limit_burst=2
    )
    system = build(tmp_path, gateway_settings=settings, seed=False)
    async with running(system.gateway):
        transport = httpx.ASGITransport(app=system.gateway, client=("203.0.113.9", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            statuses = [
                (await client.get("/api/v1/stations", headers=bearer("resident", subject=f"r{n}"))).status_code
                for n in range(3)
            ]
            assert statuses == [200, 200, 429]
            # The token issuer counts too: no password guessing at full speed.
            guess = await client.post("/auth/token", data={"username": "resident", "password": "guess"})
            assert guess.status_code == 429


async def test_cors_allows_only_the_configured_origins(tmp_path):
    from gateway.embedded import build
    from gateway.settings import GatewaySettings

    settings = GatewaySettings(cors_allow_origins=["https://app.doorstep.example"])
    system = build(tmp_path, gateway_settings=settings, seed=False)
    async with running(system.gateway):
        transport = httpx.ASGITransport(app=system.gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
            allowed = await client.options(
                "/api/v1/tickets", headers={"Origin": "https://app.doorstep.example", **preflight}
            )
            assert allowed.status_code == 200
            assert allowed.headers["access-control-allow-origin"] == "https://app.doorstep.example"
            refused = await client.options("/api/v1/tickets", headers={"Origin": "https://evil.example", **preflight})
            assert "access-control-allow-origin" not in refused.headers
            simple = await client.get("/api/v1/stations", headers={"Origin": "https://app.doorstep.example"})
            assert simple.headers["access-control-allow-origin"] == "https://app.doorstep.example"
