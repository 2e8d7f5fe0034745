"""The wall page: a station's three lists, hours and contact, as printable Chinese HTML and as JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.catalog.conftest import DEMO_STATION_ID, OTHER_STATION_ID, problem, station_staff

HOSTILE = '<script>alert("x")</script>'
HOSTILE_ATTR = '"><img src=x onerror=alert(1)>'


async def test_wall_page_shows_the_three_lists_hours_and_contact_in_chinese(api, catalog):
    catalog.app.state.clock = lambda: datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    response = await api.get(f"/wall/stations/{DEMO_STATION_ID}")  # public: no token
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="zh-CN">' in page and "@page" in page  # printable
    for text in (
        "市新居委会家门口服务站",
        "开放时间",
        "服务清单",
        "资源清单",
        "需求清单",
        "联系我们",
        "周一至周五",
        "08:30-11:30, 13:00-20:00",
        "周六",
        "党群服务",
        "法律援助",
        "迎新晚会需要一个戏剧节目",
        "助老志愿服务队上门",
        "陆伟",
        "社工",
        "元旦",
        "冬季便民服务日",
    ):
        assert text in page, text


async def test_wall_json_carries_the_same_content(api):
    data = (await api.get(f"/wall/stations/{DEMO_STATION_ID}.json")).json()
    assert data["station"]["name"] == "市新居委会家门口服务站"
    assert [c["name"] for c in data["service_list"]][0] == "党群服务" and len(data["service_list"]) == 7
    assert {"days": "周日", "hours": "休息"} in data["opening_hours"]["weekly"]
    assert any(d["title"] == "迎新晚会需要一个戏剧节目" and d["status"] == "已满足" for d in data["demand_list"])
    assert all(d["status"] != "已关闭" for d in data["demand_list"])
    assert data["resource_list"] and data["contact"]["phone"]
    same = (await api.get(f"/wall/stations/{DEMO_STATION_ID}", params={"format": "json"})).json()
    assert same == data


async def test_every_user_typed_text_is_escaped(api):
    staff = station_staff()
    item = {
        "station_id": DEMO_STATION_ID,
        "category": "culture",
        "title": HOSTILE,
        "description": HOSTILE_ATTR,
        "schedule_note": HOSTILE,
    }
    assert (await api.post("/api/v1/service-items", headers=staff, json=item)).status_code == 201
    demand = {"station_id": DEMO_STATION_ID, "category": "legal", "title": HOSTILE_ATTR, "description": HOSTILE}
    assert (await api.post("/api/v1/demands", headers=staff, json=demand)).status_code == 201
    from tests.catalog.conftest import district_admin

    await api.patch(f"/api/v1/stations/{DEMO_STATION_ID}", headers=district_admin(), json={"address": HOSTILE})
    page = (await api.get(f"/wall/stations/{DEMO_STATION_ID}")).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page  # &#34; is the quote, as &quot;
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


async def test_wall_of_an_unknown_station_is_a_problem(api):
    problem(await api.get("/wall/stations/00000000-0000-0000-0000-000000000000"), 404)
    problem(await api.get("/wall/stations/not-a-station"), 422)
    assert (await api.get(f"/wall/stations/{OTHER_STATION_ID}")).status_code == 200
