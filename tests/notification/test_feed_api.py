"""The worker's feed from real events, through the gateway of the embedded system: who gets which item,
read marks, and nobody else's items."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from notification_service.feed.models import FeedItem
from shared.events import EventEnvelope
from tests.conftest import DEMO_STATION_ID, DEMO_SUBDISTRICT_ID, bearer, eventually, staff_headers

RESIDENT_NAME = "欧阳娜娜"
RESIDENT_PHONE = "13912345678"
ADMIN = bearer("district_admin", "feed-test-admin")


def feed_gateway(system: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=system.gateway), base_url="http://gateway")


async def social_workers(http: httpx.AsyncClient) -> list[str]:
    response = await http.get(
        "/api/v1/staff", headers=ADMIN, params={"station_id": DEMO_STATION_ID, "role": "social_worker", "limit": 50}
    )
    assert response.status_code == 200, response.text
    found = [member["id"] for member in response.json()["items"] if member.get("active", True)]
    assert len(found) >= 3
    return found


async def raise_and_designate(http: httpx.AsyncClient, designee: str) -> str:
    response = await http.post(
        "/api/v1/tickets",
        headers=staff_headers("receptionist"),
        json={
            "station_id": DEMO_STATION_ID,
            "channel": "walk_in",
            "service_category": "government_affairs",
            "service_category_name": "政务服务",
            "description": f"医疗记录册用完了，请联系{RESIDENT_NAME} {RESIDENT_PHONE}",
            "resident_name": RESIDENT_NAME,
            "resident_phone": RESIDENT_PHONE,
        },
    )
    assert response.status_code == 201, response.text
    ticket_id, owner = response.json()["id"], response.json()["owner_id"]
    assert owner != designee
    designated = await http.post(
        f"/api/v1/tickets/{ticket_id}/designate",
        headers=staff_headers("receptionist", subject=owner),
        json={"designee_id": designee, "note": "请跟进"},
    )
    assert designated.status_code == 200, designated.text
    return ticket_id


def person(subject: str) -> dict[str, str]:
    return staff_headers("social_worker", subject=subject)


async def feed(http: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await http.get("/api/v1/me/feed", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_designee_finds_the_ticket_in_their_feed_and_nobody_else_does(embedded: Any) -> None:
    async with feed_gateway(embedded) as http:
        designee, other = (await social_workers(http))[1:3]
        ticket_id = await raise_and_designate(http, designee)

        async def arrived() -> bool:
            return any(item["subject_id"] == ticket_id for item in (await feed(http, person(designee)))["items"])

        await eventually(arrived)
        page = await feed(http, person(designee))
        item = next(item for item in page["items"] if item["subject_id"] == ticket_id)
        assert item["kind"] == "ticket_designated"
        assert item["link"] == f"/api/v1/tickets/{ticket_id}"
        assert "政务服务" in item["body"] and item["read_at"] is None
        assert page["unread_count"] >= 1
        # Never the resident's personal data, though the ticket carries both in its text.
        assert RESIDENT_NAME not in page.__repr__() and RESIDENT_PHONE not in page.__repr__()

        assert all(entry["subject_id"] != ticket_id for entry in (await feed(http, person(other)))["items"])
        # Another person's item: as absent as one that does not exist.
        stolen = await http.post(f"/api/v1/me/feed/{item['id']}/read", headers=person(other))
        assert stolen.status_code == 404 and stolen.json()["code"] == "feed_item_not_found"
        assert (await feed(http, person(designee)))["items"][0]["read_at"] is None


async def test_read_unread_and_read_all_move_the_unread_count(embedded: Any) -> None:
    async with feed_gateway(embedded) as http:
        designee = (await social_workers(http))[1]
        tickets = [await raise_and_designate(http, designee) for _ in range(3)]

        async def all_arrived() -> bool:
            return {item["subject_id"] for item in (await feed(http, person(designee)))["items"]} >= set(tickets)

        await eventually(all_arrived)
        page = await feed(http, person(designee))
        newest_first = [item["subject_id"] for item in page["items"] if item["subject_id"] in tickets]
        assert newest_first == list(reversed(tickets))
        sequences = [item["sequence"] for item in page["items"]]
        assert sequences == sorted(sequences, reverse=True)
        unread = page["unread_count"]
        assert unread == len([item for item in page["items"] if item["read_at"] is None]) >= 3

        oldest, middle, newest = reversed([item for item in page["items"] if item["subject_id"] in tickets])
        marked = await http.post(f"/api/v1/me/feed/{newest['id']}/read", headers=person(designee))
        assert marked.status_code == 200 and marked.json()["read_at"] is not None
        after = await feed(http, person(designee), unread="true")
        assert after["unread_count"] == unread - 1
        assert newest["id"] not in {item["id"] for item in after["items"]}

        again = await http.post(f"/api/v1/me/feed/{newest['id']}/unread", headers=person(designee))
        assert again.status_code == 200 and again.json()["read_at"] is None
        assert (await feed(http, person(designee)))["unread_count"] == unread

        up_to = await http.post("/api/v1/me/feed/read", headers=person(designee), json={"up_to": middle["id"]})
        assert up_to.status_code == 200, up_to.text
        assert up_to.json()["unread_count"] == 1  # only the newest is left
        left = await feed(http, person(designee), unread="true")
        assert [item["id"] for item in left["items"]] == [newest["id"]]

        everything = await http.post("/api/v1/me/feed/read", headers=person(designee), json={})
        assert everything.json() == {"marked": 1, "unread_count": 0}
        assert (await feed(http, person(designee), unread="true"))["items"] == []

        # Pages: one item per page, newest first, all of them once.
        seen: list[str] = []
        cursor = None
        for _ in range(20):  # bounded
            page = await feed(http, person(designee), limit=1, **({"cursor": cursor} if cursor else {}))
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) >= 3


async def test_the_same_event_twice_gives_one_item(embedded: Any) -> None:
    service = embedded.services["notification"]
    bus = service.state.runtime.bus
    event = EventEnvelope(
        "webhook.disabled",
        "/doorstep/notification",
        {"subscription_id": "0190aaaa-0000-7000-8000-000000000001", "owner_id": "feed-client-1", "reason": "gone"},
    )
    await bus.publish(event)
    await bus.publish(event)
    client = bearer("integration_client", "feed-client-1")
    async with feed_gateway(embedded) as http:

        async def arrived() -> bool:
            return len((await feed(http, client))["items"]) >= 1

        await eventually(arrived)
        items = (await feed(http, client))["items"]
        assert [item["kind"] for item in items] == ["webhook_disabled"]
        assert items[0]["link"] == "/api/v1/webhooks/0190aaaa-0000-7000-8000-000000000001"
    async with service.state.runtime.database.transaction() as session:
        rows = (await session.execute(sa.select(FeedItem).where(FeedItem.event_id == event.id))).scalars().all()
    assert len(rows) == 1


async def test_a_resource_request_goes_to_the_providing_departments_members(embedded: Any) -> None:
    """staff.* events keep who works where; resource_request.created reaches the provider's people."""
    bus = embedded.services["notification"].state.runtime.bus
    department = "0190bbbb-0000-7000-8000-00000000000d"
    members = ["feed-dep-member-1", "feed-dep-member-2"]
    for member in members:
        await bus.publish(
            EventEnvelope(
                "staff.created",
                "/doorstep/catalog",
                {"id": member, "role": "department_member", "department_id": department, "active": True},
            )
        )
    await bus.publish(
        EventEnvelope(
            "staff.removed",
            "/doorstep/catalog",
            {"id": members[1], "role": "department_member", "department_id": department, "active": False},
        )
    )
    request_id = "0190cccc-0000-7000-8000-000000000001"
    await bus.publish(
        EventEnvelope(
            "resource_request.created",
            "/doorstep/catalog",
            {
                "id": request_id,
                "resource_title": "助浴服务",
                "provider_department_id": department,
                "provider_station_id": None,
                "station_id": DEMO_STATION_ID,
                "subdistrict_id": DEMO_SUBDISTRICT_ID,
                "requested_date": "2026-12-10",
                "quantity": 2,
            },
        )
    )
    async with feed_gateway(embedded) as http:
        member_headers = bearer("department", members[0], department_id=department)

        async def arrived() -> bool:
            return len((await feed(http, member_headers))["items"]) == 1

        await eventually(arrived)
        item = (await feed(http, member_headers))["items"][0]
        assert item["kind"] == "resource_request_to_answer" and "助浴服务" in item["body"]
        assert item["link"] == f"/api/v1/resource-requests/{request_id}"
        # The member who left gets nothing.
        assert (await feed(http, bearer("department", members[1], department_id=department)))["items"] == []
