"""Idempotency on every POST that acts (issue 13, point 6), across the services through the gateway: each
declares `Idempotency-Key`, and a retry in a service other than the ticket service replays its answer."""

from __future__ import annotations

from tests.conftest import DEMO_STATION_ID, staff_headers

# POSTs that change nothing (computations, the token issuer), and the one whose answer holds a secret
# shown once: an Open311 key is stored hashed, and a stored answer would keep it in clear for a day.
# Reads that take a body, sign-in, and answers that show a secret once (a stored answer would keep the
# secret a second time); marking feed items read or unread sets a state, so a repeat changes nothing.
NOT_ACTING = {
    "/api/v1/coverage",
    "/api/v1/coverage.csv",
    "/auth/token",
    "/api/v1/api-keys",
    "/api/v1/webhooks",
    "/api/v1/webhooks/{webhook_id}/secret",
    "/api/v1/me/feed/read",
    "/api/v1/me/feed/{item_id}/read",
    "/api/v1/me/feed/{item_id}/unread",
}


async def test_every_acting_post_declares_an_idempotency_key(client):
    document = (await client.get("/openapi.json")).json()
    missing = [
        path
        for path, item in document["paths"].items()
        if "post" in item
        and path not in NOT_ACTING
        and not any(parameter.get("name") == "Idempotency-Key" for parameter in item["post"].get("parameters", []))
    ]
    assert missing == []


async def test_a_retried_project_proposal_makes_one_project(client):
    secretary = {**staff_headers("secretary"), "Idempotency-Key": "proposal-1"}
    body = {
        "station_id": DEMO_STATION_ID,
        "title": "楼道加装扶手",
        "description": "老人上下楼不便，加装扶手",
        "service_category": "daily_life",
    }
    first = await client.post("/api/v1/projects", headers=secretary, json=body)
    assert first.status_code == 201, first.text
    again = await client.post("/api/v1/projects", headers=secretary, json=body)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = await client.post("/api/v1/projects", headers=secretary, json={**body, "title": "另一个项目"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    listed = await client.get("/api/v1/projects", headers=staff_headers("secretary"), params={"limit": 200})
    titles = [project["title"] for project in listed.json()["items"]]
    assert titles.count("楼道加装扶手") == 1
