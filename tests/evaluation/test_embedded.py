"""The evaluation service in the whole embedded system, through the gateway, with the demo data."""

from __future__ import annotations

import re
from datetime import timedelta

from evaluation_service.reports.scoring import SHANGHAI
from shared.ids import utcnow
from tests.conftest import DEMO_STATION_ID, bearer, eventually, staff_headers
from tests.evaluation.conftest import SOCIAL_WORKER, department


async def _login(client, username: str) -> dict[str, str]:
    response = await client.post("/auth/token", data={"username": username, "password": f"demo-{username}"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_from_a_closed_ticket_to_the_departments_inbox_through_the_gateway(client):
    worker, resident = await _login(client, "social_worker"), await _login(client, "resident")
    created = await client.post(
        "/api/v1/tickets",
        headers=resident,
        json={"station_id": DEMO_STATION_ID, "channel": "app", "service_category": "government_affairs",
              "description": "换领医疗记录册"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    closed = await client.post(
        f"/api/v1/tickets/{ticket_id}/close",
        headers=worker,
        json={"completed_by": SOCIAL_WORKER, "result_text": "已办结"},
    )
    assert closed.status_code == 200, closed.text

    invitation: dict = {}

    async def invited() -> bool:
        listed = await client.get("/api/v1/evaluations/invitations", params={"ticket_id": ticket_id}, headers=worker)
        invitation.update(*(listed.json()["items"] or [{}]))
        return bool(invitation)

    await eventually(invited)
    # The worker who handled it gets no link (issue 12); the resident gets theirs in their account.
    refused = await client.post(f"/api/v1/evaluations/invitations/{invitation['id']}/token", headers=worker)
    assert refused.status_code == 403 and refused.json()["code"] == "handled_ticket"
    link = await client.post(f"/api/v1/evaluations/invitations/{invitation['id']}/token", headers=resident)
    assert link.status_code == 201, link.text
    path = re.sub(r"^https?://[^/]+", "", link.json()["url"])
    page = await client.get(path)
    assert page.status_code == 200 and "服务评价" in page.text
    cut_short = await client.get("/e/", headers={"Accept": "text/html"})
    assert cut_short.status_code == 404 and "链接不完整" in cut_short.text
    thanks = await client.post(path, data={"attitude": "2", "ability": "4", "comment": "等候时间太长"})
    assert thanks.status_code == 200 and "感谢" in thanks.text

    inbox = await client.get(
        "/api/v1/ratings", params={"follow_up": "open"}, headers=await _login(client, "department")
    )
    mine = [item for item in inbox.json()["items"] if item["ticket_id"] == ticket_id]
    assert mine and mine[0]["comment"] == "等候时间太长" and mine[0]["social_worker_id"] == SOCIAL_WORKER


async def test_the_demo_holds_a_year_of_ratings_for_the_assessment(client):
    # The seed runs twelve months back from today: the calendar year of 40 days ago has months of them.
    year = (utcnow() - timedelta(days=40)).astimezone(SHANGHAI).year
    response = await client.get(
        "/api/v1/performance-assessments", params={"year": year}, headers=bearer("district_admin")
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert SOCIAL_WORKER in {item["staff_id"] for item in items}
    assert len(items) == 32  # the catalogue's 4 social workers at each of the report's 8 stations
    assert sum(item["ratings"]["count"] for item in items) > 500
    report = await client.get("/api/v1/evaluations/reports/subdistricts", params={"year": year}, headers=department())
    assert report.status_code == 200
    [lujiazui] = report.json()["items"]
    assert lujiazui["name"] == "陆家嘴街道" and 0 < lujiazui["summary"]["response_rate"] < 1
    everywhere = await client.get(
        "/api/v1/evaluations/reports/subdistricts", params={"year": year}, headers=bearer("district_admin")
    )
    assert len(everywhere.json()["items"]) == 4  # every subdistrict the catalogue holds (reported scale)
    html = await client.get(
        "/api/v1/performance-assessments",
        params={"year": year, "format": "html"},
        headers=staff_headers("secretary", subject="sec"),
    )
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
