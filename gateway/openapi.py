"""One OpenAPI document for the whole public API, merged from every service's own."""

from __future__ import annotations

import copy
import json
from typing import Any

from gateway.routes import service_for
from shared.errors import PROBLEM_CONTENT_TYPE, PROBLEM_SCHEMA_NAME

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


def merge(gateway_document: dict[str, Any], service_documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Paths the route table sends to a service come from that service; schemas that share a name
    but differ are renamed with the service's name so none overwrites another."""
    merged = copy.deepcopy(gateway_document)
    merged.setdefault("paths", {})
    schemas: dict[str, Any] = merged.setdefault("components", {}).setdefault("schemas", {})
    tags = {tag["name"]: tag for tag in merged.get("tags", [])}
    for service, document in sorted(service_documents.items()):
        service_schemas = document.get("components", {}).get("schemas", {})
        renames = {
            name: f"{service.capitalize()}{name}"
            for name, schema in service_schemas.items()
            if name in schemas and json.dumps(schemas[name], sort_keys=True) != json.dumps(schema, sort_keys=True)
        }
        document = _rename_refs(document, renames)
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            schemas[renames.get(name, name)] = schema
        for path, operations in document.get("paths", {}).items():
            if service_for(path) == service:
                merged["paths"][path] = _with_gateway_problems(operations)
        for tag in document.get("tags", []):
            tags.setdefault(tag["name"], tag)
    if tags:
        merged["tags"] = list(tags.values())
    security_schemes = merged["components"].setdefault("securitySchemes", {})
    security_schemes["bearer"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    return merged
