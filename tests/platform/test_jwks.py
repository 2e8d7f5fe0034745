"""Key fetching never holds up the gateway: a slow JWKS server on 127.0.0.1, a token with an unknown key id,
and /livez answering meanwhile; unknown key ids within the cool-down cause no further fetch."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.ids import utcnow
from tests.conftest import running

ISSUER = "https://oidc.pudong.test"
SLOW_SECONDS = 2.0


class SlowJwks:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": "known", "use": "sig", "alg": "RS256"})
        self.body = json.dumps({"keys": [jwk]}).encode()
        self.requests = 0

    def token(self, key_id: str) -> str:
        now = int(utcnow().timestamp())
        claims = {"sub": "w1", "roles": ["social_worker"], "iss": ISSUER, "aud": "doorstep", "exp": now + 600}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": key_id})


@pytest.fixture
def slow_jwks() -> Iterator[tuple[SlowJwks, str]]:
    """The district OIDC provider's key endpoint, answering after SLOW_SECONDS."""
    jwks = SlowJwks()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            jwks.requests += 1
            time.sleep(SLOW_SECONDS)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(jwks.body)))
            self.end_headers()
            self.wfile.write(jwks.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield jwks, f"http://127.0.0.1:{server.server_port}/certs"
    server.shutdown()


async def test_livez_answers_while_an_unknown_key_is_fetched_and_the_cool_down_holds(slow_jwks):
    jwks, url = slow_jwks
    settings = GatewaySettings(
        jwt_jwks_url=url,
        jwt_issuer=ISSUER,
        jwt_jwks_timeout_seconds=5,
        jwt_jwks_cooldown_seconds=60,
        rate_limit_per_address_per_minute=0,
        rate_limit_per_token_per_minute=0,
    )
    gateway = create_app(settings, upstreams={})
    async with running(gateway):
        transport = httpx.ASGITransport(app=gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=30) as client:
            unknown = {"Authorization": f"Bearer {jwks.token('rotated-away')}"}
            started = time.monotonic()
            verifying = asyncio.create_task(client.get("/api/v1/tickets", headers=unknown))
            await asyncio.sleep(0.2)  # the fetch is under way (it takes SLOW_SECONDS)
            livez = await client.get("/livez")
            assert livez.status_code == 200 and time.monotonic() - started < 1.0
            assert not verifying.done()
            refused = await verifying
            assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
            assert jwks.requests == 1

            # Within the cool-down, made-up key ids are refused at once, without asking the provider.
            started = time.monotonic()
            for number in range(5):
                again = await client.get(
                    "/api/v1/tickets", headers={"Authorization": f"Bearer {jwks.token(str(number))}"}
                )
                assert again.status_code == 401
            assert jwks.requests == 1 and time.monotonic() - started < 1.0
