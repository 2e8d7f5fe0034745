"""The district overview (`GET /overview`, issue 18): the figures on the page are the system's own numbers,
each admin sees their part of the district, other roles are refused, and the page fits a phone in a real
headless Chromium with no network and no script.

The expected figures come from the existing JSON APIs (the ticket counts grouped by station and
subdistrict, the evaluation reports), so the page is checked against another code path than its own.
`OVERVIEW_SCREENSHOT=docs/overview.png` makes the browser test write the README's screenshot there.
"""

from __future__ import annotations

import html
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.ids import utcnow
from tests.conftest import DEMO_STATION_ID, DEMO_SUBDISTRICT_ID, bearer
from tests.evaluation.test_browser import PHONE, _browser_or_skip
from tests.platform.serving import serving

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
CIRCLE = re.compile(r'<circle cx="[^"]+" cy="[^"]+" r="[^"]+" fill="([^"]+)"[^>]*><title>([^<]*)</title></circle>')
ROW = re.compile(r"<tr><td class=\"n\">(\d+)</td><td>([^<]*)</td>((?:<td class=\"n\">[^<]*</td>)+)</tr>")


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post("/auth/token", data={"username": username, "password": f"demo-{username}"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def circles(page: str) -> dict[str, tuple[str, str]]:
    """Station name -> (colour, the circle's title)."""
    found = {}
    for colour, title in CIRCLE.findall(page):
        title = html.unescape(title)
        found[title.split("（", 1)[0]] = (colour, title)
    return found


def rows(page: str) -> dict[str, list[str]]:
    """Subdistrict name -> [stations, open, overdue, satisfaction, ratings]."""
    return {
        html.unescape(name): re.findall(r'<td class="n">([^<]*)</td>', cells) for _, name, cells in ROW.findall(page)
    }


def score(summary: dict[str, Any]) -> str:
    if summary["mean_attitude"] is None:
        return "—"
    return f"{(summary['mean_attitude'] + summary['mean_ability']) / 2:.2f}"


async def expected(client: httpx.AsyncClient, admin: dict[str, str], level: str) -> dict[str, dict[str, Any]]:
    """Per station or subdistrict id: open and overdue (ticket counts), satisfaction (evaluation report)."""
    counts = await client.get("/api/v1/tickets/counts", params={"group_by": level}, headers=admin)
    assert counts.status_code == 200, counts.text
    report = await client.get(f"/api/v1/evaluations/reports/{level}s", headers=admin)
    assert report.status_code == 200, report.text
    figures: dict[str, dict[str, Any]] = {
        group["group_id"]: {"open": group["open"], "overdue": group["overdue"]} for group in counts.json()["groups"]
    }
    for item in report.json()["items"]:
        figures.setdefault(item["id"], {"open": 0, "overdue": 0})
        figures[item["id"]].update(name=item["name"], score=score(item["summary"]), ratings=item["summary"]["count"])
    return figures


async def raise_ticket(client: httpx.AsyncClient, station_id: str) -> None:
    resident = await login(client, "resident")
    created = await client.post(
        "/api/v1/tickets",
        headers=resident,
        json={
            "station_id": station_id,
            "channel": "app",
            "service_category": "daily_life",
            "description": "楼道灯坏了",
        },
    )
    assert created.status_code == 201, created.text


async def test_the_page_shows_the_systems_figures_for_each_station_and_subdistrict(client):
    admin = await login(client, "district_admin")
    await raise_ticket(client, DEMO_STATION_ID)  # a ticket of this moment counts at once
    stations = (await client.get("/api/v1/tickets/overview", headers=admin)).json()["stations"]
    names = {station["id"]: station["name"] for station in stations}
    subdistrict_names = {station["subdistrict_id"]: station["subdistrict_name"] for station in stations}

    page = await client.get("/overview", headers=admin)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script
    text = page.text
    assert '<html lang="zh-CN">' in text and 'name="viewport"' in text and "<script" not in text
    assert "浦东新区" in text and f"{utcnow().astimezone(SHANGHAI).year} 年" in text

    shown = circles(text)
    assert len(shown) == len(stations) == 8  # the report's eight stations, one circle each
    by_station = await expected(client, admin, "station")
    checked = 0
    for station_id, figures in by_station.items():
        if station_id not in names:
            continue
        _, title = shown[names[station_id]]
        assert f"未办结 {figures['open']}，超期 {figures['overdue']}" in title, title
        assert f"满意度 {figures.get('score', '—')}（{figures.get('ratings', 0)} 条评价）" in title, title
        checked += 1
    assert checked >= 2
    assert by_station[DEMO_STATION_ID]["open"] >= 1

    table = rows(text)
    by_subdistrict = await expected(client, admin, "subdistrict")
    assert len(table) == 4
    for subdistrict_id, figures in by_subdistrict.items():
        cells = table[subdistrict_names[subdistrict_id]]
        assert cells[1:] == [str(figures["open"]), str(figures["overdue"]), figures["score"], str(figures["ratings"])]
    # Ranked by backlog: the most open tickets first.
    opens = [int(cells[1]) for cells in table.values()]
    assert opens == sorted(opens, reverse=True)

    # The trend: this month's raised tickets as the ticket list counts them.
    now = utcnow().astimezone(SHANGHAI)
    first = datetime(now.year, now.month, 1, tzinfo=SHANGHAI)
    following = (first + timedelta(days=32)).replace(day=1)
    raised = await client.get(
        "/api/v1/tickets/counts",
        params={"created_from": first.isoformat(), "created_to": following.isoformat()},
        headers=admin,
    )
    assert f"<title>{now.month}月新增 {raised.json()['total']} 件</title>" in text


async def test_colouring_by_satisfaction_and_the_legend(client):
    admin = await login(client, "district_admin")
    by_backlog = circles((await client.get("/overview", headers=admin)).text)
    page = (await client.get("/overview", params={"colour": "satisfaction"}, headers=admin)).text
    by_satisfaction = circles(page)
    assert by_backlog.keys() == by_satisfaction.keys()
    assert "4.5 及以上" in page and "评价少于 5 条" in page
    # Every station is coloured by its band: a mean of 4.5 or more green, no mean grey.
    for colour, title in by_satisfaction.values():
        mean = re.search(r"满意度 ([\d.]+|—)", title)
        assert mean is not None
        value = mean.group(1)
        expected_colour = "#bdbdbd" if value == "—" else None
        if value != "—":
            number = float(value)
            expected_colour = (
                "#2e7d32"
                if number >= 4.5
                else "#9ccc65"
                if number >= 4.0
                else "#fb8c00"
                if number >= 3.5
                else "#c62828"
            )
        assert colour == expected_colour, title
    refused = await client.get("/overview", params={"colour": "red"}, headers=admin)
    assert refused.status_code == 422


async def test_each_admin_sees_their_part_and_other_roles_are_refused(client):
    admin = await login(client, "district_admin")
    local = await login(client, "subdistrict_admin")
    everything = (await client.get("/api/v1/tickets/overview", headers=admin)).json()["stations"]
    own = (await client.get("/api/v1/tickets/overview", headers=local)).json()
    assert own["subdistrict_id"] == DEMO_SUBDISTRICT_ID
    theirs = {station["name"] for station in everything if station["subdistrict_id"] == DEMO_SUBDISTRICT_ID}
    assert {station["name"] for station in own["stations"]} == theirs and 0 < len(theirs) < len(everything)

    page = await client.get("/overview", headers=local)
    assert page.status_code == 200, page.text
    assert set(circles(page.text)) == theirs
    assert list(rows(page.text)) == [everything[0]["subdistrict_name"]] or len(rows(page.text)) == 1
    assert "浦东新区" not in page.text

    worker = await login(client, "social_worker")
    for headers in (worker, await login(client, "department"), await login(client, "resident")):
        for path in ("/overview", "/api/v1/tickets/overview"):
            refused = await client.get(path, headers=headers)
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["code"] == "role_required"
    scopeless = await client.get("/overview", headers=bearer("subdistrict_admin"))
    assert scopeless.status_code == 403 and scopeless.json()["code"] == "out_of_scope"
    for path in ("/overview", "/api/v1/tickets/overview"):
        anonymous = await client.get(path)
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"].startswith("application/problem+json")


async def test_no_ticket_service_means_503_not_a_page_without_backlog(client, embedded):
    embedded.services["evaluation"].state.service_transport = httpx.MockTransport(lambda request: httpx.Response(502))
    page = await client.get("/overview", headers=await login(client, "district_admin"))
    assert page.status_code == 503 and page.json()["code"] == "service_unavailable"


@pytest.fixture
def system_url(tmp_path: Path, embedded_template: Path):
    from gateway.settings import GatewaySettings
    from tests.templates import build_embedded

    settings = GatewaySettings(rate_limit_per_address_per_minute=0, rate_limit_per_token_per_minute=0)
    system = build_embedded(tmp_path / "system", embedded_template, gateway_settings=settings)
    with serving(system.gateway, settings) as (host, port):
        yield f"http://{host}:{port}"


def test_the_page_on_a_phone_in_chromium(system_url: str, tmp_path: Path) -> None:
    chromium, chromedriver = _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    token = httpx.post(
        f"{system_url}/auth/token", data={"username": "district_admin", "password": "demo-district_admin"}
    ).json()["access_token"]
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", OFFLINE):
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(30)
    try:
        # The page takes the bearer token as the API does; the browser sends it on every request.
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Bearer {token}"}})
        driver.get(f"{system_url}/overview")
        assert driver.title.endswith("服务站概览"), driver.title
        station_count = int(driver.find_element(By.ID, "station-count").text)
        map_circles = driver.find_elements(By.CSS_SELECTOR, "#map svg circle")
        assert station_count == 8 and len(map_circles) == station_count
        assert len(driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")) == 4
        assert driver.find_elements(By.CSS_SELECTOR, "#trend svg rect")
        viewport, content, scripts = driver.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth, document.scripts.length]"
        )
        assert viewport <= 420 and content <= viewport, (viewport, content)
        assert scripts == 0
        loaded = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert all(url.startswith(system_url) for url in loaded), loaded
        driver.save_screenshot(str(tmp_path / "overview.png"))
        target = os.environ.get("OVERVIEW_SCREENSHOT")
        if target:
            Path(target).write_bytes((tmp_path / "overview.png").read_bytes())
    finally:
        driver.quit()
