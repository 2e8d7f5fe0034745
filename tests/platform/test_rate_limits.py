"""Rate limits: per caller and per client address at the gateway, per address and per token on the resident's
page; the client address believed from X-Forwarded-For only when a trusted proxy sent it; one budget across
gateway replicas through Redis; RateLimit-* headers and 429 problem+json with Retry-After."""

from __future__ import annotations

import ipaddress
import uuid

import httpx
from hypothesis import given
from hypothesis import strategies as st

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.middleware import TrustedProxies, client_address
from shared.ratelimit import Limit, RateLimits
from shared.settings import Mode
from tests.conftest import bearer, running

INGRESS = TrustedProxies(["10.244.0.0/16"])
addresses = st.ip_addresses(v=4).map(str)


@given(peer=addresses.filter(lambda a: not INGRESS.trusts(a)), forwarded=st.lists(addresses, max_size=5))
def test_an_untrusted_peer_is_the_client_whatever_it_forwards(peer, forwarded):
    assert client_address(peer, [", ".join(forwarded)], INGRESS) == peer


@given(
    spoofed=st.lists(st.one_of(addresses, st.text(max_size=12)), max_size=4),
    client=addresses.filter(lambda a: not INGRESS.trusts(a)),
    proxies=st.lists(st.integers(1, 65000).map(lambda n: str(ipaddress.ip_address("10.244.0.0") + n)), max_size=3),
)
def test_behind_trusted_proxies_the_client_is_the_rightmost_untrusted_hop(spoofed, client, proxies):
    # The client may write anything on the left; the ingress appends the address it saw.
    header = ", ".join([*[item.replace(",", "") for item in spoofed], client, *proxies[:-1]])
    peer = proxies[-1] if proxies else "10.244.0.1"
    assert client_address(peer, [header], INGRESS) == client


def test_forwarded_addresses_with_ports_and_brackets_are_read():
    assert client_address("10.244.0.9", ["[2001:db8::1]:443"], INGRESS) == "2001:db8::1"
    assert client_address("10.244.0.9", ["203.0.113.5:5000"], INGRESS) == "203.0.113.5"
    assert client_address("10.244.0.9", [], INGRESS) == "10.244.0.9"


async def test_a_limit_counts_in_memory_and_reports_the_draft_headers():
    limits = RateLimits(None, "test")
    limit = Limit("unit", 3, 60)
    decisions = [await limits.hit(limit, "a") for _ in range(4)]
    assert [decision.allowed for decision in decisions] == [True, True, True, False]
    assert [decision.remaining for decision in decisions] == [2, 1, 0, 0]
    headers = dict(decisions[-1].headers())
    assert headers["RateLimit-Limit"] == "3" and int(headers["Retry-After"]) >= 1
    assert (await limits.hit(limit, "b")).allowed  # another key has its own budget


def _gateway(**overrides) -> GatewaySettings:
    return GatewaySettings(
        **{"rate_limit_per_token_per_minute": 0, "rate_limit_per_address_per_minute": 0, **overrides}
    )


async def test_the_gateway_answers_429_with_retry_after_and_ratelimit_headers(tmp_path):
    from tests.templates import build_embedded

    system = build_embedded(tmp_path, None, gateway_settings=_gateway(rate_limit_per_token_per_minute=2))
    async with running(system.gateway):
        transport = httpx.ASGITransport(app=system.gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            caller = bearer("district_admin", subject="one-caller")
            answers = [await client.get("/api/v1/stations", headers=caller) for _ in range(3)]
            assert [answer.status_code for answer in answers] == [200, 200, 429]
            assert [answer.headers["ratelimit-remaining"] for answer in answers] == ["1", "0", "0"]
            assert answers[0].headers["ratelimit-limit"] == "2" and int(answers[0].headers["ratelimit-reset"]) >= 0
            limited = answers[-1]
            assert limited.headers["content-type"] == "application/problem+json"
            assert limited.json()["code"] == "rate_limited"
            assert int(limited.headers["retry-after"]) >= 1
            other = await client.get("/api/v1/stations", headers=bearer("district_admin", subject="another"))
            assert other.status_code == 200


async def test_a_spoofed_forwarded_address_does_not_escape_the_limit(tmp_path):
    from tests.templates import build_embedded

    system = build_embedded(tmp_path, None, gateway_settings=_gateway(rate_limit_per_address_per_minute=2))
    async with running(system.gateway):
        transport = httpx.ASGITransport(app=system.gateway, client=("203.0.113.9", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            statuses = [
                (
                    await client.get(
                        "/api/v1/stations", headers={"X-Forwarded-For": f"198.51.100.{n}", **bearer("resident")}
                    )
                ).status_code
                for n in range(4)
            ]
            assert statuses == [200, 200, 429, 429]
            # The token issuer counts too: no password guessing at full speed.
            guess = await client.post("/auth/token", data={"username": "resident", "password": "guess"})
            assert guess.status_code == 429
            # And so does the resident's page (token guessing).
            assert (await client.get("/e/" + "C" * 43)).status_code == 429


async def test_a_trusted_proxy_names_the_client(tmp_path):
    from tests.templates import build_embedded

    settings = _gateway(rate_limit_per_address_per_minute=2, trusted_proxies=["10.244.0.0/16"])
    system = build_embedded(tmp_path, None, gateway_settings=settings)
    async with running(system.gateway):
        transport = httpx.ASGITransport(app=system.gateway, client=("10.244.3.7", 5000))  # the ingress pod
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as ingress:

            async def status(forwarded: str) -> int:
                return (await ingress.get("/api/v1/stations", headers={"X-Forwarded-For": forwarded})).status_code

            # Each resident has a budget of their own, though all arrive through one ingress pod.
            assert [await status(f"1.2.3.4, 198.51.100.{n}") for n in range(5)] == [200] * 5
            # One resident is limited, whatever they write in front of their address.
            assert [await status(f"6.6.6.{n}, 198.51.100.77") for n in range(3)] == [200, 200, 429]


async def test_two_gateway_replicas_share_one_budget_in_redis(redis):
    settings = _gateway(
        mode=Mode.distributed,
        rate_limit_redis_url=redis,
        rate_limit_key_prefix=f"test:{uuid.uuid4().hex}",
        rate_limit_per_address_per_minute=3,
    )
    replicas = [create_app(settings, upstreams={}), create_app(settings, upstreams={})]
    statuses = []
    for number in range(4):
        replica = replicas[number % 2]
        async with running(replica):
            transport = httpx.ASGITransport(app=replica, client=("203.0.113.20", 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                statuses.append((await client.get("/docs")).status_code)
    assert statuses == [200, 200, 200, 429]


async def test_cors_allows_only_the_configured_origins(tmp_path):
    from gateway.settings import GatewaySettings
    from tests.templates import build_embedded

    settings = GatewaySettings(cors_allow_origins=["https://app.doorstep.example"])
    system = build_embedded(tmp_path, None, gateway_settings=settings)
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
