"""Managing webhook subscriptions over HTTP: who may, what is refused (422 naming the field), ETags."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import DEMO_SUBDISTRICT_ID, bearer, eventually, staff_headers
from tests.notification.conftest import WebhookReceiver
from tests.notification.test_webhooks_delivery import ADMIN, CLIENT, deliveries, gateway, raise_ticket, subscribe

OTHER_SUBDISTRICT_ID = "0193a000-0000-7000-8000-000000000036"
PRIVATE_TARGETS = (
    "http://127.0.0.1:8080/hook",
    "http://[::1]/hook",
    "https://10.1.2.3/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::ffff:192.168.1.1]/hook",
    "http://localhost/hook",
    "ftp://example.org/x",
)


async def test_event_types_must_match_the_subscribable_catalogue(webhook_system: Any) -> None:
    async with gateway(webhook_system) as http:
        for patterns in (["ticket.nonsense"], ["evaluation.rating_code_issued"], ["staff.*"]):
            refused = await http.post(
                "/api/v1/webhooks", headers=ADMIN, json={"url": "http://127.0.0.1:9/x", "event_types": patterns}
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["field"] == "event_types" and refused.json()["code"] == "webhook_event_type_unknown"
        catalogue = await http.get("/api/v1/webhooks/event-types", headers=CLIENT)
        types = {item["type"] for item in catalogue.json()}
        assert "ticket.closed" in types and "evaluation.rating_code_issued" not in types


async def test_only_integration_clients_and_district_admins_have_webhooks(webhook_system: Any) -> None:
    async with gateway(webhook_system) as http:
        body = {"url": "http://127.0.0.1:9/x", "event_types": ["#"]}
        for headers in (staff_headers("secretary"), bearer("resident", "r-1"), bearer("department", "d-1")):
            refused = await http.post("/api/v1/webhooks", headers=headers, json=body)
            assert refused.status_code == 403 and refused.json()["code"] == "role_required"
            assert (await http.get("/api/v1/webhooks", headers=headers)).status_code == 403
        assert (await http.post("/api/v1/webhooks", json=body)).status_code == 401


async def test_an_integration_client_subscribes_within_its_subdistrict_claim(webhook_system: Any) -> None:
    scoped = bearer("integration_client", "grid-system-lujiazui", subdistrict_id=DEMO_SUBDISTRICT_ID)
    async with gateway(webhook_system) as http:
        hook = await subscribe(http, "http://127.0.0.1:9/x", scoped)
        assert hook["subdistrict_ids"] == [DEMO_SUBDISTRICT_ID]
        refused = await http.post(
            "/api/v1/webhooks",
            headers=scoped,
            json={"url": "http://127.0.0.1:9/x", "event_types": ["#"], "subdistrict_ids": [OTHER_SUBDISTRICT_ID]},
        )
        assert refused.status_code == 403 and refused.json()["field"] == "subdistrict_ids"


async def test_writes_follow_if_match_and_a_deleted_subscription_is_gone(webhook_system: Any) -> None:
    async with gateway(webhook_system) as http:
        hook = await subscribe(http, "http://127.0.0.1:9/x", CLIENT)
        read = await http.get(f"/api/v1/webhooks/{hook['id']}", headers=CLIENT)
        etag = read.headers["etag"]
        changed = await http.patch(
            f"/api/v1/webhooks/{hook['id']}", headers={**CLIENT, "If-Match": etag}, json={"description": "12345热线"}
        )
        assert changed.status_code == 200 and changed.json()["description"] == "12345热线"
        stale = await http.patch(
            f"/api/v1/webhooks/{hook['id']}", headers={**CLIENT, "If-Match": etag}, json={"description": "again"}
        )
        assert stale.status_code == 412
        assert (await http.delete(f"/api/v1/webhooks/{hook['id']}", headers=CLIENT)).status_code == 204
        assert (await http.get(f"/api/v1/webhooks/{hook['id']}", headers=CLIENT)).status_code == 404


async def test_private_targets_are_refused_when_not_allowed(webhook_system_factory: Any) -> None:
    system = await webhook_system_factory(webhook_allow_private_targets=False)
    async with gateway(system) as http:
        for url in PRIVATE_TARGETS:
            refused = await http.post("/api/v1/webhooks", headers=ADMIN, json={"url": url, "event_types": ["#"]})
            assert refused.status_code == 422, (url, refused.text)
            assert refused.json()["field"] == "url" and refused.json()["code"] == "webhook_target_refused"


async def test_a_target_is_checked_again_at_delivery_time(
    webhook_system: Any, webhook_receiver: WebhookReceiver
) -> None:
    runtime = webhook_system.services["notification"].state.runtime
    async with gateway(webhook_system) as http:
        hook = await subscribe(http, webhook_receiver.url, event_types=["ticket.created"])
        # The deployment stops allowing private targets (as if the name now resolved to one).
        runtime.settings = runtime.settings.model_copy(update={"webhook_allow_private_targets": False})
        await raise_ticket(http)

        async def refused() -> bool:
            rows = await deliveries(http, hook["id"])
            return bool(rows) and (rows[0]["last_error"] or "").startswith("target refused")

        await eventually(refused, timeout=20)
        assert webhook_receiver.received == []


async def test_a_disabled_subscription_gets_nothing(webhook_system: Any, webhook_receiver: WebhookReceiver) -> None:
    async with gateway(webhook_system) as http:
        hook = await subscribe(http, webhook_receiver.url, event_types=["ticket.created"], enabled=False)
        enabled = await subscribe(http, webhook_receiver.url + "?on", event_types=["ticket.created"])
        await raise_ticket(http)

        async def one() -> bool:
            return len(webhook_receiver.received) == 1

        await eventually(one, timeout=20)
        assert await deliveries(http, hook["id"]) == []
        assert json.loads(webhook_receiver.received[0][1])["type"] == "ticket.created"
        assert len(await deliveries(http, enabled["id"])) == 1


async def test_the_delivery_log_pages(webhook_system: Any, webhook_receiver: WebhookReceiver) -> None:
    async with gateway(webhook_system) as http:
        hook = await subscribe(http, webhook_receiver.url, event_types=["ticket.created"])
        for _ in range(3):
            await raise_ticket(http)

        async def three() -> bool:
            return len(webhook_receiver.received) == 3

        await eventually(three, timeout=20)
        first = await http.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=ADMIN, params={"limit": 2})
        assert len(first.json()["items"]) == 2 and first.json()["next_cursor"]
        rest = await http.get(
            f"/api/v1/webhooks/{hook['id']}/deliveries",
            headers=ADMIN,
            params={"limit": 2, "cursor": first.json()["next_cursor"]},
        )
        ids = [row["id"] for row in first.json()["items"] + rest.json()["items"]]
        assert len(set(ids)) == 3 and rest.json()["next_cursor"] is None
        bad = await http.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=ADMIN, params={"cursor": "nope"})
        assert bad.status_code == 422 and bad.json()["field"] == "cursor"
