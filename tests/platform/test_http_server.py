"""The HTTP server's limits, against the real uvicorn server as the processes run it (shared/server.py):
slow and oversized request headers, idle keep-alive connections, and oversized bodies, declared or
chunked, on every route including the resident's page."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.conftest import bearer
from tests.platform.serving import serving

BIG = 1_500_000  # over the 1 MiB default
TOKEN = "A" * 43  # a well-formed invitation token (no such invitation)


def _read_until_closed(connection: socket.socket, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    connection.settimeout(timeout)
    started = time.monotonic()
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except TimeoutError:
        pytest.fail(f"the connection was still open after {timeout} s")
    return received, time.monotonic() - started


@pytest.fixture(scope="module")
def gateway_alone() -> Iterator[tuple[str, int]]:
    settings = GatewaySettings(
        http_header_timeout_seconds=1,
        http_keep_alive_seconds=1,
        http_max_header_bytes=4096,
        rate_limit_per_address_per_minute=0,
        rate_limit_per_token_per_minute=0,
    )
    with serving(create_app(settings, upstreams={}), settings) as address:
        yield address


def test_half_sent_headers_are_closed_within_the_timeout(gateway_alone):
    with socket.create_connection(gateway_alone) as connection:
        connection.sendall(b"GET /livez HTTP/1.1\r\nHost: doorstep\r\nUser-Agent: slow")  # ... and stalls
        answer, elapsed = _read_until_closed(connection, timeout=5)
    assert answer.startswith(b"HTTP/1.1 408") and elapsed < 3


def test_a_connection_that_sends_nothing_is_closed_too(gateway_alone):
    with socket.create_connection(gateway_alone) as connection:
        _, elapsed = _read_until_closed(connection, timeout=5)
    assert elapsed < 3


def test_an_idle_keep_alive_connection_is_closed_after_its_timeout(gateway_alone):
    with socket.create_connection(gateway_alone) as connection:
        connection.sendall(b"GET /livez HTTP/1.1\r\nHost: doorstep\r\n\r\n")
        answer, elapsed = _read_until_closed(connection, timeout=5)
    assert answer.startswith(b"HTTP/1.1 200") and b'{"status":"ok"}' in answer and elapsed < 3


def test_headers_past_the_limit_get_431(gateway_alone):
    with socket.create_connection(gateway_alone) as connection:
        connection.sendall(b"GET /livez HTTP/1.1\r\nHost: doorstep\r\nX-Padding: " + b"x" * 8000)
        answer, _ = _read_until_closed(connection, timeout=5)
    assert answer.startswith(b"HTTP/1.1 431")


# --- bodies -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whole_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`make run`: the gateway and the four services in one uvicorn process."""
    from gateway.embedded import build

    settings = GatewaySettings(rate_limit_per_address_per_minute=0, rate_limit_per_token_per_minute=0)
    system = build(Path(tmp_path_factory.mktemp("system")), gateway_settings=settings, seed=False)
    with serving(system.gateway, settings) as (host, port):
        yield f"http://{host}:{port}"


@pytest.fixture(scope="module")
def evaluation_alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The evaluation service reached directly, as any pod in the cluster could."""
    from evaluation_service.app import create_app as create_evaluation
    from evaluation_service.app import definition
    from shared.service import run_migrations_sync
    from tests.evaluation.conftest import evaluation_settings

    database = tmp_path_factory.mktemp("evaluation") / "evaluation.db"
    settings = evaluation_settings(f"sqlite+aiosqlite:///{database}")
    run_migrations_sync(definition, settings)
    with serving(create_evaluation(settings), settings) as (host, port):
        yield f"http://{host}:{port}"


async def _chunks(size: int) -> AsyncIterator[bytes]:
    sent = 0
    while sent < size:
        yield b"x" * 65536
        sent += 65536


def _body(kind: str) -> dict:
    """httpx sends `content=bytes` with Content-Length and an async generator chunked."""
    return {"content": b"x" * BIG} if kind == "declared" else {"content": _chunks(BIG)}


def _assert_413_problem(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "body_too_large"


@pytest.mark.parametrize("kind", ["declared", "chunked"])
async def test_an_oversized_body_gets_413_on_every_route_and_is_logged_once(whole_system, kind, caplog):
    admin = bearer("district_admin")
    json_body = {**admin, "Content-Type": "application/json", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=whole_system, timeout=30) as client:
        caplog.set_level(logging.INFO)
        _assert_413_problem(await client.post("/api/v1/resources", headers=json_body, **_body(kind)))
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        _assert_413_problem(
            await client.post(f"/e/{TOKEN}", headers={**form, "Accept": "application/json"}, **_body(kind))
        )
        browser = await client.post(f"/e/{TOKEN}", headers={**form, "Accept": "text/html"}, **_body(kind))
        assert browser.status_code == 413 and browser.headers["content-type"].startswith("text/html")
        assert "提交的内容太大" in browser.text
        token = await client.post("/auth/token", headers=form, **_body(kind))
        _assert_413_problem(token)
        # The connection is still good for the next request.
        assert (await client.get("/livez")).status_code == 200
    logged = [record for record in caplog.records if record.getMessage() == "request body too large"]
    assert len(logged) == 4  # one line per refused request, whichever layer saw it
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize("kind", ["declared", "chunked"])
async def test_a_service_reached_directly_refuses_an_oversized_body_too(evaluation_alone, kind):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    async with httpx.AsyncClient(base_url=evaluation_alone, timeout=30) as client:
        page = await client.post(f"/e/{TOKEN}", headers={**form, "Accept": "text/html"}, **_body(kind))
        assert page.status_code == 413 and "提交的内容太大" in page.text
        api = await client.post(
            "/api/v1/ratings", headers={"Content-Type": "application/json", "Accept": "application/json"}, **_body(kind)
        )
        _assert_413_problem(api)
