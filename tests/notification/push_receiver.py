"""Real push services for the push tests: aiohttp servers on 127.0.0.1.

`WebPushService` acts as a browser vendor's Web Push service and as the browser behind it: each
`subscribe()` makes a subscription with its own ECDH key pair and auth secret (as a browser does). Every
POST to a subscription's endpoint is checked as a push service and a browser would: the VAPID
`Authorization` (`vapid t=<JWT>, k=<key>`) must carry the application server's public key and a JWT signed
by it for this origin and not expired; the body (aes128gcm) is decrypted with the subscription's private
key and auth secret. What arrives is kept in `received`; `answers` scripts status codes per endpoint.

`VendorReceiver` stands for a vendor channel's HTTP address (VendorHttpProvider's shape).
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import jwt as vapid_jwt

from tests.local_http import LocalHttpServer, free_port


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class Subscription:
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    def as_json(self) -> dict[str, Any]:
        """`PushSubscription.toJSON()`."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth_secret)},
        }


@dataclass
class Delivered:
    endpoint: str
    payload: dict[str, Any]
    headers: dict[str, str]
    claims: dict[str, Any]


@dataclass
class WebPushService(LocalHttpServer):
    vapid_public_key: str  # base64url uncompressed point: what the application server signs with
    port: int = field(default_factory=free_port)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    received: list[Delivered] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why a request was not taken
    answers: dict[str, list[int]] = field(default_factory=dict)  # endpoint -> next status codes, then 201

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def subscribe(self) -> Subscription:
        endpoint = f"{self.origin}/push/{uuid.uuid4().hex}{uuid.uuid4().hex}"
        subscription = Subscription(endpoint, ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        self.subscriptions[endpoint] = subscription
        return subscription

    def titles(self) -> list[str]:
        return [delivered.payload["title"] for delivered in self.received]

    def _check_vapid(self, header: str) -> dict[str, Any]:
        scheme, _, rest = header.partition(" ")
        assert scheme.lower() == "vapid", f"Authorization scheme {scheme!r}"
        parts = dict(part.strip().split("=", 1) for part in rest.split(","))
        assert parts["k"] == self.vapid_public_key, "signed with another application server key"
        claims = vapid_jwt.decode(parts["t"], self.vapid_public_key)  # raises on a bad signature
        assert claims["aud"] == self.origin, f"aud {claims['aud']!r}"
        assert int(claims["exp"]) > time.time(), "expired"
        assert str(claims["sub"]).startswith(("mailto:", "https:")), "sub"
        return claims

    async def _push(self, request: web.Request) -> web.Response:
        endpoint = f"{self.origin}{request.path}"
        subscription = self.subscriptions.get(endpoint)
        if subscription is None:
            return web.Response(status=404)
        scripted = self.answers.get(endpoint)
        if scripted:
            return web.Response(status=scripted.pop(0))
        body = await request.read()
        try:
            claims = self._check_vapid(request.headers.get("Authorization", ""))
            assert request.headers.get("Content-Encoding") == "aes128gcm", "content encoding"
            assert request.headers.get("TTL", "").isdigit(), "TTL"
            clear = http_ece.decrypt(
                body, private_key=subscription.private_key, auth_secret=subscription.auth_secret, version="aes128gcm"
            )
            payload = json.loads(clear)
        except Exception as error:  # the push service refuses what it cannot verify or read
            self.refused.append(f"{type(error).__name__}: {error}")
            return web.Response(status=401)
        self.received.append(Delivered(endpoint, payload, {k.lower(): v for k, v in request.headers.items()}, claims))
        return web.Response(status=201)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/push/{id}", self._push)


@dataclass
class VendorReceiver(LocalHttpServer):
    token: str = "vendor-channel-test-token"
    port: int = field(default_factory=free_port)
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/push"

    async def _take(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.Response(status=401)
        if self.answers:
            return web.Response(status=self.answers.pop(0))
        self.received.append((dict(request.headers), await request.json()))
        return web.json_response({"message_id": uuid.uuid4().hex})

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/push", self._take)
