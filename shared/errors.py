"""RFC 9457 problem details for every error, validation errors included.

Use cases raise `Problem` subclasses; handlers turn them, FastAPI's validation errors, HTTP errors and
any unexpected exception into `application/problem+json`. No HTML page, no stack trace.

`title` and `detail` follow the request's Accept-Language (`shared/language.py`: zh-CN by default, en):
the title is the reason code's meaning from the one catalogue (`shared/reasons.py`); in Chinese the
detail is that meaning (naming the field), in English the use case's own, more specific sentence. `code`,
`field` and `errors` stay the same in every language: clients decide on them, people read the rest.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.context import request_id_var
from shared.language import language_var
from shared.reasons import meaning
from shared.rules import InvalidInput, RuleViolation

logger = logging.getLogger("shared.errors")

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Relative: resolved against the API's own address, where the gateway serves what each code means.
PROBLEM_BASE = "/problems/"


class Problem(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.field = field
        self.headers = headers
        self.extra = extra


class NotFound(Problem):
    status, code, title = 404, "not_found", "Not found"


class Conflict(Problem):
    """An illegal state change, a duplicate, a lost race: 409 with a reason code."""

    status, code, title = 409, "conflict", "Conflict"


class Unprocessable(Problem):
    """Well-formed input that breaks a rule; names the field."""

    status, code, title = 422, "invalid_field", "Invalid field"


def problem_for_rule(error: RuleViolation) -> Problem:
    """The problem a pure rule's refusal answers: 422 naming the field, or 409 for a state change."""
    detail = error.detail or error.reason.replace("_", " ")
    if isinstance(error, InvalidInput):
        return Unprocessable(detail, field=error.field, code=error.reason, **error.extensions)
    return Conflict(detail, code=error.reason, **error.extensions)


class Unauthorized(Problem):
    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class Forbidden(Problem):
    status, code, title = 403, "forbidden", "Forbidden"


class ServiceUnavailable(Problem):
    status, code, title = 503, "service_unavailable", "Service unavailable"


_TITLES_ZH = {
    400: "请求有误",
    401: "需要登录",
    403: "无权访问",
    404: "找不到",
    405: "不支持该请求方法",
    409: "冲突",
    410: "已失效",
    413: "请求内容过大",
    415: "不支持的内容类型",
    422: "字段无效",
    429: "请求过于频繁",
    500: "内部错误",
    502: "网关错误",
    503: "服务不可用",
    504: "网关超时",
}
_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid field",
    429: "Too many requests",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def problem_body(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    language: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    language = language or language_var.get()
    explained = meaning(code, language)
    if language == "en":
        title = explained or title or _TITLES.get(status, "Error")
    else:
        title = explained or _TITLES_ZH.get(status, "错误")
        field = extra.get("field")
        if explained is not None:  # the use case's sentence is English: the reader gets the code's meaning
            detail = f"{explained}（字段：{field}）" if field else explained
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    body.update({key: value for key, value in extra.items() if value is not None})
    return body


def problem_response(
    status: int, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    language = language_var.get()
    return JSONResponse(
        problem_body(status, code, detail, language=language, **extra),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers={**(headers or {}), "Content-Language": language},
    )


def _field_path(location: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "address", "latitude") -> "address.latitude"; ("query", "page") -> "page"
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header", "cookie", "form")]
    return ".".join(parts) or ".".join(str(part) for part in location)


# Declared on every operation of every OpenAPI document, so clients and contract tests know each error's
# shape: the answers the kernel itself gives whatever the route (auth, scope, lookups, validation, state
# changes, a database that is down).
PROBLEM_SCHEMA_NAME = "Problem"
PROBLEM_STATUSES = (400, 401, 403, 404, 409, 422, 503)
_PROBLEM_REF = {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": PROBLEM_SCHEMA_NAME,
    "description": "RFC 9457 problem details. `code` is the reason; `field` names the offending input.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "field": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "description": "One offending input: `type` for request validation, `line` for file rows.",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                    "line": {"type": "integer"},
                },
            },
        },
    },
    "additionalProperties": True,
}


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Declares `application/problem+json` for every error status of every operation, in place.

    FastAPI's own 422 (`HTTPValidationError`, `application/json`) describes a body this kernel never
    sends; it is replaced, and so is any route-declared error response that has no content of its own.
    """
    problem_content = {PROBLEM_CONTENT_TYPE: {"schema": dict(_PROBLEM_REF)}}
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status in PROBLEM_STATUSES:
                responses.setdefault(str(status), {"description": _TITLES[status]})
            for status, response in responses.items():
                if not status.isdigit() or int(status) < 400:
                    continue
                content = response.get("content") or {}
                if not content or "HTTPValidationError" in str(content):
                    response["content"] = dict(problem_content)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[PROBLEM_SCHEMA_NAME] = PROBLEM_SCHEMA
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}'" not in str(document):
            schemas.pop(unused, None)
    return document


# Dates the services can do arithmetic on: near Python's limits (years 1 and 9999) adding a day or a
# time-zone offset overflows. No date this system handles lies outside these years.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
_ISO_DATE = re.compile(r"\s*([+-]?\d{4,})-\d{2}-\d{2}(?:[T ].*)?", re.DOTALL)
# A JSON string starting like an ISO date whose year is outside [EARLIEST_YEAR, LATEST_YEAR].
_JSON_DATE_OUT_OF_RANGE = re.compile(rb'"\s*(?:[+-]\d{4,}|0\d{3}|1[0-8]\d{2}|[3-9]\d{3}|\d{5,})-\d{2}-\d{2}')


# Characters XML 1.0 cannot carry (C0 controls but tab, LF and CR; lone surrogates; U+FFFE, U+FFFF): one in a
# stored text would make every XML document showing it ill-formed (Open311 `requests.xml`), for every reader.
XML_ILLEGAL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Cheap scans of raw bodies before any parse: JSON escapes of those characters (a valid surrogate pair
# matches too, and is let through by the parse), raw control bytes, UTF-8 U+FFFE/U+FFFF, percent-encodings.
_JSON_SUSPECT = re.compile(
    rb"\\u(?:00[01]|[dD][89a-fA-F]|[fF]{3}[eEfF])|[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]"
)
_FORM_SUSPECT = re.compile(
    rb"%(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])|%[eE][fF]%[bB][fF]%[bB][eEfF]|[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]"
)
_TEXT_SUSPECT = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")


def _character_flaw(value: str) -> tuple[str, str] | None:
    if "\x00" in value:
        return "nul_character", "The value holds a NUL character."
    match = XML_ILLEGAL_CHARACTERS.search(value)
    if match is not None:
        return "illegal_character", f"The value holds U+{ord(match[0]):04X}, a character text cannot carry."
    return None


def _flaw(value: str) -> tuple[str, str] | None:
    """(code, detail) when `value` cannot be stored, computed with or written into XML, else None."""
    flaw = _character_flaw(value)
    if flaw is not None:
        return flaw
    match = _ISO_DATE.fullmatch(value)
    if match is not None and not EARLIEST_YEAR <= int(match[1]) <= LATEST_YEAR:
        return "date_out_of_range", f"Dates lie in the years {EARLIEST_YEAR}-{LATEST_YEAR}."
    return None


def _flawed_field(value: Any, path: str) -> tuple[str, tuple[str, str]] | None:
    """The path of the first flawed string (or key) in decoded JSON, with its flaw."""
    if isinstance(value, str):
        flaw = _flaw(value)
        return (path, flaw) if flaw is not None else None
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in children:
        child = f"{path}.{key}" if path else str(key)
        if (flaw := _character_flaw(str(key))) is not None:
            return child, flaw
        found = _flawed_field(item, child)
        if found is not None:
            return found
    return None


async def reject_unstorable_input(request: Request) -> None:
    """A dependency refusing, with a 422 naming the field, input no service can store or compute with.

    U+0000 anywhere in the path, query or a text body: PostgreSQL's text types cannot store it, and no
    legitimate input holds it. The other characters XML 1.0 cannot carry (`XML_ILLEGAL_CHARACTERS`,
    code `illegal_character`): stored, they would break every XML answer showing them. ISO dates
    outside EARLIEST_YEAR-LATEST_YEAR: date arithmetic near Python's limits overflows. Refused the same
    way on SQLite so both modes answer alike.
    """
    for source in (request.path_params, request.query_params):
        for name, value in source.items():
            flaw = _character_flaw(name) or _flaw(str(value))
            if flaw is not None:
                raise Unprocessable(flaw[1], field=name, code=flaw[0])
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if request.method in ("GET", "HEAD", "DELETE", "OPTIONS") and not content_type:
        return
    body = await request.body()  # cached on the request: the endpoint reads the same bytes
    found: tuple[str, tuple[str, str]] | None = None
    if content_type == "application/json" or content_type.endswith("+json"):
        # Cheap scans first: most bodies hold neither, and need no second parse.
        if not _JSON_SUSPECT.search(body) and not _JSON_DATE_OUT_OF_RANGE.search(body):
            return
        try:
            found = _flawed_field(json.loads(body), "")
        except (ValueError, RecursionError):
            return  # not JSON (or nested past parsing): the endpoint's own validation says so
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if not _FORM_SUSPECT.search(body):
            return
        form = await request.form()
        found = next(
            ((key, flaw) for key, value in form.multi_items()
             if isinstance(value, str) and (flaw := _character_flaw(value)) is not None),
            None,
        )  # fmt: skip
    elif (not content_type or content_type.startswith("text/")) and _TEXT_SUSPECT.search(body):
        flaw = _character_flaw(body.decode("utf-8", errors="replace"))
        found = ("body", flaw) if flaw is not None else None
    if found is not None:
        field, (code, detail) = found
        raise Unprocessable(detail, field=field or "body", code=code)


# SQLSTATE classes of a database that cannot serve now rather than of a statement that is wrong: connection
# exceptions (08), insufficient resources such as "too many clients" (53), operator intervention such as a
# shutdown or a server still starting (57P).
_UNAVAILABLE_STATES = ("08", "53", "57P")


def _unavailable_state(error: DBAPIError) -> bool:
    state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES)


def install_problem_handlers(app: FastAPI) -> None:
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = document_problems(generate_openapi())
        return app.openapi_schema

    # Replacing the method is FastAPI's documented way to extend the schema; mypy refuses method assignment.
    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(Problem)
    async def _problem(request: Request, error: Problem) -> JSONResponse:
        return problem_response(
            error.status,
            error.code,
            error.detail,
            headers=error.headers,
            title=error.title,
            instance=request.url.path,
            field=error.field,
            **error.extra,
        )

    @app.exception_handler(RuleViolation)
    async def _rule(request: Request, error: RuleViolation) -> JSONResponse:
        # A pure rule's refusal: bad input is 422 naming the field, a refused state change 409.
        problem = problem_for_rule(error)
        return await _problem(request, problem)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field_path(item.get("loc", ())),
                "message": item.get("msg", ""),
                "type": item.get("type", ""),
            }
            for item in error.errors()
        ]
        first = errors[0]["field"] if errors else None
        detail = "; ".join(f"{item['field']}: {item['message']}" for item in errors) or "Invalid request"
        return problem_response(422, "validation_error", detail, instance=request.url.path, field=first, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, f"http_{error.status_code}")
        detail = error.detail if isinstance(error.detail, str) else _TITLES.get(error.status_code, "Error")
        return problem_response(
            error.status_code,
            code,
            detail,
            headers=getattr(error, "headers", None),
            instance=request.url.path,
        )

    async def _database_unavailable(request: Request, error: Exception) -> JSONResponse:
        # The database is down or saturated: fail fast and let the client retry, never a 500.
        logger.warning("database unavailable", extra={"path": request.url.path, "error": repr(error)})
        return problem_response(
            503,
            "database_unavailable",
            "The service's database cannot be reached; retry shortly.",
            headers={"Retry-After": "2"},
            instance=request.url.path,
        )

    for kind in (OperationalError, InterfaceError, PoolTimeoutError, ConnectionError, OSError):
        app.add_exception_handler(kind, _database_unavailable)

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, error: DBAPIError) -> JSONResponse:
        if error.connection_invalidated or _unavailable_state(error):
            return await _database_unavailable(request, error)
        logger.exception("database error", extra={"path": request.url.path})
        return problem_response(500, "internal_error", "An unexpected error occurred.", instance=request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(500, "internal_error", "An unexpected error occurred.", instance=request.url.path)
