"""RFC 9457 problem details for every error, validation errors included.

Use cases raise `Problem` subclasses; handlers turn them, FastAPI's validation errors, HTTP errors and
any unexpected exception into `application/problem+json`. No HTML page, no stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.context import request_id_var

logger = logging.getLogger("shared.errors")

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://doorstep.pudong.gov.cn/problems/"


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


class Unauthorized(Problem):
    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class Forbidden(Problem):
    status, code, title = 403, "forbidden", "Forbidden"


class ServiceUnavailable(Problem):
    status, code, title = 503, "service_unavailable", "Service unavailable"


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
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title or _TITLES.get(status, "Error"),
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
    return JSONResponse(
        problem_body(status, code, detail, **extra),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def _field_path(location: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "address", "latitude") -> "address.latitude"; ("query", "page") -> "page"
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header", "cookie", "form")]
    return ".".join(parts) or ".".join(str(part) for part in location)


def install_problem_handlers(app: FastAPI) -> None:
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
        if error.connection_invalidated:
            return await _database_unavailable(request, error)
        logger.exception("database error", extra={"path": request.url.path})
        return problem_response(500, "internal_error", "An unexpected error occurred.", instance=request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(500, "internal_error", "An unexpected error occurred.", instance=request.url.path)
