"""The API as the mobile app's team meets it: clients generated from the merged /openapi.json.

Once per module: the embedded system is built, its /openapi.json fetched, the Python client generated
with openapi-python-client (pinned in constraints.txt) and the TypeScript types with openapi-typescript,
compiled with `tsc --noEmit` (both pinned in tests/contract/package.json; `make test` runs `npm ci` when
node_modules is missing). Every generator must finish without one warning and keep every operation, and
the station desk's flows run through the generated Python client against the embedded system.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from shared.operation_ids import SHAPE
from tests.conftest import DEMO_STATION_ID, running

CONTRACT = Path(__file__).parent
NODE_BIN = CONTRACT / "node_modules" / ".bin"
PACKAGE = "doorstep_client"
METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
RESIDENT_ID = "13b9afaa-1a7c-577f-a4aa-c8e064588efb"  # the demo resident (gateway/identity/demo_users.json)
RESIDENT_COMMUNITY_ID = "aa0659e7-18fe-5c04-ae25-7e195241743a"  # 市新居委会
SOCIAL_WORKER_ID = "b5d02527-191f-5bb1-bcf5-0e6f987bc669"  # 陆伟, social worker at 市新居委会
# What a generator prints when it drops or guesses something.
WARNING = re.compile(r"warn|skipping|unable|could not|not supported|⚠", re.IGNORECASE)


@dataclass
class Generated:
    output: str
    directory: Path


@pytest.fixture(scope="module")
async def system(tmp_path_factory: pytest.TempPathFactory, embedded_template: Path) -> AsyncIterator[Any]:
    from gateway.settings import GatewaySettings
    from tests.templates import build_embedded

    unlimited = GatewaySettings(rate_limit_per_token_per_minute=0, rate_limit_per_address_per_minute=0)
    built = build_embedded(
        tmp_path_factory.mktemp("contract"),
        embedded_template,  # migrated and seeded once per test process
        gateway_settings=unlimited,
        service_overrides={"consumer_retry_delay_ms": 50},
    )
    async with running(built.gateway):
        yield built


@pytest.fixture(scope="module")
async def document(system: Any) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=system.gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        response = await http.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def document_file(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _run(command: list[str], cwd: Path) -> str:
    # The virtualenv's bin first: openapi-python-client formats its output with our pinned ruff.
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    environment.pop("NODE_OPTIONS", None)
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{output}"
    return output


@pytest.fixture(scope="module")
def python_client(document_file: Path) -> Iterator[Generated]:
    directory = document_file.parent / PACKAGE
    generator = Path(sys.executable).parent / "openapi-python-client"
    output = _run(
        [
            str(generator),
            "generate",
            "--path",
            str(document_file),
            "--meta",
            "none",
            "--output-path",
            str(directory),
            "--config",
            str(CONTRACT / "openapi-python-client.yaml"),
        ],
        document_file.parent,
    )
    sys.path.insert(0, str(document_file.parent))
    try:
        yield Generated(output, directory)
    finally:
        sys.path.remove(str(document_file.parent))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def typescript(document_file: Path) -> Generated:
    if not (NODE_BIN / "tsc").exists():
        pytest.fail(f"The npm tools are not installed: `npm ci --prefix {CONTRACT}` (make test runs it).")
    directory = document_file.parent / "typescript"
    shutil.copytree(CONTRACT / "typescript", directory)
    output = _run([str(NODE_BIN / "openapi-typescript"), str(document_file), "-o", "schema.d.ts"], directory)
    output += _run([str(NODE_BIN / "tsc"), "--noEmit", "-p", "tsconfig.json"], directory)
    return Generated(output, directory)


# --- the document ------------------------------------------------------------------------------------


async def test_operation_ids_are_unique_readable_and_free_of_paths(document: dict[str, Any]) -> None:
    operations = _operations(document)
    identifiers = [operation.get("operationId") for _, _, operation in operations]
    assert None not in identifiers
    assert len(set(identifiers)) == len(identifiers), [i for i in identifiers if identifiers.count(i) > 1]
    assert [identifier for identifier in identifiers if identifier is None or not SHAPE.match(identifier)] == []
    for method, path, operation in operations:
        identifier = operation["operationId"]
        assert not re.search(r"(^|_)(api_)?v[0-9]+(_|$)", identifier), (method, path, identifier)
        # FastAPI's default spelled the path's parameters in (`..._tickets__ticket_id__get`, `..._fmt__get`).
        for parameter in re.findall(r"\{(\w+)\}", path):
            if "_" in parameter or parameter == "fmt":
                assert parameter not in identifier, (method, path, identifier)
    by_call = {(method, path): operation["operationId"] for method, path, operation in operations}
    assert by_call[("POST", "/api/v1/tickets")] == "tickets_create"
    assert by_call[("GET", "/api/v1/tickets")] == "tickets_list"
    assert by_call[("GET", "/api/v1/tickets/{ticket_id}")] == "tickets_get"
    assert by_call[("POST", "/api/v1/tickets/{ticket_id}/transitions")] == "tickets_transition"


async def test_every_schema_has_one_name_and_every_enum_one_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert {name: schema.get("title") for name, schema in schemas.items() if schema.get("title") != name} == {}
    # No FastAPI default names (`Body_token_auth_token_post`, `Page_TicketRead_`) and nothing the merge
    # had to rename because two services used one name for different things (`TicketChannel` then
    # stands for the ticket service's `Channel`, clashing with another `Channel`).
    assert [name for name in schemas if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name)] == []
    services = ("Catalog", "Ticket", "Deliberation", "Evaluation")
    renamed = [
        name for name in schemas for service in services if name.startswith(service) and name[len(service) :] in schemas
    ]
    assert renamed == []
    enums: dict[tuple[str, ...], list[str]] = {}
    for name, schema in schemas.items():
        if "enum" in schema:
            enums.setdefault(tuple(sorted(map(str, schema["enum"]))), []).append(name)
    assert {values: names for values, names in enums.items() if len(names) > 1} == {}
    # Written inline (a `Literal`), an enum used twice becomes two types in a generated client (e.g.
    # `StaffCreateRole` and `StaffUpdateRoleType0` for one list of roles): inline only where used once.
    inline: dict[tuple[str, ...], int] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("enum"), list) and node.get("type") == "string":
                values = tuple(sorted(map(str, node["enum"])))
                inline[values] = inline.get(values, 0) + 1
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document["paths"])
    walk([schema for schema in schemas.values() if "enum" not in schema])
    assert {values: count for values, count in inline.items() if count > 1 or values in enums} == {}


async def test_every_request_is_declared(document: dict[str, Any]) -> None:
    paths = document["paths"]
    token = paths["/auth/token"]["post"]["requestBody"]
    assert token["content"]["application/x-www-form-urlencoded"]["schema"] == {
        "$ref": "#/components/schemas/TokenRequest"
    }
    open311 = {parameter["name"] for parameter in paths["/open311/v2/requests.{fmt}"]["get"]["parameters"]}
    spec = {"jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status"}
    assert spec | {"api_key", "page", "page_size", "fmt"} <= open311
    assert "application/x-www-form-urlencoded" in paths["/open311/v2/requests.{fmt}"]["post"]["requestBody"]["content"]
    for upload in ("/api/v1/stations.csv", "/api/v1/staff.csv", "/api/v1/resources.csv", "/api/v1/coverage.csv"):
        body = paths[upload]["post"]["requestBody"]
        assert body["required"] and body["content"]["text/csv"]["schema"]["format"] == "binary", upload
    # Bodies are required where they are declared: generated clients crash on an optional body left out.
    optional = [
        (m, p)
        for m, p, operation in _operations(document)
        if not operation.get("requestBody", {"required": True})["required"]
    ]
    assert optional == []


# --- the generators ----------------------------------------------------------------------------------


def _generated_modules(directory: Path) -> dict[str, str]:
    return {
        path.stem: f"{PACKAGE}.api.{path.parent.name}.{path.stem}"
        for path in (directory / "api").glob("*/*.py")
        if path.stem != "__init__"
    }


async def test_the_python_client_generates_without_warnings_and_keeps_every_operation(
    document: dict[str, Any], python_client: Generated
) -> None:
    assert [line for line in python_client.output.splitlines() if WARNING.search(line)] == []
    modules = _generated_modules(python_client.directory)
    identifiers = {operation["operationId"] for _, _, operation in _operations(document)}
    assert identifiers - set(modules) == set()  # every operation became a function
    for needed in ("tickets_create", "tickets_transition", "stations_import", "coverage_csv", "open311_get_requests"):
        assert needed in modules


async def test_the_typescript_types_generate_and_compile_without_warnings(typescript: Generated) -> None:
    assert [line for line in typescript.output.splitlines() if WARNING.search(line) or "error" in line] == []
    assert "tickets_transition" in (typescript.directory / "schema.d.ts").read_text(encoding="utf-8")


# --- the desk's flows through the generated Python client ---------------------------------------------


def operation(name: str) -> ModuleType:
    """The generated module of one operation, found by its operationId."""
    package = importlib.import_module(PACKAGE)
    assert package.__file__ is not None
    for path in (Path(package.__file__).parent / "api").glob(f"*/{name}.py"):
        return importlib.import_module(f"{PACKAGE}.api.{path.parent.name}.{name}")
    raise AssertionError(f"no generated operation {name}")


def model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def _transport(system: Any) -> dict[str, Any]:
    return {"transport": httpx.ASGITransport(app=system.gateway)}


async def sign_in(system: Any, username: str) -> Any:
    client_module = importlib.import_module(f"{PACKAGE}.client")
    anonymous = client_module.Client(base_url="http://gateway", httpx_args=_transport(system))
    form = model("TokenRequest")(username=username, password=f"demo-{username}")
    answer = await operation("auth_token").asyncio_detailed(client=anonymous, body=form)
    assert answer.status_code == 200, answer.content
    return client_module.AuthenticatedClient(
        base_url="http://gateway", token=answer.parsed.access_token, httpx_args=_transport(system)
    )


async def act(client: Any, ticket_id: Any, action: str) -> Any:
    # Resolving needs the result text (办理结果): the generated client carries the field.
    result = {"result_text": "已开具居住证明"} if action == "resolve" else {}
    body = model("TicketTransitionRequest")(action=model("TicketAction")(action), **result)
    answer = await operation("tickets_transition").asyncio_detailed(ticket_id, client=client, body=body)
    assert answer.status_code == 200, answer.content
    assert answer.parsed.status == {"accept": "accepted", "start": "in_progress"}.get(action, action + "d")
    return answer.parsed


async def test_the_desk_flow_through_the_generated_client(system: Any, python_client: Generated) -> None:
    # The receptionist signs in and learns their station from "who am I", not from the token.
    receptionist = await sign_in(system, "receptionist")
    me = await operation("me_get").asyncio(client=receptionist)
    assert str(me.station.id) == DEMO_STATION_ID and "receptionist" in me.roles

    # A resident at the desk: the ticket is raised in their name, so they rate it from their own account.
    raised = model("TicketCreate")(
        station_id=me.station.id,
        channel=model("TicketChannel")("walk_in"),
        service_item="government_affairs.certificates",
        description="开具居住证明",
        resident_id=RESIDENT_ID,
    )
    created = await operation("tickets_create").asyncio_detailed(client=receptionist, body=raised)
    assert created.status_code == 201, created.content
    ticket = created.parsed
    assert ticket.status == "new" and ticket.owner_id == me.id
    await act(receptionist, ticket.id, "accept")

    # Rule 2: the receptionist designates the station's social worker, who takes it from there.
    designated = await operation("tickets_designate").asyncio_detailed(
        ticket.id, client=receptionist, body=model("DesignateRequest")(designee_id=SOCIAL_WORKER_ID)
    )
    assert designated.status_code == 200, designated.content
    assert designated.parsed.owner_id == SOCIAL_WORKER_ID
    social_worker = await sign_in(system, "social_worker")
    await act(social_worker, ticket.id, "start")
    await act(social_worker, ticket.id, "resolve")
    closed = await act(social_worker, ticket.id, "close")
    assert closed.status == "closed"
    history = await operation("tickets_get_history").asyncio(ticket.id, client=social_worker)
    states = {change.to_value for change in history.items if change.kind == "state"}
    assert {"accepted", "in_progress", "resolved", "closed"} <= states
    assert SOCIAL_WORKER_ID in {change.to_value for change in history.items if change.kind == "owner"}

    # The resident rates from their own account: the invitation comes with the closing (an event).
    resident = await sign_in(system, "resident")
    invitations = None
    for _ in range(100):  # bounded: the ticket.closed event reaches the evaluation service asynchronously
        invitations = await operation("evaluations_list_invitations").asyncio(client=resident, ticket_id=ticket.id)
        if invitations.items:
            break
        await asyncio.sleep(0.05)
    assert invitations is not None and len(invitations.items) == 1
    link = await operation("evaluations_issue_token").asyncio_detailed(invitations.items[0].id, client=resident)
    assert link.status_code == 201, link.content
    rating = model("TokenRatingCreate")(token=link.parsed.token, attitude=5, ability=4, comment="办得很快")
    submitted = await operation("ratings_submit").asyncio_detailed(client=resident, body=rating)
    assert submitted.status_code == 201, submitted.content
    again = await operation("ratings_submit").asyncio_detailed(client=resident, body=rating)
    assert again.status_code == 409 and again.parsed.code == "already_rated"


async def test_registering_for_a_meeting_without_a_body_reaches_the_server(
    system: Any, python_client: Generated
) -> None:
    register = operation("meetings_register")
    # The body is required in the signature (left out, the generated code sent its UNSET marker and crashed);
    # None sends JSON null: a resident registering themself.
    assert inspect.signature(register.asyncio_detailed).parameters["body"].default is inspect.Parameter.empty
    resident = await sign_in(system, "resident")
    meetings = await operation("meetings_list").asyncio(client=resident)
    own = [
        meeting
        for meeting in meetings.items
        if str(meeting.community_id) == RESIDENT_COMMUNITY_ID and meeting.state != "closed"
    ]
    assert own, "the demo world has an open meeting in the resident's community"
    answer = await register.asyncio_detailed(own[0].id, client=resident, body=None)
    assert answer.status_code == 201, answer.content
    assert answer.parsed.resident_id == RESIDENT_ID


async def test_open311_filters_and_csv_uploads_are_callable(system: Any, python_client: Generated) -> None:
    anonymous = importlib.import_module(f"{PACKAGE}.client").Client(
        base_url="http://gateway", httpx_args=_transport(system)
    )
    requests = operation("open311_get_requests")
    for status in ("open", "closed"):
        answer = await requests.asyncio_detailed("json", client=anonymous, status=status, page_size=20)
        assert answer.status_code == 200, answer.content
        listed = json.loads(answer.content)
        assert listed and {request["status"] for request in listed} == {status}

    social_worker = await sign_in(system, "social_worker")
    upload = importlib.import_module(f"{PACKAGE}.types").File(
        # Bytes rather than a file object: httpx's async client cannot stream a synchronous file.
        payload="address,latitude,longitude\n陆家嘴环路,31.2397,121.4998\n".encode(),
        file_name="points.csv",
        mime_type="text/csv",
    )
    answer = await operation("coverage_csv").asyncio_detailed(client=social_worker, body=upload)
    assert answer.status_code == 200, answer.content
    assert answer.parsed.point_count == 1 and answer.parsed.covered_count == 1
