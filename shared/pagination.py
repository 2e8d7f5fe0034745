"""Keyset pagination: stable under inserts and fast at any depth (no OFFSET scans).

Every list is newest first unless a `sort` says otherwise. A cursor is opaque to clients; it carries the
sort's name and the last row's sort values and id, so a page continues exactly where the previous one
stopped even when rows share a sort value, and a cursor from another sort is refused.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from typing_extensions import TypeForm

from shared.errors import Unprocessable

T = TypeVar("T")
MAX_LIMIT = 200

# (expression, descending): the order of a list; the id always follows as the tie-break.
Order = Sequence[tuple[Any, bool]]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null on the last.")

    @classmethod
    def model_parametrized_name(cls, params: tuple[TypeForm[Any], ...]) -> str:
        # `TicketReadPage`, name and title alike, rather than `Page_TicketRead_` titled `Page[TicketRead]`.
        item = getattr(params[0], "__name__", None) if len(params) == 1 else None
        return f"{item}Page" if item else super().model_parametrized_name(params)


class PageParameters(BaseModel):
    limit: int
    cursor: str | None = None


def _invalid(field: str = "cursor") -> Unprocessable:
    return Unprocessable(f"The {field} is not one this API gave out.", field=field, code="invalid_cursor")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    raw = json.dumps([sort, [_plain(value) for value in values]], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, types: Sequence[type]) -> list[Any]:
    """The values a cursor carries, typed like the sort's columns; 422 when it is not ours or another sort's."""
    try:
        name, values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if name != sort or len(values) != len(types):
            raise ValueError(name)
        return [_typed(value, kind) for value, kind in zip(values, types, strict=True)]
    except (ValueError, TypeError, AttributeError) as error:
        raise _invalid() from error


def _typed(value: Any, kind: type) -> Any:
    if value is None:
        return None
    if kind is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(value)
        return parsed
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind in (int, float, str) and not isinstance(value, kind):
        raise ValueError(value)
    return value


async def page_parameters(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    cursor: Annotated[str | None, Query(max_length=512, description="From the previous page's `next_cursor`.")] = None,
) -> PageParameters:
    return PageParameters(limit=limit, cursor=cursor or None)


def _python_type(expression: Any) -> type:
    kind = expression.type
    kind = getattr(kind, "impl_instance", kind)  # a TypeDecorator (UTCDateTime): its underlying type
    try:
        python_type: type = kind.python_type
        return python_type
    except NotImplementedError:
        return str


def _after(expressions: Sequence[Any], descending: Sequence[bool], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """Rows strictly after `values` in the order: a lexicographic comparison, one column at a time."""
    clauses = []
    for position, expression in enumerate(expressions):
        comparison = expression < values[position] if descending[position] else expression > values[position]
        earlier = [expressions[index] == values[index] for index in range(position)]
        clauses.append(sa.and_(*earlier, comparison))
    return sa.or_(*clauses)


async def keyset_page(
    session: AsyncSession,
    query: sa.Select[Any],
    key: Any,
    parameters: PageParameters,
    *,
    order: Order | None = None,
    sort: str = "-id",
) -> tuple[list[Any], str | None]:
    """Rows of `query` (one entity) in `order` (default: `key`, a UUIDv7 column, newest first), one page at a
    time. `sort` names the order in the cursor, so a cursor of one order cannot be used with another."""
    order = list(order) if order else [(key, True)]
    if order[-1][0] is not key:
        order.append((key, order[0][1]))  # the id breaks ties, in the primary direction
    expressions = [expression for expression, _ in order]
    descending = [flag for _, flag in order]
    if parameters.cursor is not None:
        values = decode_cursor(parameters.cursor, sort, [_python_type(expression) for expression in expressions])
        query = query.where(_after(expressions, descending, values))
    ordering = [expression.desc() if flag else expression.asc() for expression, flag in order]
    labelled = [expression.label(f"sort_key_{index}") for index, expression in enumerate(expressions)]
    result = await session.execute(query.add_columns(*labelled).order_by(*ordering).limit(parameters.limit + 1))
    rows = list(result.all())
    next_cursor = None
    if len(rows) > parameters.limit:
        rows = rows[: parameters.limit]
        next_cursor = encode_cursor(sort, list(rows[-1][1:]))
    return [row[0] for row in rows], next_cursor
