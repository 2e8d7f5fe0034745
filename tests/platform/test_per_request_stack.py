"""The per-request stack made cheaper without changing what it does: remembered routes, pipelined answers
in order through the real server, request ids made without `uuid.UUID`."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI

from shared.middleware import new_request_id
from shared.route_memo import RouteMemo, remember_routes
from shared.settings import CommonSettings
from tests.platform.serving import serving


def _app() -> tuple[FastAPI, RouteMemo]:
    first = APIRouter(prefix="/api/v1")
    second = APIRouter(prefix="/api/v1")

    @first.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"thing": thing_id}

    @second.get("/categories")
    async def categories() -> dict[str, str]:
        return {"answered_by": "categories"}

    @second.post("/categories")
    async def add_category() -> dict[str, str]:
        return {"answered_by": "add_category"}

    app = FastAPI()
    app.include_router(first)
    app.include_router(second)
    remember_routes(app)
    memo = app.router.middleware_stack
    assert isinstance(memo, RouteMemo)
    return app, memo


async def _get(app: FastAPI, method: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.request(method, path)


async def test_a_path_answered_once_is_routed_without_the_walk():
    app, memo = _app()
    assert (await _get(app, "GET", "/api/v1/categories")).json() == {"answered_by": "categories"}
    assert ("GET", "/api/v1/categories") in memo.known

    async def no_walk(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("walked")

    memo.walk = no_walk
    answer = await _get(app, "GET", "/api/v1/categories")
    assert answer.status_code == 200 and answer.json() == {"answered_by": "categories"}


async def test_the_memo_keeps_method_and_parameters_as_the_walk_decides_them():
    app, memo = _app()
    await _get(app, "GET", "/api/v1/categories")
    assert (await _get(app, "POST", "/api/v1/categories")).json() == {"answered_by": "add_category"}
    assert (await _get(app, "PUT", "/api/v1/categories")).status_code == 405
    assert (await _get(app, "GET", "/api/v1/things/7")).json() == {"thing": "7"}
    assert (await _get(app, "GET", "/api/v1/nothing")).status_code == 404
    # Only parameterless paths that a route answered: never one per id, never a 404.
    assert set(memo.known) == {("GET", "/api/v1/categories"), ("POST", "/api/v1/categories")}


async def test_changed_routes_are_walked_again():
    app, memo = _app()
    await _get(app, "GET", "/api/v1/categories")
    earlier = APIRouter()

    @earlier.get("/api/v1/categories")
    async def replacement() -> dict[str, str]:
        return {"answered_by": "replacement"}

    app.include_router(earlier)
    app.router.routes.insert(0, app.router.routes.pop())  # now first: the walk would pick it
    assert (await _get(app, "GET", "/api/v1/categories")).json() == {"answered_by": "replacement"}


def test_pipelined_answers_come_whole_and_in_order_through_the_real_server():
    app = FastAPI()

    @app.get("/small/{n}")
    async def small(n: int) -> dict[str, int]:
        return {"n": n}

    with serving(app, CommonSettings()) as address, socket.create_connection(address) as connection:
        connection.sendall(b"GET /small/1 HTTP/1.1\r\nHost: test\r\n\r\nGET /small/2 HTTP/1.1\r\nHost: test\r\n\r\n")
        connection.settimeout(5)
        received = b""
        while received.count(b"HTTP/1.1 200") < 2 or not received.endswith(b"}"):
            chunk = connection.recv(65536)
            assert chunk, "closed early"
            received += chunk
    assert received.index(b'{"n":1}') < received.index(b'{"n":2}')


def test_request_ids_are_random_uuid4_text():
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    for text in list(ids)[:50]:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and str(parsed) == text
