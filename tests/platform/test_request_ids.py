"""The request id stored in audit rows is the gateway's own, whatever the caller sends; the caller's id
is kept for correlation only (echoed as X-Correlation-Id)."""

from __future__ import annotations

import uuid

from tests.conftest import DEMO_STATION_ID, bearer, staff_headers


async def test_a_forged_request_id_never_reaches_the_audit(client):
    worker = staff_headers(subject=str(uuid.uuid4()))
    forged = {**worker, "X-Request-Id": "forged"}
    created = await client.post(
        "/api/v1/tickets",
        headers=forged,
        json={
            "station_id": DEMO_STATION_ID,
            "channel": "phone",
            "service_category": "legal",
            "description": "咨询",
            "resident_name": "张小明",
            "resident_phone": "13912345678",
        },
    )
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    answers = [created]
    for path in (f"/api/v1/tickets/{ticket_id}", f"/api/v1/tickets/{ticket_id}/contact"):
        answers.append(await client.get(path, headers=forged))
    gateway_ids = set()
    for answer in answers:
        assert answer.headers["x-correlation-id"] == "forged"
        gateway_ids.add(str(uuid.UUID(answer.headers["x-request-id"])))  # the gateway's own, a UUID
    reads = await client.get(
        "/api/v1/tickets/contact-reads", headers=bearer("district_admin"), params={"ticket_id": ticket_id}
    )
    rows = reads.json()["items"]
    assert rows, "reading the full phone number leaves an audit row"
    assert all(row["request_id"] in gateway_ids for row in rows)
    assert all(row["request_id"] != "forged" for row in rows)


async def test_a_service_called_directly_ignores_the_callers_request_id(embedded):
    """Services can be reached inside the cluster: only the gateway (a trusted proxy) names the request."""
    import httpx

    ticket_app = embedded.services["ticket"]
    transport = httpx.ASGITransport(app=ticket_app, client=("10.9.8.7", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://ticket") as direct:
        answer = await direct.get("/livez", headers={"X-Request-Id": "forged"})
    assert answer.headers["x-request-id"] != "forged"
    assert uuid.UUID(answer.headers["x-request-id"])
