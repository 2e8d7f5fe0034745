"""What the notification service does with the handover events (issue 15, points 2, 5 and 8): the feed's
items (who is told of a transfer, a return, a request for the backstop), the duplicate's resident's SMS,
and what a district system's webhook receives of them."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from notification_service.feed.drafts import Audience, FeedKind, draft_for
from notification_service.residents.notices import NoticeKind, render, template_params
from notification_service.webhooks.catalogue import SUBSCRIBABLE
from notification_service.webhooks.projection import Audience as WebhookAudience
from notification_service.webhooks.projection import project
from shared.ids import stable_id
from tests.conftest import DEMO_STATION_ID, bearer, eventually, staff_headers

TICKET_ID = "0190aaaa-0000-7000-8000-000000000009"
STATE = {
    "ticket_id": TICKET_ID,
    "station_id": "s-2",
    "community_name": "滨江居委会",
    "service_category": "daily_life",
    "service_category_name": "生活服务",
    "owner_id": "worker-2",
    "owner_kind": "person",
    "responsibility_level": "first_inquiry",
    "resident_id": "resident-1",
    "status": "new",
}
RECEPTIONIST = str(stable_id("staff", "陆家嘴街道", "市新居委会", "receptionist"))
SOCIAL_WORKER = str(stable_id("staff", "陆家嘴街道", "市新居委会", "social_worker"))
ADMIN = bearer("district_admin", "handover-notices-admin")

# --- the feed ------------------------------------------------------------------------------------------


def test_a_transfer_tells_the_sending_stations_secretaries_and_the_owner_who_lost_it() -> None:
    moved = {**STATE, "from_station_id": "s-1", "to_station_id": "s-2", "transferred_at": "2026-09-14T01:20:00+00:00"}
    made = draft_for("ticket.transferred", {**moved, "previous_owner_id": "worker-1", "transferred_by": "secretary-1"})
    assert made is not None
    draft, audience = made
    assert draft.kind is FeedKind.ticket_transferred and draft.subject_id == TICKET_ID
    assert audience == Audience(person_ids=("worker-1",), station_id="s-1", station_roles=frozenset({"secretary"}))
    assert "滨江居委会" in draft.body and "生活服务" in draft.body
    # Whoever moved it is not told of it; the secretaries still are.
    made = draft_for("ticket.transferred", {**moved, "previous_owner_id": "worker-1", "transferred_by": "worker-1"})
    assert made is not None and made[1].person_ids == ()


def test_a_return_tells_the_secretaries_of_the_station_it_went_back_to() -> None:
    made = draft_for("ticket.returned", {**STATE, "from_station_id": "s-2", "to_station_id": "s-1"})
    assert made is not None
    assert made[0].kind is FeedKind.ticket_returned
    assert made[1] == Audience(station_id="s-1", station_roles=frozenset({"secretary"}))
    assert draft_for("ticket.returned", {**STATE}) is None  # no station to tell


def test_a_request_for_the_backstop_asks_the_stations_secretaries_urgently() -> None:
    made = draft_for("ticket.backstop_requested", {**STATE, "requested_by": "worker-2"})
    assert made is not None
    draft, audience = made
    assert draft.kind is FeedKind.ticket_backstop_requested and draft.urgent
    assert audience == Audience(station_id="s-2", station_roles=frozenset({"secretary"}))
    assert draft.link == f"/api/v1/tickets/{TICKET_ID}"


# --- the resident's SMS and the webhooks -----------------------------------------------------------------


@given(st.text(max_size=40))
def test_the_notices_say_only_the_station_and_the_state(station_name: str) -> None:
    for kind in (NoticeKind.duplicate_linked, NoticeKind.parent_resolved):
        params = {"station_name": station_name, "description": "请联系王秀英13912345678"}
        text = render(kind, params)
        assert "13912345678" not in text and "王秀英" not in text.replace(station_name, "")
        assert template_params(kind, params) == {"station_name": station_name}
    assert "合并办理" in render(NoticeKind.duplicate_linked, {"station_name": "市新家门口服务站"})
    assert "办结" in render(NoticeKind.parent_resolved, {"station_name": "市新家门口服务站"})


def test_district_systems_receive_the_handover_events_without_the_residents_id() -> None:
    events = (
        "ticket.transferred",
        "ticket.returned",
        "ticket.duplicate_linked",
        "ticket.parent_resolved",
        "ticket.backstop_requested",
    )
    assert set(events) <= set(SUBSCRIBABLE)
    data = {**STATE, "parent_id": "p-1", "from_station_id": "s-1", "to_station_id": "s-2", "note": "王秀英"}
    for event_type in events:
        client = project(event_type, data, WebhookAudience.integration_client)
        admin = project(event_type, data, WebhookAudience.district_admin)
        assert client is not None and admin is not None
        assert "resident_id" not in client and admin["resident_id"] == "resident-1"
        assert "note" not in admin and client["ticket_id"] == TICKET_ID


# --- through the embedded system ------------------------------------------------------------------------


def _raise(phone: str, name: str, subject: str = RECEPTIONIST) -> dict[str, Any]:
    role = "receptionist" if subject == RECEPTIONIST else "social_worker"
    return {
        "headers": staff_headers(role, subject=subject),
        "json": {
            "station_id": DEMO_STATION_ID,
            "channel": "walk_in",
            "service_category": "daily_life",
            "service_category_name": "生活服务",
            "description": "3号楼楼道灯坏了",
            "resident_name": name,
            "resident_phone": phone,
        },
    }


async def test_the_duplicates_resident_is_texted_at_the_link_and_at_the_parents_resolution(
    sms_system: Any, sms_gateway: Any
) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sms_system.gateway), base_url="http://g") as http:
        parent = (await http.post("/api/v1/tickets", **_raise("13911110001", "王秀英"))).json()
        duplicate = (await http.post("/api/v1/tickets", **_raise("13911110002", "李建国"))).json()
        receptionist = staff_headers("receptionist", subject=RECEPTIONIST)
        linked = await http.post(
            f"/api/v1/tickets/{duplicate['id']}/duplicate-of", headers=receptionist, json={"parent_id": parent["id"]}
        )
        assert linked.status_code == 200, linked.text

        async def texted(phone: str, kind: str) -> bool:
            return bool(sms_gateway.to(phone, kind))

        await eventually(lambda: texted("13911110002", "duplicate_linked"), timeout=15)
        assert not sms_gateway.to("13911110001", "duplicate_linked")  # the parent's resident: nothing yet

        for action, extra in (("accept", {}), ("resolve", {"result_text": "楼道灯已修好"})):
            response = await http.post(
                f"/api/v1/tickets/{parent['id']}/transitions", headers=receptionist, json={"action": action, **extra}
            )
            assert response.status_code == 200, response.text
        await eventually(lambda: texted("13911110002", "parent_resolved"), timeout=15)
        await eventually(lambda: texted("13911110001", "ticket_resolved"), timeout=15)
        (told,) = sms_gateway.to("13911110002", "parent_resolved")
        assert "办结" in told["text"] and "楼道灯" not in told["text"]


async def test_the_secretary_finds_the_request_for_the_backstop_in_their_feed(sms_system: Any) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sms_system.gateway), base_url="http://g") as http:
        staff = await http.get(
            "/api/v1/staff", headers=ADMIN, params={"station_id": DEMO_STATION_ID, "role": "secretary", "limit": 10}
        )
        assert staff.status_code == 200, staff.text
        secretary = staff.json()["items"][0]["id"]
        ticket = (await http.post("/api/v1/tickets", **_raise("13911110003", "赵敏", SOCIAL_WORKER))).json()
        assert ticket["owner_id"] == SOCIAL_WORKER
        asked = await http.post(
            f"/api/v1/tickets/{ticket['id']}/backstop-request",
            headers=staff_headers("social_worker", subject=SOCIAL_WORKER),
            json={"reason": "涉及产权纠纷，请赵敏的家属一同到场"},
        )
        assert asked.status_code == 200, asked.text
        headers = staff_headers("secretary", subject=secretary)

        async def items() -> list[dict[str, Any]]:
            response = await http.get("/api/v1/me/feed", headers=headers)
            assert response.status_code == 200, response.text
            return [item for item in response.json()["items"] if item["subject_id"] == ticket["id"]]

        async def arrived() -> bool:
            return bool(await items())

        await eventually(arrived, timeout=15)
        (item,) = await items()
        assert item["kind"] == "ticket_backstop_requested" and "赵敏" not in item["body"]
        worker = await http.get("/api/v1/me/feed", headers=staff_headers("social_worker", subject=SOCIAL_WORKER))
        assert all(entry["subject_id"] != ticket["id"] for entry in worker.json()["items"])
