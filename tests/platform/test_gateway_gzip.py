"""gzip at the gateway (issue 13, point 9): JSON answers of 1 KiB and more are compressed for clients that
accept gzip, once, with a Content-Length that is the compressed size; small answers, clients that refuse
it, streamed CSV, problem+json and 304s still come out right. ETags pass through the gateway."""

from __future__ import annotations

import gzip
import json

from gateway.proxy import gzip_accepted
from tests.conftest import DEMO_STATION_ID, bearer

ADMIN = bearer("district_admin")


async def _raw(client, url: str, **headers: str):
    async with client.stream("GET", url, headers={**ADMIN, **headers}) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


async def test_a_large_json_answer_is_gzipped_once_with_its_compressed_length(client):
    response, raw = await _raw(client, "/api/v1/stations", **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) == len(raw)
    assert "accept-encoding" in response.headers["vary"].lower()
    plain = gzip.decompress(raw)  # one layer: the inflated bytes are the JSON itself
    assert len(plain) > 1024
    assert json.loads(plain)["items"]
    assert len(raw) < len(plain)


async def test_no_gzip_unless_the_client_accepts_it(client):
    for accept in ("identity", "gzip;q=0", "br", "*;q=0"):
        response, raw = await _raw(client, "/api/v1/stations", **{"Accept-Encoding": accept})
        assert "content-encoding" not in response.headers, accept
        assert json.loads(raw)["items"]
    response, _ = await _raw(client, "/api/v1/stations", **{"Accept-Encoding": "deflate, *;q=0.5"})
    assert response.headers["content-encoding"] == "gzip"


async def test_a_small_answer_is_sent_as_it_is(client):
    response, raw = await _raw(client, "/livez", **{"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert json.loads(raw) == {"status": "ok"}


async def test_the_streamed_csv_export_still_arrives_whole(client):
    response, raw = await _raw(client, "/api/v1/tickets/export.csv", **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "content-length" not in response.headers
    text = gzip.decompress(raw).decode("utf-8")
    assert text.startswith("\ufeffid,station_id,")


async def test_a_large_problem_is_still_problem_json(client):
    # Ten bad photo links and more: one error each, well over 1 KiB of problem.
    body = {
        "station_id": DEMO_STATION_ID,
        "channel": "by pigeon",
        "media_urls": [f"not a url {number}" for number in range(10)],
        "location": {"latitude": 999, "longitude": 999},
    }
    headers = {**ADMIN, "Accept-Encoding": "gzip"}
    async with client.stream("POST", "/api/v1/tickets", headers=headers, json=body) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["content-encoding"] == "gzip"
    problem = json.loads(gzip.decompress(raw))
    assert problem["code"] == "validation_error" and len(problem["errors"]) >= 10


async def test_etag_and_304_pass_through_the_gateway(client):
    url = f"/api/v1/stations/{DEMO_STATION_ID}"
    first = await client.get(url, headers={**ADMIN, "Accept-Encoding": "gzip"})
    assert first.status_code == 200
    etag = first.headers["etag"]
    again, raw = await _raw(client, url, **{"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    assert raw == b""
    assert "content-encoding" not in again.headers
    assert again.headers["etag"] == etag


def test_accept_encoding_is_read_with_its_weights():
    assert gzip_accepted("gzip")
    assert gzip_accepted("br, GZIP;q=0.8")
    assert gzip_accepted("*")
    assert not gzip_accepted("")
    assert not gzip_accepted("identity")
    assert not gzip_accepted("gzip;q=0")
    assert not gzip_accepted("gzip;q=0.000, *")
    assert not gzip_accepted("gzip;q=oops")
