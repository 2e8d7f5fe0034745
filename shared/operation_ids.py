"""Readable, stable operationIds for the OpenAPI document: `<domain>_<verb>`, e.g. `tickets_create`.

FastAPI's default (`create_ticket_api_v1_tickets_post`) glues the path and method onto the function
name; generated clients turn it into method names nobody can read, and it changes whenever a path does.
Here the domain is the first resource of the path (the version prefix skipped: `/api/v1/tickets/...`
-> `tickets`) and the verb is the endpoint function's name without the domain's noun
(`create_ticket` -> `create`). A route whose function name says nothing useful passes `operation_id=`.
Pure: no I/O, tested directly (tests/contract/test_operation_ids.py).
"""

from __future__ import annotations

import re
from typing import Any

# Path segments that only carry the API's name or version, never the domain.
_PREFIX_SEGMENT = re.compile(r"^(api|v[0-9]+)$")
# What a path segment or function name may keep: lower-case words joined by single underscores.
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# When the function name is nothing but the domain's noun, the method says what it does.
_METHOD_VERBS = {"GET": "get", "POST": "create", "PUT": "replace", "PATCH": "update", "DELETE": "delete"}
SHAPE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _words(text: str) -> list[str]:
    return [word for word in _NOT_WORD.split(text.lower()) if word]


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 3:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 1:
        return word[:-1]
    return word


def domain_of(path: str) -> list[str]:
    """The first path segment that is neither the API's name, its version nor a parameter, as words:
    `/api/v1/duty-rota/{id}` -> `duty rota`, `/api/v1/stations.csv` -> `stations`."""
    for segment in path.split("/"):
        if not segment or segment.startswith("{") or _PREFIX_SEGMENT.match(segment):
            continue
        words = _words(segment.split(".", 1)[0])
        if words and words[0][0].isalpha():
            return words
    return []


def _without(words: list[str], part: list[str]) -> list[str] | None:
    """`words` with the first contiguous run equal to `part` removed, or None when there is none."""
    for start in range(len(words) - len(part) + 1):
        if words[start : start + len(part)] == part:
            return words[:start] + words[start + len(part) :]
    return None


def operation_id(path: str, function_name: str, method: str) -> str:
    domain = domain_of(path)
    verb = _words(function_name)
    if domain:
        singular = [*domain[:-1], _singular(domain[-1])]
        # The whole domain first (`list_service_categories`), then its last noun (`get_rota`, `create_request`).
        for part in (domain, singular):
            shorter = _without(verb, part)
            if shorter is not None:
                verb = shorter
                break
        else:
            verb = [word for word in verb if word not in (domain[-1], singular[-1])]
    if not verb:
        verb = [_METHOD_VERBS.get(method.upper(), method.lower())]
    words = [*domain, *verb]
    if not words or not words[0][0].isalpha():
        words = ["operation", *words]
    return "_".join(words)


def route_operation_id(route: Any) -> str:
    """FastAPI's `generate_unique_id_function`: the operationId of an APIRoute (one method each here)."""
    method = sorted(route.methods)[0] if route.methods else "GET"
    return operation_id(route.path_format, route.endpoint.__name__, method)
