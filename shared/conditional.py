"""Conditional requests: `ETag` and `If-None-Match` on reads, `If-Match` on writes (RFC 9110 section 13).

Validators. A resource people edit carries a `version`, an integer the ORM raises on every UPDATE of its
row (`Versioned`, SQLAlchemy's `version_id_col`). An answer showing such a resource carries the strong
entity tag `"<version>-<digest>"`, the digest a hash of the exact answer bytes: one version reads
differently for different readers (masked or in full, the actions each may take) and at different times
(notices), and a client's cached copy may only be called current when its bytes are the very ones it
would get now. Every other whole (not streamed) 200 answer to a GET carries `"<digest>"`.

- `If-None-Match` on a GET: when one of its tags names the answer's (weak comparison), 304 with no body.
  The answer was still computed, so a 304 to whoever handles a ticket is recorded like the full read it
  confirms.
- `If-Match` on a write (PATCH, PUT, a ticket's actions): only the version part is compared, i.e. "has the
  resource changed since I read it", whatever view the reader was given; no tag naming the current
  version (or a weak tag, never a strong match) is 412 problem+json `precondition_failed`, and nothing is
  changed. `*` matches any existing resource. Without `If-Match` the write proceeds as before: a 428 would
  break every client that does not send one yet.

The version is checked on the row locked for the write, and the ORM's `UPDATE ... WHERE version = ?`
catches what a lock would not (two writers without If-Match on an unlocked row): the loser gets 409
`edit_conflict` instead of silently overwriting.
"""

from __future__ import annotations

import hashlib
import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.exc import StaleDataError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.database import table_of
from shared.errors import Conflict, Problem, problem_response

IF_MATCH = "If-Match"
# A tag this module wrote: `"12-ab34..."` (version and digest), `"12"` (a version alone, before the
# digest is added) or `"ab34..."` (digest alone).
_VERSIONED_TAG = re.compile(r'"(\d+)(?:-[0-9a-f]*)?"')
_VERSION_ONLY_TAG = re.compile(rb'"(\d+)"')
DIGEST_BYTES = 12


class PreconditionFailed(Problem):
    status, code, title = 412, "precondition_failed", "Precondition failed"


class Versioned:
    """Mixin: a `version` column raised by the ORM on every UPDATE of the row (the ETag's version)."""

    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": table_of(cls).c.version}


# --- the version an answer shows -------------------------------------------------------------------------


@dataclass
class _Declared:
    version: int | None = None


_declared: ContextVar[_Declared | None] = ContextVar("doorstep_declared_version", default=None)


def declare_version(version: int) -> None:
    """Says which version of its resource this answer shows; the middleware makes it the ETag."""
    holder = _declared.get()
    if holder is not None:
        holder.version = version


def declared_version() -> int | None:
    holder = _declared.get()
    return holder.version if holder is not None else None


def entity_tag(body: bytes, version: int | None) -> str:
    digest = hashlib.blake2b(body, digest_size=DIGEST_BYTES).hexdigest()
    return f'"{version}-{digest}"' if version is not None else f'"{digest}"'


def _tags(header: str) -> list[str]:
    return [part.strip() for part in header.split(",") if part.strip()]


def none_match(header: str, tag: str) -> bool:
    """If-None-Match (weak comparison): True when the client's copy is the current one."""
    opaque = tag.removeprefix("W/")
    return any(candidate == "*" or candidate.removeprefix("W/") == opaque for candidate in _tags(header))


# --- If-Match --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Precondition:
    """A write's `If-Match`: the versions the client read."""

    header: str

    def matches(self, version: int) -> bool:
        for tag in _tags(self.header):
            if tag == "*":
                return True
            match = _VERSIONED_TAG.fullmatch(tag)  # a weak tag (W/...) never matches: strong comparison
            if match is not None and int(match[1]) == version:
                return True
        return False

    def require(self, version: int) -> None:
        if not self.matches(version):
            raise PreconditionFailed(
                "The resource changed since you read it: read it again, then retry.", field=IF_MATCH
            )


async def if_match(
    header: Annotated[
        str | None,
        Header(
            alias=IF_MATCH,
            max_length=1000,
            description="The `ETag` you read: the write happens only if the resource is still at that version "
            "(else 412 `precondition_failed`). Without it the write proceeds.",
        ),
    ] = None,
) -> Precondition | None:
    return Precondition(header) if header is not None else None


IfMatch = Annotated[Precondition | None, Depends(if_match)]


# --- the middleware --------------------------------------------------------------------------------------

_NOT_MODIFIED_DROPS = frozenset({b"content-type", b"content-length", b"content-disposition", b"content-encoding"})


class ConditionalMiddleware:
    """Adds the ETag to whole 200 answers of GETs and to write answers that declared a version; answers
    a GET whose If-None-Match names it with 304. Streamed answers (CSV exports) pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reading = scope["method"] == "GET"
        holder = _Declared()
        token = _declared.set(holder)
        start: Message | None = None
        passing = False

        async def conditional_send(message: Message) -> None:
            nonlocal start, passing
            if passing or message["type"] not in ("http.response.start", "http.response.body"):
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                return
            assert start is not None
            passing = True
            if message.get("more_body", False) or start["status"] not in (200, 201):
                await send(start)
                await send(message)
                return
            headers: list[tuple[bytes, bytes]] = list(start.get("headers", []))
            version = holder.version
            if version is None:  # a stored answer replayed: its tag kept the version it declared
                stored = next((value for name, value in headers if name == b"etag"), b"")
                matched = _VERSION_ONLY_TAG.fullmatch(stored)
                version = int(matched[1]) if matched else None
            if version is None and not (reading and start["status"] == 200):
                await send(start)
                await send(message)
                return
            body = message.get("body", b"")
            tag = entity_tag(body, version)
            headers = [(name, value) for name, value in headers if name != b"etag"]
            headers.append((b"etag", tag.encode()))
            client_tags = next((value for name, value in scope["headers"] if name == b"if-none-match"), None)
            if reading and client_tags is not None and none_match(client_tags.decode("latin-1"), tag):
                headers = [(name, value) for name, value in headers if name not in _NOT_MODIFIED_DROPS]
                await send({**start, "status": 304, "headers": headers})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send({**start, "headers": headers})
            await send(message)

        try:
            await self.app(scope, receive, conditional_send)
        finally:
            _declared.reset(token)


def install_conditional_requests(app: FastAPI) -> None:
    """ETags and 304s for every answer, 409 for a write that lost a race on a versioned row."""
    app.add_middleware(ConditionalMiddleware)
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        return document_conditional_requests(generate_openapi())  # idempotent: the document is cached

    # Replacing the method is FastAPI's documented way to extend the schema; mypy refuses method assignment.
    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, error: StaleDataError) -> JSONResponse:
        # The row's version moved between this request's read and its UPDATE (a concurrent writer).
        problem: Problem
        if IF_MATCH in request.headers:
            problem = PreconditionFailed(
                "The resource changed while you wrote: read it again, then retry.", field=IF_MATCH
            )
        else:
            problem = Conflict(
                "Someone changed this record at the same moment: read it again, then retry.", code="edit_conflict"
            )
        return problem_response(
            problem.status, problem.code, problem.detail, instance=request.url.path, field=problem.field
        )


def document_conditional_requests(document: dict[str, Any]) -> dict[str, Any]:
    """Declares 412 on every operation taking If-Match, and If-None-Match/304 on every GET, in place."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.get("parameters", [])
            if any(item.get("in") == "header" and item.get("name") == IF_MATCH for item in parameters):
                operation["responses"].setdefault(
                    "412", {"description": "Precondition failed: the resource changed", "content": problem}
                )
            if method == "get" and "200" in operation["responses"]:
                if not any(item.get("name") == "If-None-Match" for item in parameters):
                    operation["parameters"] = [
                        *parameters,
                        {
                            "name": "If-None-Match",
                            "in": "header",
                            "required": False,
                            "description": "An `ETag` you hold: 304 with no body when it is still current.",
                            "schema": {"type": "string", "maxLength": 1000},
                        },
                    ]
                operation["responses"].setdefault("304", {"description": "Not modified: your copy is current"})
    return document
