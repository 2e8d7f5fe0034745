"""shared/service_calls.py: a service's own token (self-signed, or OAuth2 client credentials from a real
local token endpoint), kept until shortly before it expires; and the notifier's rating link."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from shared.auth import TokenVerifier
from shared.service_calls import ServiceCaller, ServiceCallError
from shared.settings import CommonSettings, Mode
from tests.evaluation.conftest import RECEPTIONIST, SOCIAL_WORKER, Harness, harness  # noqa: F401
from tests.local_http import LocalHttpServer, free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class OidcServer(LocalHttpServer):
    """A token endpoint (client credentials) and a protected API that accepts only the latest token."""

    def __init__(self) -> None:
        self.port = free_port()
        self.issued: list[str] = []
        self.token_requests: list[dict[str, object]] = []
        self.seen: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        client = base64.b64decode(encoded).decode() if scheme == "Basic" else ""
        self.token_requests.append({**form, "client": client})
        if client != "notification:s3cret" or form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "invalid_client"}, status=401)
        self.issued.append(f"token-{len(self.issued) + 1}")
        return web.json_response({"access_token": self.issued[-1], "token_type": "Bearer", "expires_in": 600})

    async def api(self, request: web.Request) -> web.Response:
        presented = request.headers.get("Authorization", "")
        self.seen.append(presented)
        if not self.issued or presented != f"Bearer {self.issued[-1]}":
            return web.json_response({"code": "invalid_token"}, status=401)
        return web.json_response({"ok": True})

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/token", self.token)
        app.router.add_get("/api", self.api)


@pytest.fixture
async def oidc() -> AsyncIterator[OidcServer]:
    server = OidcServer()
    await server.start()
    yield server
    await server.stop()


def _oidc_settings(server: OidcServer, secret: str = "s3cret") -> CommonSettings:
    return CommonSettings(
        service_name="notification",
        service_client_id="notification",
        service_client_secret=secret,
        service_token_url=f"{server.base}/token",
    )


async def test_client_credentials_are_fetched_once_and_renewed_before_they_expire(oidc: OidcServer) -> None:
    clock = Clock()
    caller = ServiceCaller(_oidc_settings(oidc), clock=clock, timeout_seconds=2)
    try:
        for _ in range(3):
            assert (await caller.client().get(f"{oidc.base}/api")).status_code == 200
        assert oidc.issued == ["token-1"] and len(oidc.token_requests) == 1
        assert oidc.token_requests[0]["grant_type"] == "client_credentials"
        clock.now += 600 - 30  # within a minute of expiry: a new one
        assert (await caller.client().get(f"{oidc.base}/api")).status_code == 200
        assert oidc.issued == ["token-1", "token-2"] and oidc.seen[-1] == "Bearer token-2"
        oidc.issued.append("rotated")  # the provider revoked the cached token: one retry with a new one
        assert (await caller.client().get(f"{oidc.base}/api")).status_code == 200
        assert oidc.seen[-2:] == ["Bearer token-2", "Bearer token-4"]
    finally:
        await caller.aclose()


async def test_a_refused_client_is_an_error_not_an_anonymous_call(oidc: OidcServer) -> None:
    caller = ServiceCaller(_oidc_settings(oidc, secret="wrong"), timeout_seconds=2)
    try:
        with pytest.raises(ServiceCallError):
            await caller.client().get(f"{oidc.base}/api")
        assert oidc.seen == []
    finally:
        await caller.aclose()


async def test_without_an_oidc_client_the_token_is_self_signed_for_the_notifier_role() -> None:
    settings = CommonSettings(service_name="notification")
    caller = ServiceCaller(settings)
    principal = TokenVerifier(settings).verify(await caller.token())
    assert principal.roles == frozenset({"notifier"}) and principal.user_id == "service:notification"
    assert await caller.token() == await caller.token() and caller.tokens_obtained == 1
    with pytest.raises(ValueError, match="service_token_url"):
        ServiceCaller(CommonSettings(mode=Mode.production, jwt_jwks_url="https://idp/jwks", jwt_secret="x" * 40))


async def test_the_notifier_gets_the_residents_own_link_and_a_handler_still_gets_none(harness: Harness) -> None:  # noqa: F811
    from tests.conftest import bearer

    data = await harness.close_ticket()
    invitation = await harness.invitation(data["ticket_id"])
    url = f"/api/v1/evaluations/invitations/{invitation.id}/token"
    link = await harness.client.post(url, headers=bearer("notifier", "service:notification"))
    assert link.status_code == 201, link.text
    assert link.json()["resident_code_required"] is False  # the resident's own link: no code to type
    assert await harness.outbox_events("evaluation.rating_code_issued") == []
    # A second SMS never replaces the link the resident holds.
    again = await harness.client.post(url, headers=bearer("notifier", "service:notification"))
    assert again.status_code == 409 and again.json()["code"] == "link_already_issued"
    # The link works for the resident and counts once.
    rated = await harness.client.post(
        "/api/v1/ratings", json={"token": link.json()["token"], "attitude": 5, "ability": 5}
    )
    assert rated.status_code == 201, rated.text
    # Whoever handled the ticket gets no link, whatever roles they hold besides.
    other = await harness.close_ticket()
    other_invitation = await harness.invitation(other["ticket_id"])
    both = bearer(["notifier", "social_worker"], SOCIAL_WORKER, station_id=other["station_id"])
    refused = await harness.client.post(f"/api/v1/evaluations/invitations/{other_invitation.id}/token", headers=both)
    assert refused.status_code == 403 and refused.json()["code"] == "handled_ticket"
    receptionist = await harness.client.post(
        f"/api/v1/evaluations/invitations/{other_invitation.id}/token",
        headers=bearer(["notifier", "receptionist"], RECEPTIONIST, station_id=other["station_id"]),
    )
    assert receptionist.status_code == 403
    # A colleague who holds the notifier role besides gets a desk link bound by a code, not the resident's.
    colleague = bearer(["notifier", "social_worker"], "colleague-sw-2", station_id=other["station_id"])
    desk = await harness.client.post(f"/api/v1/evaluations/invitations/{other_invitation.id}/token", headers=colleague)
    assert desk.status_code == 201 and desk.json()["resident_code_required"] is True, desk.text


async def test_the_embedded_caller_reaches_other_services_through_the_gateway(sms_system: Any) -> None:
    notification = sms_system.services["notification"]
    caller = notification.state.sms_sender.caller
    assert isinstance(caller.transport, httpx.ASGITransport)
    answer = await caller.client().get("http://anywhere/api/v1/me")
    assert answer.status_code == 200, answer.text
