"""The operationId rule (shared/operation_ids.py) and the merge's schema names (gateway/openapi.py),
tested directly: no system, no generator."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.openapi import merge
from shared.operation_ids import SHAPE, domain_of, operation_id


@pytest.mark.parametrize(
    ("path", "function", "method", "expected"),
    [
        ("/api/v1/tickets", "create_ticket", "POST", "tickets_create"),
        ("/api/v1/tickets", "list_tickets", "GET", "tickets_list"),
        ("/api/v1/tickets/{ticket_id}", "get_ticket", "GET", "tickets_get"),
        ("/api/v1/tickets/{ticket_id}/transitions", "transition", "POST", "tickets_transition"),
        ("/api/v1/tickets/{ticket_id}/contact", "get_contact", "GET", "tickets_get_contact"),
        ("/api/v1/duty-rota/{station_id}", "get_rota", "GET", "duty_rota_get"),
        ("/api/v1/duty-rota/{station_id}/on-duty", "on_duty", "GET", "duty_rota_on_duty"),
        ("/api/v1/service-categories", "list_service_categories", "GET", "service_categories_list"),
        ("/api/v1/communities", "list_communities", "GET", "communities_list"),
        ("/api/v1/resource-requests/{request_id}", "get_request", "GET", "resource_requests_get"),
        ("/api/v1/stations.csv", "import_stations", "POST", "stations_import"),
        ("/open311/v2/requests.{fmt}", "get_requests", "GET", "open311_get_requests"),
        ("/auth/token", "token", "POST", "auth_token"),
        ("/api/v1/me", "get_me", "GET", "me_get"),
        ("/api/v1/me", "me", "GET", "me_get"),  # nothing left of the name: the method says it
    ],
)
def test_operation_ids_are_domain_and_verb(path: str, function: str, method: str, expected: str) -> None:
    assert operation_id(path, function, method) == expected


_word = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
_segment = st.one_of(
    st.lists(_word, min_size=1, max_size=3).map("-".join),
    _word.map(lambda word: "{" + word + "_id}"),
    _word.map(lambda word: word + ".{fmt}"),
)
_VERBS = {"get", "create", "replace", "update", "delete"}


def _is_subsequence(words: list[str], of: list[str]) -> bool:
    remaining = iter(of)
    return all(word in remaining for word in words)


@given(
    prefix=st.sampled_from(["/api/v1", "/api/v2", "/open311/v2", "", "/hsds"]),
    segments=st.lists(_segment, min_size=1, max_size=5),
    function=st.lists(_word, min_size=1, max_size=4),
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
)
def test_any_route_gets_a_readable_id_without_its_path(
    prefix: str, segments: list[str], function: list[str], method: str
) -> None:
    path = prefix + "/" + "/".join(segments)
    identifier = operation_id(path, "_".join(function), method)
    assert SHAPE.match(identifier), identifier
    # Only the domain comes from the path (one resource segment: no version, no parameter, no second
    # resource), the rest from the function's name, in its order.
    domain = domain_of(path)
    resources = [
        segment.split(".")[0].split("-")
        for segment in path.split("/")
        if segment and not segment.startswith("{") and not re.fullmatch(r"api|v[0-9]+", segment)
    ]
    assert domain == (resources[0] if resources else [])
    words = identifier.split("_")
    assert words[: len(domain)] == domain
    rest = words[len(domain) :]
    assert _is_subsequence(rest, function) or (len(rest) == 1 and rest[0] in _VERBS)
    assert operation_id(path, "_".join(function), method) == identifier  # stable


def _enum(*values: str, title: str) -> dict:
    return {"type": "string", "enum": list(values), "title": title}


def test_the_merge_names_clashing_schemas_apart_titles_included() -> None:
    ticket = {
        "paths": {
            "/api/v1/tickets": {"post": {"responses": {}, "requestBody": {"$ref": "#/components/schemas/Channel"}}}
        },
        "components": {
            "schemas": {
                "Channel": _enum("walk_in", "phone", title="Channel"),
                "Page_TicketRead_": {"type": "object", "title": "TicketReadPage"},
                "Location": {"type": "object", "title": "Location"},
            }
        },
    }
    evaluation = {
        "paths": {},
        "components": {
            "schemas": {
                "Channel": _enum("link", "qr", title="Channel"),
                "Location": {"type": "object", "title": "Location"},
            }
        },
    }
    merged = merge({"paths": {}}, {"ticket": ticket, "evaluation": evaluation})
    schemas = merged["components"]["schemas"]
    assert set(schemas) == {"Channel", "TicketChannel", "TicketReadPage", "Location"}
    assert all(schema["title"] == name for name, schema in schemas.items())
    assert schemas["TicketChannel"]["enum"] == ["walk_in", "phone"]
    reference = merged["paths"]["/api/v1/tickets"]["post"]["requestBody"]["$ref"]
    assert reference == "#/components/schemas/TicketChannel"
