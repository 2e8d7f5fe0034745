"""Open311 GeoReport v2: shapes checked against the standard's schemas, and a real client from PyPI."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
import uvicorn
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.conftest import bearer, eventually
from tests.ticket.conftest import local, raise_ticket

SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "standards" / "open311-georeport-v2"
if not SCHEMAS.exists():  # the repository's own copy of shared/ sits beside the work tree
    SCHEMAS = Path("/work/shared/standards/open311-georeport-v2")


def _validator(name: str) -> Draft4Validator:
    registry = Registry().with_resources(
        (path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT4))
        for path in SCHEMAS.glob("*.json")
    )
    return Draft4Validator(json.loads((SCHEMAS / name).read_text()), registry=registry, format_checker=FormatChecker())


def _text(root: ElementTree.Element, path: str) -> str | None:
    """The text of the element at `path`, which must be there."""
    element = root.find(path)
    assert element is not None, path
    return element.text


def _valid(name: str, document) -> None:
    errors = sorted(_validator(name).iter_errors(document), key=str)
    assert not errors, [error.message for error in errors]


def test_the_schemas_do_catch_a_wrong_shape():
    with pytest.raises(AssertionError):
        _valid("requests.json", [{"service_request_id": 1, "status": "pending"}])
    with pytest.raises(AssertionError):
        _valid("services.json", [{"service_code": "x", "service_name": "x", "metadata": "true", "type": "realtime"}])


def _items_validated_too(document, name: str) -> None:
    # The list schemas put their item $ref inside "items"; check each item against it directly as well.
    for item in document:
        _valid(name, item)


@pytest.fixture
async def api_key(http) -> str:
    response = await http.post(
        "/api/v1/api-keys", headers=bearer("district_admin"), json={"name": "网格化中心", "client_id": "grid-centre"}
    )
    assert response.status_code == 201, response.text
    return response.json()["api_key"]


async def test_services_and_definitions_validate_against_the_schemas(http):
    services = await http.get("/open311/v2/services.json")
    assert services.status_code == 200
    assert services.headers["content-type"].startswith("application/json")
    document = services.json()
    assert isinstance(document, list) and len(document) >= 7 + 27
    _valid("services.json", document)
    _items_validated_too(document, "service.json")
    codes = {service["service_code"] for service in document}
    assert {"legal", "government_affairs.medical_record_book"} <= codes
    definition = (await http.get("/open311/v2/services/government_affairs.medical_record_book.json")).json()
    _valid("service-definition.json", definition)
    assert definition["attributes"][0]["code"] == "station_id"


async def test_xml_answers_carry_the_same_data(http):
    services = await http.get("/open311/v2/services.xml")
    assert services.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(services.content)
    assert root.tag == "services"
    assert len(root.findall("service")) == len((await http.get("/open311/v2/services.json")).json())
    assert _text(root, "service/metadata") == "true"
    definition = ElementTree.fromstring((await http.get("/open311/v2/services/legal.xml")).content)
    assert definition.tag == "service_definition"
    assert _text(definition, "attributes/attribute/code") == "station_id"
    values = definition.findall("attributes/attribute/values/value")
    assert [_text(value, "key") for value in values] == ["web", "app"]
    discovery = ElementTree.fromstring((await http.get("/open311/v2/discovery.xml")).content)
    assert discovery.find("endpoints/endpoint/formats/format") is not None


async def test_discovery_names_the_endpoint(http):
    discovery = (await http.get("/open311/v2/discovery.json")).json()
    endpoint = discovery["endpoints"][0]
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert {"application/json", "text/xml"} <= set(endpoint["formats"])


async def test_post_with_form_fields_creates_a_ticket_that_reads_back_valid(http, station, api_key, clock):
    form = {
        "api_key": api_key,
        "service_code": "community_management.sanitation",
        "lat": "31.2300",
        "long": "121.5200",
        "address_string": "福山路 市新居委会门口",
        "attribute[station_id]": "",  # empty parameters count as absent
        "first_name": "王",
        "last_name": "阿姨",
        "phone": "13800000000",
        "email": "wang@example.org",
        "description": "垃圾房异味",
        "media_url": "https://example.org/photo.jpg",
    }
    created = await http.post("/open311/v2/requests.json", data=form)
    assert created.status_code == 200, created.text
    answer = created.json()
    assert isinstance(answer, list) and answer[0]["service_request_id"] and answer[0]["token"]
    request_id = answer[0]["service_request_id"]
    one = (await http.get(f"/open311/v2/requests/{request_id}.json")).json()
    _valid("requests.json", one)
    _items_validated_too(one, "request.json")
    item = one[0]
    assert item["status"] == "open" and item["service_code"] == "community_management.sanitation"
    assert item["lat"] == 31.23 and item["long"] == 121.52
    assert item["media_url"] is None  # the public sees no photo: it may show a face or a door
    integration = (await http.get(f"/open311/v2/requests/{request_id}.json", params={"api_key": api_key})).json()
    _valid("requests.json", integration)
    assert integration[0]["media_url"] == "https://example.org/photo.jpg"
    assert datetime.fromisoformat(item["requested_datetime"]).utcoffset() is not None
    # The nearest station took it; its staff (not the owner) see the contact masked and reveal it on purpose.
    detail = (await http.get(f"/api/v1/tickets/{request_id}", headers=station.headers("receptionist"))).json()
    assert detail["station_id"] == station.id and detail["channel"] == "web"
    assert detail["owner_id"] != station.receptionist
    assert detail["resident_phone"] == "138****0000" and detail["resident_name"] == "王 **"
    contact = await http.get(f"/api/v1/tickets/{request_id}/contact", headers=station.headers("receptionist"))
    assert contact.status_code == 200, contact.text
    assert contact.json()["resident_phone"] == "13800000000" and contact.json()["resident_name"] == "王 阿姨"
    token = (await http.get(f"/open311/v2/tokens/{answer[0]['token']}.json")).json()
    assert token == [{"service_request_id": request_id, "token": answer[0]["token"]}]


async def test_post_errors_come_in_the_specs_shape_and_write_nothing(http, station, api_key):
    base = {"api_key": api_key, "service_code": "legal.mediation", "lat": "31.23", "long": "121.52"}

    async def error(form, fmt="json"):
        response = await http.post(f"/open311/v2/requests.{fmt}", data=form)
        if fmt == "json":
            body = response.json()
            assert isinstance(body, list) and set(body[0]) == {"code", "description"}
            assert body[0]["code"] == response.status_code
        else:
            root = ElementTree.fromstring(response.content)
            assert root.tag == "errors" and _text(root, "error/code") == str(response.status_code)
        return response.status_code

    assert await error({**base, "api_key": "wrong"}) == 403
    assert await error({key: value for key, value in base.items() if key != "api_key"}) == 403
    assert await error({**base, "service_code": ""}) == 400
    assert await error({**base, "service_code": "nope"}) == 404
    assert await error({"api_key": api_key, "service_code": "legal"}) == 400  # no location
    assert await error({**base, "lat": "north"}, fmt="xml") == 400
    assert await error({**base, "attribute[station_id]": str(uuid.uuid4())}) == 400
    assert await error({**base, "lat": "40.0", "long": "116.4"}) == 400  # Beijing: no station near
    listed = await http.get("/open311/v2/requests.json", params={"start_date": "", "status": ""})
    assert listed.json() == []


async def test_get_filters_and_errors(http, station, clock):
    first = await raise_ticket(http, station, service_category="legal")
    clock.set(local(2026, 9, 20, 10, 0))
    second = await raise_ticket(http, station, service_item="health.family_doctor", service_category=None)
    await http.post(
        f"/api/v1/tickets/{second['id']}/close", headers=station.headers("receptionist"), json={"result_text": "已办结"}
    )

    async def ids(**params):
        response = await http.get("/open311/v2/requests.json", params=params)
        assert response.status_code == 200, response.text
        _valid("requests.json", response.json())
        return [item["service_request_id"] for item in response.json()]

    assert await ids() == [second["id"], first["id"]]
    assert await ids(service_code="legal") == [first["id"]]
    assert await ids(service_code="health.family_doctor,legal") == [second["id"], first["id"]]
    assert await ids(status="closed") == [second["id"]]
    assert await ids(status="open") == [first["id"]]
    assert await ids(start_date="2026-09-15T00:00:00+08:00", end_date="2026-09-30T00:00:00Z") == [second["id"]]
    assert await ids(service_request_id=f"{first['id']},{second['id']}", status="open") == [second["id"], first["id"]]
    assert await ids(jurisdiction_id="pudong.gov.cn", service_code="") == [second["id"], first["id"]]

    async def status(path, **params):
        response = await http.get(path, params=params)
        body = response.json()
        assert body[0]["code"] == response.status_code
        return response.status_code

    assert await status("/open311/v2/requests.json", start_date="yesterday") == 400
    assert await status("/open311/v2/requests.json", start_date="2026-09-01T00:00:00") == 400  # no zone
    assert (
        await status("/open311/v2/requests.json", start_date="2026-01-01T00:00:00Z", end_date="2026-09-01T00:00:00Z")
        == 400
    )
    assert await status("/open311/v2/requests.json", status="pending") == 400
    assert await status("/open311/v2/requests.json", jurisdiction_id="beijing.gov.cn") == 404
    assert await status(f"/open311/v2/requests/{uuid.uuid4()}.json") == 404
    assert await status("/open311/v2/services/unknown.json") == 404
    assert await status("/open311/v2/tokens/nope.json") == 404
    xml = await http.get(f"/open311/v2/requests/{uuid.uuid4()}.xml")
    assert xml.status_code == 404 and ElementTree.fromstring(xml.content).tag == "errors"
    wrong = await http.get("/open311/v2/services.yaml")
    assert wrong.status_code == 400


async def test_the_georeport_client_from_pypi_reads_our_endpoint(ticket_app, http, station):
    georeport = pytest.importorskip("georeport")
    ticket = await raise_ticket(http, station, service_item="legal.mediation", service_category=None)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(ticket_app, lifespan="off", log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:

        async def started() -> bool:
            return server.started

        await eventually(started)
        root = f"http://127.0.0.1:{port}/open311/v2"
        for output_format in ("json", "xml"):
            client = georeport.GeoReport(root, jurisdiction="pudong.gov.cn", output_format=output_format)
            services = await asyncio.to_thread(client.get_service_list)
            assert any(service["service_code"] == "legal.mediation" for service in services)
            definition = await asyncio.to_thread(client.get_service_definition, "legal.mediation")
            assert definition["service_code"] == "legal.mediation"
            requests = await asyncio.to_thread(client.get_service_requests, service_code="legal.mediation")
            if isinstance(requests, dict):  # xmltodict gives a dict for a single <request>
                requests = [requests]
            assert [item["service_request_id"] for item in requests] == [ticket["id"]]
            one = await asyncio.to_thread(client.get_service_request, ticket["id"])
            assert one["service_request_id"] == ticket["id"] and one["status"] == "open"
    finally:
        server.should_exit = True
        await serving
        listener.close()
