"""Issue 13, point 7: the catalogue shows the item codes intake takes and Open311 lists."""

from __future__ import annotations

import httpx

from tests.conftest import DEMO_STATION_ID


async def test_service_items_carry_the_codes_intake_and_open311_use(client: httpx.AsyncClient) -> None:
    services = (await client.get("/open311/v2/services.json")).json()
    open311 = {service["service_code"]: service["service_name"] for service in services}

    service_list = (await client.get(f"/api/v1/stations/{DEMO_STATION_ID}/service-list")).json()
    standard = {item["code"]: item["name"] for c in service_list["categories"] for item in c["standard_items"]}
    assert standard["government_affairs.medical_record_book"] == "医疗记录册换领"
    assert standard.items() <= open311.items()  # every standard item, by the same name
    assert len(standard) == len([code for code in open311 if "." in code])
    # The seven categories by the same names: the ticket service's events carry these names to the others.
    assert {c["code"]: f"{c['name']}（其他）" for c in service_list["categories"]}.items() <= open311.items()
    for category in service_list["categories"]:
        assert all(item["code"].startswith(category["code"] + ".") for item in category["standard_items"])
        assert all(item["code"] == category["code"] for item in category["optional_items"])

    categories = (await client.get("/api/v1/service-categories")).json()["items"]
    assert {item["code"]: item["name"] for c in categories for item in c["items"]} == standard

    optional = (await client.get("/api/v1/service-items", params={"station_id": DEMO_STATION_ID})).json()["items"]
    assert optional and all(item["code"] == item["category"] and item["code"] in open311 for item in optional)
    one = (await client.get(f"/api/v1/service-items/{optional[0]['id']}")).json()
    assert one["code"] == optional[0]["category"]

    # The code is what intake takes: a ticket raised with it is filed under that item.
    token = (
        await client.post("/auth/token", data={"username": "receptionist", "password": "demo-receptionist"})
    ).json()["access_token"]
    ticket = await client.post(
        "/api/v1/tickets",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "station_id": DEMO_STATION_ID,
            "channel": "walk_in",
            "service_item": "government_affairs.medical_record_book",
            "description": "换领医疗记录册",
            "resident_name": "王阿姨",
            "resident_phone": "13800000000",
        },
    )
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["service_item"] == "government_affairs.medical_record_book"
