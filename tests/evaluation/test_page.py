"""The resident's page at /e/{token}: a Chinese form without JavaScript, and its clear end pages."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
import sqlalchemy as sa

from evaluation_service.ratings.models import Rating
from shared.ids import utcnow
from tests.evaluation.conftest import RESIDENT, harness_for, staff, ticket_closed

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


async def _stored(harness, ticket_id: str) -> Rating | None:
    return await harness.scalar(sa.select(Rating).where(Rating.ticket_id == uuid.UUID(ticket_id)))


async def _stored_rating(harness, ticket_id: str) -> Rating:
    rating = await _stored(harness, ticket_id)
    assert rating is not None
    return rating


async def test_the_form_is_chinese_mobile_ready_script_free_and_shows_nothing_of_the_resident(harness):
    data, token = await harness.closed_with_token()
    response = await harness.client.get(f"/e/{token}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="zh-CN">' in page
    assert 'name="viewport"' in page
    for text in ("服务评价", "服务态度", "服务能力", "意见建议", "提交评价", "政务服务"):
        assert text in page
    assert "<script" not in page.lower()
    assert len(re.findall(r'type="radio" name="attitude"', page)) == 5
    assert RESIDENT not in page and data["ticket_id"] not in page
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none' covers it
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


async def test_posting_the_form_stores_the_rating_and_thanks_the_resident(harness):
    data, token = await harness.closed_with_token()
    response = await harness.client.post(
        f"/e/{token}", data={"attitude": "5", "ability": "4", "comment": "很好", "via": "qr"}
    )
    assert response.status_code == 200
    assert "感谢您的评价" in response.text
    rating = await _stored_rating(harness, data["ticket_id"])
    assert (rating.attitude, rating.ability, rating.comment, rating.channel) == (5, 4, "很好", "qr")
    used = await harness.client.get(f"/e/{token}")
    assert used.status_code == 409 and "已经评价过" in used.text
    again = await harness.client.post(f"/e/{token}", data={"attitude": "1", "ability": "1"})
    assert again.status_code == 409 and "已经评价过" in again.text
    assert (await _stored_rating(harness, data["ticket_id"])).attitude == 5


async def test_an_expired_link_and_an_unknown_link_have_their_own_pages(harness):
    _, token = await harness.closed_with_token()
    harness.app.state.clock = lambda: utcnow() + timedelta(days=20)
    expired = await harness.client.get(f"/e/{token}")
    posted = await harness.client.post(f"/e/{token}", data={"attitude": "5", "ability": "5"})
    harness.app.state.clock = None
    assert expired.status_code == 410 and "已经过期" in expired.text
    assert posted.status_code == 410
    unknown = await harness.client.get("/e/" + "B" * 43)
    assert unknown.status_code == 404 and "没有找到" in unknown.text
    assert (await harness.client.get("/e/short")).status_code == 404


async def test_a_missing_score_shows_the_form_again_with_the_typed_text_escaped(harness):
    data, token = await harness.closed_with_token()
    response = await harness.client.post(f"/e/{token}", data={"attitude": "4", "comment": XSS})
    assert response.status_code == 422
    assert "请为服务能力选择 1 到 5 分" in response.text
    assert "<script>" not in response.text and "<img" not in response.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.text  # &#34; is &quot;
    assert 'value="4" required checked' in response.text  # what was chosen stays chosen
    assert await _stored(harness, data["ticket_id"]) is None
    ok = await harness.client.post(f"/e/{token}", data={"attitude": "4", "ability": "3", "comment": XSS})
    assert ok.status_code == 200
    assert (await _stored_rating(harness, data["ticket_id"])).comment == XSS  # stored as typed, escaped when shown


async def test_names_from_other_services_are_escaped_on_the_page(harness):
    await harness.publish(
        "station.created",
        {
            "id": ticket_closed()["station_id"],
            "name": XSS,
            "subdistrict_id": ticket_closed()["subdistrict_id"],
            "community_name": "市新居委会",
        },
    )
    _, token = await harness.closed_with_token()
    page = (await harness.client.get(f"/e/{token}")).text
    assert "<script>" not in page and "&lt;script&gt;" in page


async def test_the_page_names_the_social_worker_from_the_catalogue(harness):
    data, token = await harness.closed_with_token()
    await harness.publish(
        "staff.created", {"id": data["completed_by"], "name": "陆伟", "role": "social_worker", "active": True}
    )
    page = (await harness.client.get(f"/e/{token}")).text
    assert "为您服务的工作人员" in page and "陆伟" in page
    older = {"id": data["completed_by"], "name": "旧名字", "role": "social_worker"}
    await harness.publish("staff.updated", older, time=utcnow() - timedelta(days=1))  # late, older: ignored
    assert "陆伟" in (await harness.client.get(f"/e/{token}")).text


async def test_a_staff_member_who_handled_it_cannot_rate_on_the_page(harness):
    data, token = await harness.closed_with_token()
    response = await harness.client.post(f"/e/{token}", data={"attitude": "5", "ability": "5"}, headers=staff())
    assert response.status_code == 403 and "不能为这次服务评价" in response.text
    assert await _stored(harness, data["ticket_id"]) is None
    assert (await harness.client.get(f"/e/{token}")).status_code == 200  # still open for the resident


async def test_too_many_requests_for_one_token_are_refused(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'e.db'}"
    async with harness_for(url, rate_limit_per_token=3, rate_limit_per_address=1000) as harness:
        _, token = await harness.closed_with_token()
        _, other = await harness.closed_with_token()
        statuses = [(await harness.client.get(f"/e/{token}")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = await harness.client.post(f"/e/{token}", data={"attitude": "5", "ability": "5"})
        assert limited.status_code == 429 and "请" in limited.text and int(limited.headers["retry-after"]) >= 1
        api = await harness.client.post("/api/v1/ratings", json={"token": token, "attitude": 5, "ability": 5})
        assert api.status_code == 429 and api.json()["code"] == "rate_limited"
        assert (await harness.client.get(f"/e/{other}")).status_code == 200  # another token is unaffected


async def test_too_many_requests_from_one_address_are_refused_whatever_the_token(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'e.db'}"
    async with harness_for(url, rate_limit_per_address=5) as harness:
        for _ in range(5):
            assert (await harness.client.get("/e/" + uuid.uuid4().hex + "x" * 11)).status_code == 404
        assert (await harness.client.get("/e/" + "C" * 43)).status_code == 429
        # A guesser naming a new address in X-Forwarded-For is still held back: only the gateway is believed.
        spoofed = await harness.client.get("/e/" + "C" * 43, headers={"X-Forwarded-For": "198.51.100.9"})
        assert spoofed.status_code == 429
        # Another client, named by the gateway (a trusted proxy, here on loopback), is not held back.
        transport = httpx.ASGITransport(app=harness.app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://evaluation.test") as gateway:
            other = await gateway.get("/e/" + "C" * 43, headers={"X-Forwarded-For": "198.51.100.9"})
        assert other.status_code == 404


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
API_CLIENT = {"Accept": "application/json"}


async def test_a_link_cut_short_shows_the_resident_a_chinese_page(harness):
    for path in ("/e/", "/e"):
        response = await harness.client.get(path, headers=BROWSER)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "链接不完整" in response.text and "重新扫描" in response.text
        assert '<html lang="zh-CN">' in response.text and "<script" not in response.text
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
    # Words a chat app glued on after the token, or a garbled token: the page for an unknown link.
    _, token = await harness.closed_with_token()
    for path in (f"/e/{token}/谢谢", "/e/%E4%BD%A0%E5%A5%BD", "/e/" + "x" * 300):
        response = await harness.client.get(path, headers=BROWSER)
        assert response.status_code == 404, path
        assert "没有找到这个评价链接" in response.text, path
    assert (await harness.client.get(f"/e/{token}", headers=BROWSER)).status_code == 200


async def test_an_api_client_still_gets_problem_json_for_a_missing_link(harness):
    for path in ("/e/", "/e/short", "/e/" + "B" * 43, "/e/abc/def"):
        response = await harness.client.get(path, headers=API_CLIENT)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json"), path
        assert response.json()["code"] == "invitation_not_found"
