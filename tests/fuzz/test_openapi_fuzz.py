"""Schemathesis against the gateway's merged /openapi.json: every public operation, fuzzed with valid and
invalid input, must never answer 5xx and must answer only what its OpenAPI document declares (status
codes, media types, body schemas).

One embedded system serves every generated case (a copy of the test process's seeded template); Schemathesis
runs the gateway's lifespan itself, in its own event-loop thread, so the services' engines and bus live on that
loop.
Generation is deterministic (fixed seed, derandomized) so CI failures reproduce locally. Half the
generated path ids are ids of the seeded demo data, so cases get past the 404 into the handlers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import get_client, shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import DEMO_STATION_ID, bearer, staff_headers

# Not measured by `make test`'s coverage: the figure counts code that tests asserting behaviour run, and under
# the tracer these ~20,000 requests took 1.6x as long (the station-scoped pass: 104 s measured, 65 s not).
pytestmark = pytest.mark.no_cover
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# A deeper run than CI's, e.g. before a release: FUZZ_EXAMPLES=200 FUZZ_SEED=7 pytest tests/fuzz
SEED = int(os.environ.get("FUZZ_SEED", 20_260_408))


def examples(default: int) -> int:
    """Fuzzed cases per operation and caller, on top of the schema's examples and boundary cases."""
    return int(os.environ.get("FUZZ_EXAMPLES", default))


DISTRICT_ADMIN = bearer("district_admin", subject="fuzz-district-admin")
SOCIAL_WORKER = staff_headers("social_worker", DEMO_STATION_ID, subject="fuzz-social-worker")

# Path parameter -> (list to read existing ids from, the id's key in each listed item).
KNOWN_IDS: dict[str, tuple[str, str]] = {
    "subdistrict_id": ("/api/v1/subdistricts", "id"),
    "community_id": ("/api/v1/communities", "id"),
    "station_id": ("/api/v1/stations", "id"),
    "department_id": ("/api/v1/departments", "id"),
    "staff_id": ("/api/v1/staff", "id"),
    "item_id": ("/api/v1/service-items", "id"),
    "resource_id": ("/api/v1/resources", "id"),
    "demand_id": ("/api/v1/demands", "id"),
    "request_id": ("/api/v1/resource-requests", "id"),
    "project_id": ("/api/v1/projects", "id"),
    "meeting_id": ("/api/v1/meetings", "id"),
    "case_id": ("/api/v1/onsite-offices", "id"),
    "ticket_id": ("/api/v1/tickets", "id"),
    "rating_id": ("/api/v1/ratings", "id"),
    "appeal_id": ("/api/v1/ratings/appeals", "id"),
    "invitation_id": ("/api/v1/evaluations/invitations", "id"),
    "key_id": ("/api/v1/api-keys", "id"),
    "service_id": ("/hsds/services", "id"),
    "organization_id": ("/hsds/organizations", "id"),
    "sal_id": ("/hsds/service_at_locations", "id"),
    "service_code": ("/open311/v2/services.json", "service_code"),
}
IDS_PER_PARAMETER = 3


def _listed(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else None


def known_values(client: Any) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {"fmt": ["json", "xml"]}
    for parameter, (path, key) in KNOWN_IDS.items():
        response = client.get(path, headers=DISTRICT_ADMIN)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:300]}"
        body = response.json()
        items = body if isinstance(body, list) else body.get("items", body.get("contents", []))
        found = [str(_listed(item, key)) for item in items if _listed(item, key) is not None]
        if found:
            values[parameter] = found[:IDS_PER_PARAMETER]
    return values


def _config(values: dict[str, list[str]], *, boundaries: bool) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"deterministic": True, "database": "none"},
            "dictionaries": {name: {"values": found} for name, found in values.items()},
            "parameters": {f"path.{name}": {"dictionary": name, "probability": 0.5} for name in values},
            # Schemathesis' coverage phase: every parameter's boundaries and each kind of invalid value,
            # some 45 requests per operation whatever max_examples says.
            "phases": {"coverage": {"enabled": boundaries}},
        }
    )


@pytest.fixture(scope="module")
def fuzzed_system(
    tmp_path_factory: pytest.TempPathFactory, embedded_template: Path
) -> Iterator[tuple[Any, dict[str, list[str]]]]:
    """The embedded system both passes call, and the ids its seed made (for the generated path ids)."""
    from gateway.settings import GatewaySettings
    from tests.templates import build_embedded

    # Thousands of requests from one caller: the rate limits have tests of their own.
    unlimited = GatewaySettings(rate_limit_per_token_per_minute=0, rate_limit_per_address_per_minute=0)
    system = build_embedded(
        tmp_path_factory.mktemp("fuzz"),
        embedded_template,  # migrated and seeded once per test process
        gateway_settings=unlimited,
        service_overrides={"consumer_retry_delay_ms": 50},
    )
    try:
        # A valid ASGI app; schemathesis's ASGI alias spells the scope and messages as `dict`, not `MutableMapping`.
        gateway: Any = system.gateway
        with get_client(gateway) as client:  # starts the gateway's lifespan
            values = known_values(client)
        yield gateway, values
    finally:
        shutdown_lifespans()


def _schema(
    fuzzed_system: tuple[Any, dict[str, list[str]]], request: pytest.FixtureRequest, *, boundaries: bool
) -> Any:
    # Schemathesis' lazy loader still reads `Item._nodeid`, which pytest 9 dropped; give it the node id.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    gateway, values = fuzzed_system
    return schemathesis.openapi.from_asgi("/openapi.json", gateway, config=_config(values, boundaries=boundaries))


@pytest.fixture
def gateway_schema(fuzzed_system: tuple[Any, dict[str, list[str]]], request: pytest.FixtureRequest) -> Any:
    """Every phase: the schema's examples, the coverage phase's boundary and invalid values, then fuzzing."""
    return _schema(fuzzed_system, request, boundaries=True)


@pytest.fixture
def scoped_schema(fuzzed_system: tuple[Any, dict[str, list[str]]], request: pytest.FixtureRequest) -> Any:
    """The station-scoped pass: the schema's examples and fuzzing. The coverage phase's cases (each parameter's
    boundaries, each kind of invalid value) test input handling, which the district administrator's pass walks
    in full; here they were two thirds of the pass's ~11,400 requests."""
    return _schema(fuzzed_system, request, boundaries=False)


schema = schemathesis.pytest.from_fixture("gateway_schema")
scoped = schemathesis.pytest.from_fixture("scoped_schema")


# An event stream (the worker's feed) never ends on its own: the client cuts it at its read timeout and
# the checks look at what arrived. Schemathesis' default (10 s) made each such case cost 10 s, most of the
# fuzz's time; its answer (status, headers, the events already queued) is there well within a second.
STREAM_READ_SECONDS = 1.0
READ_SECONDS = 10.0  # everything else: Schemathesis' default


def _timeout(case: schemathesis.Case) -> float:
    declared = case.operation.definition.raw.get("responses", {})
    streams = any("text/event-stream" in (answer or {}).get("content", {}) for answer in declared.values())
    return STREAM_READ_SECONDS if streams else READ_SECONDS


@schema.parametrize()
@hypothesis.settings(max_examples=examples(15), deadline=None, derandomize=True, database=None)
def test_operations_as_district_admin(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=DISTRICT_ADMIN, checks=CHECKS, timeout=_timeout(case))


@scoped.parametrize()
@hypothesis.settings(max_examples=examples(5), deadline=None, derandomize=True, database=None)
def test_operations_as_station_social_worker(case: schemathesis.Case) -> None:
    # Station scope: most reads and writes elsewhere must be refused with a documented 403/404.
    case.call_and_validate(headers=SOCIAL_WORKER, checks=CHECKS, timeout=_timeout(case))
