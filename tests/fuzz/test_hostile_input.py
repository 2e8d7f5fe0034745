"""Inputs the fuzzer found (or that only fail on PostgreSQL) answered as 4xx problems naming the field.

NUL characters pass SQLite but make PostgreSQL refuse the insert, so the fuzz run on the embedded system
cannot see them; these requests pin the kernel's refusal. The CSV cases are bodies that raised 500s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import DEMO_STATION_ID, bearer, running, staff_headers

CSV = {"content-type": "text/csv"}


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.embedded import build
    from gateway.settings import GatewaySettings

    unlimited = GatewaySettings(rate_limit_per_token_per_minute=0, rate_limit_per_address_per_minute=0)
    system = build(Path(tmp_path_factory.mktemp("hostile")), gateway_settings=unlimited)
    async with running(system.gateway):
        transport = httpx.ASGITransport(app=system.gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield http


def problem(response: httpx.Response, status: int, field: str, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert (body["field"], body["code"]) == (field, code), body
    return body


async def test_a_nul_character_in_a_json_field_is_refused_naming_the_field(api: httpx.AsyncClient) -> None:
    ticket = {
        "station_id": DEMO_STATION_ID,
        "channel": "walk_in",
        "service_category": "daily_life",
        "description": "楼道灯坏了",
        "location": {"address": "福山路\x00450号"},
    }
    problem(
        await api.post("/api/v1/tickets", headers=staff_headers(), json=ticket),
        422,
        "location.address",
        "nul_character",
    )
    ticket["location"] = {"address": "福山路450号"}
    ticket["description"] = "\x00"
    problem(
        await api.post("/api/v1/tickets", headers=staff_headers(), json=ticket), 422, "description", "nul_character"
    )


async def test_a_nul_character_in_the_query_or_a_form_is_refused(api: httpx.AsyncClient) -> None:
    problem(await api.get("/api/v1/stations", params={"q": "市新\x00"}), 422, "q", "nul_character")
    form = {"api_key": "x", "service_code": "daily_life", "description": "a\x00b"}
    problem(await api.post("/open311/v2/requests.json", data=form), 422, "description", "nul_character")


async def test_dates_beyond_what_the_services_can_compute_with_are_refused(api: httpx.AsyncClient) -> None:
    # Each of these was a 500: a day or a time-zone offset added to them overflows Python's datetime.
    problem(
        await api.get("/api/v1/stations", params={"open_at": "9999-12-31T23:59:59"}),
        422,
        "open_at",
        "date_out_of_range",
    )
    at_the_start = {"created_from": "0001-01-01T00:00:00+14:00"}
    problem(
        await api.get("/api/v1/tickets", headers=staff_headers(), params=at_the_start),
        422,
        "created_from",
        "date_out_of_range",
    )
    shift = {"person_id": "p1", "start_at": "9999-12-31T20:00:00+08:00", "end_at": "9999-12-31T22:00:00+08:00"}
    response = await api.post(
        f"/api/v1/duty-rota/{DEMO_STATION_ID}/shifts", headers=bearer("district_admin"), json=shift
    )
    problem(response, 422, "start_at", "date_out_of_range")


async def test_opening_hours_that_never_open_are_refused(api: httpx.AsyncClient) -> None:
    # Tickets at such a station had no computable deadline: every ticket action answered 500.
    hours = {
        "weekly_periods": [],
        "exceptions": [{"day": "2026-12-01", "periods": [{"opens": "09:00", "closes": "12:00"}]}],
    }
    response = await api.put(
        f"/api/v1/stations/{DEMO_STATION_ID}/opening-hours", headers=bearer("district_admin"), json=hours
    )
    problem(response, 422, "opening_hours.weekly_periods", "never_opens")


async def test_a_resource_cannot_be_patched_to_null_district_wide(api: httpx.AsyncClient) -> None:
    admin = bearer("district_admin")
    resource = (await api.get("/api/v1/resources", headers=admin)).json()["items"][0]
    response = await api.patch(f"/api/v1/resources/{resource['id']}", headers=admin, json={"district_wide": None})
    problem(response, 422, "district_wide", "required")  # was a NOT NULL violation: 500


async def test_a_csv_import_holding_a_nul_is_refused_whatever_its_content_type(api: httpx.AsyncClient) -> None:
    admin = bearer("district_admin")
    text = "name,subdistrict\n站\x00点,陆家嘴街道\n".encode()
    problem(
        await api.post("/api/v1/stations.csv", headers={**admin, **CSV}, content=text), 422, "body", "nul_character"
    )
    octets = {**admin, "content-type": "application/octet-stream"}
    problem(await api.post("/api/v1/stations.csv", headers=octets, content=text), 422, "body", "nul_character")


async def test_coverage_reads_a_csv_with_old_mac_line_endings(api: httpx.AsyncClient) -> None:
    text = "address,latitude,longitude\r福山路,31.2298,121.5201\r长江口,31.39,121.97\r"
    response = await api.post("/api/v1/coverage.csv", headers={**staff_headers(), **CSV}, content=text)
    assert response.status_code == 200, response.text
    assert response.json()["point_count"] == 2


async def test_coverage_refuses_a_malformed_csv_instead_of_failing(api: httpx.AsyncClient) -> None:
    oversized_field = "latitude,longitude\n" + "1" * 200_000 + ",121.5\n"  # past the csv module's field limit
    response = await api.post("/api/v1/coverage.csv", headers={**staff_headers(), **CSV}, content=oversized_field)
    problem(response, 422, "body", "malformed_csv")
    lone_carriage_return = "\r0"  # what the fuzzer sent: a 500 before
    response = await api.post("/api/v1/coverage.csv", headers={**staff_headers(), **CSV}, content=lone_carriage_return)
    assert response.status_code == 422, response.text


async def test_every_operation_documents_its_errors_as_problem_json(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    station = document["paths"]["/api/v1/stations/{station_id}"]["get"]["responses"]
    for status in ("401", "403", "404", "422", "429", "502", "504"):  # the kernel's, then the gateway's
        assert list(station[status]["content"]) == ["application/problem+json"], status
    assert "413" in document["paths"]["/api/v1/tickets"]["post"]["responses"]
    open311 = document["paths"]["/open311/v2/requests.{fmt}"]["get"]["responses"]
    assert set(open311["200"]["content"]) == {"application/json", "text/xml"}
    assert set(open311["404"]["content"]) == {"application/json", "text/xml"}  # the spec's error shape
