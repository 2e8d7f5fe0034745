"""The resident's page in a real browser: Debian's headless Chromium, driven by Selenium (chromedriver),
JavaScript switched off, a phone-sized screen, against a real uvicorn server on a free local port.

Needs the Debian packages `chromium` and `chromium-driver`. Skipped only when they are missing and
REQUIRE_SERVICES is unset; CI sets REQUIRE_SERVICES=1, so there a missing browser fails the test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from evaluation_service.app import create_app
from evaluation_service.ratings.models import Rating
from shared.database import Database
from shared.ids import utcnow
from tests.evaluation.conftest import evaluation_settings, harness_for, ticket_closed

PHONE = {"width": 390, "height": 844, "pixelRatio": 3}
XSS_NAME = "<script>document.title='pwned'</script>服务站"


def _browser_or_skip() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    problem = None
    if not chromium or not driver:
        problem = "chromium and chromium-driver (Debian packages) are not installed"
    else:
        try:
            import selenium  # noqa: F401
        except ImportError:
            problem = "the selenium package is not installed"
    if problem:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"{problem} and REQUIRE_SERVICES=1")
        pytest.skip(problem)
    return chromium, driver  # type: ignore[return-value]


@contextmanager
def serving(database_url: str) -> Iterator[str]:
    """The evaluation service under uvicorn, in a thread, on a port the OS picked."""
    import uvicorn

    app = create_app(evaluation_settings(database_url))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@contextmanager
def browser(chromium: str, chromedriver: str, profile: Path, *, phone: bool) -> Iterator[Any]:
    """``phone``: Chromium's phone emulation (viewport meta, touch, device pixels), to check the layout.
    Otherwise a phone-wide window with JavaScript switched off, to use the form as a resident would.
    (chromedriver's emulated taps need JavaScript, so the two are separate sessions.)"""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={profile}")
    if phone:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    else:
        options.add_argument(f"--window-size={PHONE['width']},{PHONE['height']}")
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


async def _prepare(database_url: str) -> dict[str, str]:
    """Closed tickets and fresh tokens, made through the service's own API before the server starts."""
    async with harness_for(database_url) as harness:
        await harness.publish(
            "station.created",
            {
                "id": ticket_closed()["station_id"],
                "name": XSS_NAME,
                "subdistrict_id": ticket_closed()["subdistrict_id"],
                "community_name": "市新居委会",
            },
        )
        rated, token = await harness.closed_with_token()
        blank, blank_token = await harness.closed_with_token()
        _, expired_token = await harness.closed_with_token()
        # The expired invitation: move its expiry into the past, as time passing would.
        from evaluation_service.invitations.models import Invitation
        from evaluation_service.invitations.tokens import token_hash

        async with harness.database.transaction() as session:
            await session.execute(
                sa.update(Invitation)
                .where(Invitation.token_hash == token_hash(expired_token))
                .values(expires_at=utcnow().replace(year=2020))
            )
        return {
            "token": token,
            "ticket_id": rated["ticket_id"],
            "blank_token": blank_token,
            "blank_ticket_id": blank["ticket_id"],
            "expired_token": expired_token,
        }


async def _rating(database_url: str, ticket_id: str) -> Rating | None:
    database = Database(database_url)
    try:
        async with database.sessionmaker() as session:
            return await session.scalar(sa.select(Rating).where(Rating.ticket_id == uuid.UUID(ticket_id)))
    finally:
        await database.dispose()


def _appears(driver, element_id: str, timeout: float = 30.0):
    """The element once the page that has it loaded: a click on submit returns before the next page is in,
    and a loaded machine takes its time."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(browser):
        return next(iter(browser.find_elements(By.ID, element_id)), False)

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(found)
    except Exception as error:
        body = driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(f"#{element_id} not shown; page {driver.title!r}: {body[:300]!r}") from error


def test_a_resident_rates_on_a_phone_in_chromium_without_javascript(tmp_path: Path) -> None:
    chromium, chromedriver = _browser_or_skip()
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}"
    made = asyncio.run(_prepare(database_url))
    with serving(database_url) as base:
        with browser(chromium, chromedriver, tmp_path / "phone", phone=True) as driver:
            driver.get(f"{base}/e/{made['token']}?via=qr")
            assert driver.title == "服务评价"
            body = driver.find_element(By.TAG_NAME, "body").text
            assert "服务态度" in body and "服务能力" in body and "政务服务" in body
            assert XSS_NAME in body  # shown as text, never run
            with pytest.raises(NoAlertPresentException):
                driver.switch_to.alert.text  # noqa: B018
            # Fits a phone: nothing wider than the screen, and the score buttons are big enough to tap.
            viewport, content, button = driver.execute_script(
                "return [window.innerWidth, document.documentElement.scrollWidth,"
                " document.querySelector('.choices span').getBoundingClientRect().height]"
            )
            assert viewport <= 420 and content <= viewport
            assert button >= 44
            driver.save_screenshot(str(tmp_path / "form.png"))
        with browser(chromium, chromedriver, tmp_path / "nojs", phone=False) as driver:
            driver.get(f"{base}/e/{made['token']}?via=qr")
            driver.find_element(By.CSS_SELECTOR, 'input[name="attitude"][value="4"] + span').click()
            driver.find_element(By.CSS_SELECTOR, 'input[name="ability"][value="5"] + span').click()
            driver.find_element(By.ID, "comment").send_keys("<b>办得很快</b>")
            driver.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
            assert _appears(driver, "thanks").is_displayed()
            assert "感谢您的评价" in driver.title

            driver.get(f"{base}/e/{made['token']}")
            assert "已经评价过" in driver.find_element(By.ID, "used").text

            driver.get(f"{base}/e/{made['expired_token']}")
            assert "已经过期" in driver.find_element(By.ID, "expired").text

            # A link cut short when it was copied, or one garbled: clear pages, not an error for machines.
            driver.get(f"{base}/e/")
            assert "链接不完整" in driver.find_element(By.ID, "incomplete").text
            driver.get(f"{base}/e/{made['token'][:20]}")
            assert "没有找到这个评价链接" in driver.find_element(By.ID, "not-found").text

            # Without scores the browser itself holds the form back (required radios, no script needed).
            driver.get(f"{base}/e/{made['blank_token']}")
            driver.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
            assert driver.title == "服务评价"
            assert driver.find_elements(By.ID, "thanks") == []

    rating = asyncio.run(_rating(database_url, made["ticket_id"]))
    assert rating is not None
    assert (rating.attitude, rating.ability, rating.channel, rating.comment) == (4, 5, "qr", "<b>办得很快</b>")
    assert asyncio.run(_rating(database_url, made["blank_ticket_id"])) is None
