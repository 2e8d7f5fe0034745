"""One OpenAPI document for the whole public API, merged from every service's own."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from typing import Any

from gateway.routes import service_for
from shared.errors import PROBLEM_CONTENT_TYPE, PROBLEM_SCHEMA_NAME
from shared.operation_ids import domain_of

# A title that can name a class in every generated client.
_CLASS_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")

# What the gateway itself answers on any routed operation (rate limits, body size, an unreachable or
# slow service), beside what each service documents.
GATEWAY_PROBLEMS = {
    429: "Too many requests",
    502: "The owning service cannot be reached",
    504: "The owning service did not answer in time",
}


def _with_gateway_problems(operations: dict[str, Any]) -> dict[str, Any]:
    content = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"}}}
    for operation in operations.values():
        if not isinstance(operation, dict) or "responses" not in operation:
            continue
        statuses = dict(GATEWAY_PROBLEMS)
        if "requestBody" in operation:
            statuses[413] = "Request body too large"
        for status, description in statuses.items():
            operation["responses"].setdefault(str(status), {"description": description, "content": dict(content)})
    return operations


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
            name = reference.rsplit("/", 1)[1]
            if name in renames:
                node = {**node, "$ref": "#/components/schemas/" + renames[name]}
        return {key: _rename_refs(value, renames) for key, value in node.items()}
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def _named_by_title(document: dict[str, Any]) -> dict[str, Any]:
    """Each schema under one name that is also its title. FastAPI keys a generic page `Page_TicketRead_`
    while pydantic titles it `TicketReadPage`; generators use one or the other, so they must agree."""
    schemas = document.get("components", {}).get("schemas", {})
    wanted = {
        name: schema["title"]
        for name, schema in schemas.items()
        if isinstance(schema.get("title"), str) and _CLASS_NAME.match(schema["title"]) and schema["title"] != name
    }
    taken = Counter([*wanted.values(), *schemas])
    renames = {name: title for name, title in wanted.items() if taken[title] == 1}
    document = _rename_refs(document, renames)
    if schemas:
        document["components"]["schemas"] = {
            renames.get(name, name): {**schema, "title": renames.get(name, name)}
            for name, schema in document["components"]["schemas"].items()
        }
    return document


_MODEL_SUFFIX = re.compile(r"(Create|Update|Read|Detail|Summary|Request)$")


def _enum_values(node: Any) -> tuple[str, ...] | None:
    if isinstance(node, dict) and node.get("type") == "string" and isinstance(node.get("enum"), list):
        return tuple(sorted(map(str, node["enum"])))
    return None


def _class_name(*parts: str) -> str:
    return "".join(word[:1].upper() + word[1:] for part in parts for word in re.split(r"[^A-Za-z0-9]+", part) if word)


def _shared_enums(document: dict[str, Any]) -> None:
    """An enum written inline (a `Literal` field or query parameter) in more than one place, or equal to a
    named one, becomes that one component: generated clients get one type (`StaffRole`), not one per
    place (`StaffCreateRole`, `StaffUpdateRoleType0`, `StaffListRoleType0`)."""
    schemas = document["components"]["schemas"]
    named = {_enum_values(schema): name for name, schema in schemas.items() if _enum_values(schema)}
    places: dict[tuple[str, ...], list[tuple[Any, Any, str]]] = {}

    def walk(node: Any, owner: str, field: str, properties: bool = False) -> None:
        if isinstance(node, dict):
            if "in" in node and "name" in node:
                field = str(node["name"])  # a parameter: its schema is named after it
            entries: Any = node.items()
        elif isinstance(node, list):
            entries = enumerate(node)
        else:
            return
        for key, value in entries:
            child = str(key) if properties else field  # a model's property names what it holds
            values = _enum_values(value)
            if values is not None:
                places.setdefault(values, []).append((node, key, f"{owner} {child}"))
            else:
                walk(value, owner, child, properties=key == "properties" and isinstance(node, dict))

    for name, schema in schemas.items():
        if _enum_values(schema) is None:
            walk(schema, _MODEL_SUFFIX.sub("", name), "")
    for path, operations in document.get("paths", {}).items():
        walk(operations, _class_name(*domain_of(path)), "")
    for values, found in places.items():
        if values not in named and len(found) < 2:
            continue  # used once: the generator's name for it is its only name
        name = named.get(values) or _class_name(found[0][2])
        while name in schemas and _enum_values(schemas[name]) != values:
            name += "Kind"
        schemas.setdefault(name, {"type": "string", "enum": list(found[0][0][found[0][1]]["enum"]), "title": name})
        for container, key, _ in found:
            inline = container[key]
            container[key] = {"$ref": f"#/components/schemas/{name}"}
            container[key].update({k: inline[k] for k in ("default", "description") if k in inline})


def merge(gateway_document: dict[str, Any], service_documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Paths the route table sends to a service come from that service; schemas that share a name
    but differ are renamed with the service's name so none overwrites another, title included (client
    generators name classes by the title: two titles alike make two classes of one name, and one is
    dropped). Services name their schemas apart so this stays a safety net (tests/contract)."""
    merged = _named_by_title(copy.deepcopy(gateway_document))
    merged.setdefault("paths", {})
    schemas: dict[str, Any] = merged.setdefault("components", {}).setdefault("schemas", {})
    tags = {tag["name"]: tag for tag in merged.get("tags", [])}
    for service, document in sorted(service_documents.items()):
        document = _named_by_title(document)
        service_schemas = document.get("components", {}).get("schemas", {})
        renames = {
            name: f"{service.capitalize()}{name}"
            for name, schema in service_schemas.items()
            if name in schemas and json.dumps(schemas[name], sort_keys=True) != json.dumps(schema, sort_keys=True)
        }
        document = _rename_refs(document, renames)
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            if name in renames:
                schema = {**schema, "title": renames[name]}
            schemas[renames.get(name, name)] = schema
        for path, operations in document.get("paths", {}).items():
            if service_for(path) == service:
                merged["paths"][path] = _with_gateway_problems(operations)
        for tag in document.get("tags", []):
            tags.setdefault(tag["name"], tag)
    if tags:
        merged["tags"] = list(tags.values())
    _shared_enums(merged)
    security_schemes = merged["components"].setdefault("securitySchemes", {})
    security_schemes["bearer"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    return merged
