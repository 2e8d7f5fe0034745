"""The demo seed in the embedded mode, through the gateway: rota, tickets in every state, Open311 key."""

from __future__ import annotations

from tests.conftest import DEMO_STATION_ID, bearer, staff_headers


async def test_the_demo_seed_gives_a_rota_tickets_in_every_state_and_a_working_open311_key(client):
    admin = bearer("district_admin")
    listed = await client.get("/api/v1/tickets", headers=admin, params={"station_id": DEMO_STATION_ID, "limit": 200})
    assert listed.status_code == 200, listed.text
    states = {item["status"] for item in listed.json()["items"]}
    expected = {"new", "accepted", "in_progress", "waiting_for_resident", "resolved", "closed", "cancelled", "reopened"}
    assert expected <= states
    levels = {item["responsibility_level"] for item in listed.json()["items"]}
    assert "backstop" in levels
    on_duty = await client.get(f"/api/v1/duty-rota/{DEMO_STATION_ID}/on-duty", headers=staff_headers("receptionist"))
    assert on_duty.status_code == 200, on_duty.text
    answer = on_duty.json()
    assert answer["on_duty"] or answer["next_on_duty"]
    # One embedded system per test is costly: the demo Open311 key is checked here too.
    response = await client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": "demo-open311-key",
            "service_code": "daily_life.advice",
            "attribute[station_id]": DEMO_STATION_ID,
            "address_string": "福山路",
            "description": "咨询",
        },
    )
    assert response.status_code == 200, response.text
    request_id = response.json()[0]["service_request_id"]
    read = await client.get(f"/open311/v2/requests/{request_id}.xml")
    assert read.status_code == 200 and b"<service_requests>" in read.content
