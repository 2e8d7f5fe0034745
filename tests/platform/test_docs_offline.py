"""/docs in a real browser with no network: Swagger UI's assets come from the gateway itself, so the
operations show on a machine that cannot reach any CDN (a district office behind its firewall).

Debian's headless Chromium, driven by Selenium, against `make run`'s system under a real uvicorn server on
a free local port. Every host name but 127.0.0.1 resolves to nothing for the browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.settings import GatewaySettings
from tests.evaluation.test_browser import _browser_or_skip
from tests.platform.serving import serving

# No name resolves but the local server's address: a CDN's script would never arrive.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@pytest.fixture(scope="module")
def system_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from gateway.embedded import build

    settings = GatewaySettings(rate_limit_per_address_per_minute=0, rate_limit_per_token_per_minute=0)
    system = build(Path(tmp_path_factory.mktemp("docs")), gateway_settings=settings, seed=False)
    with serving(system.gateway, settings) as (host, port):
        yield f"http://{host}:{port}"


def test_docs_show_the_operations_without_any_network(system_url: str, tmp_path: Path) -> None:
    chromium, chromedriver = _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", OFFLINE):
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(30)
    try:
        driver.get(f"{system_url}/docs")
        # The first operations of the document, as Swagger UI draws them: method, path and summary. (Swagger
        # UI draws a document of this size, 150-odd paths in OpenAPI 3.1, section by section and slowly on a
        # busy machine, so the test waits for the first section only.)
        operation = WebDriverWait(driver, 60).until(
            expected_conditions.visibility_of_element_located((By.ID, "operations-identity-auth_token"))
        )
        assert "POST" in operation.text
        assert "/auth/token" in operation.text
        assert "Get a token" in operation.text
        loaded = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert loaded and all(url.startswith(system_url) for url in loaded), loaded
    finally:
        driver.quit()


def test_docs_page_names_only_the_gateways_own_addresses(system_url: str) -> None:
    import re

    import httpx

    page = httpx.get(f"{system_url}/docs").text
    addresses = re.findall(r"""(?:src|href)=["']([^"']+)""", page) + re.findall(r"""url: ?['"]([^'"]+)""", page)
    assert addresses, page
    assert all(address.startswith("/") and not address.startswith("//") for address in addresses), addresses
    for address in addresses:
        assert httpx.get(f"{system_url}{address}").status_code == 200, address
