"""Keyset pagination: stable under inserts and fast at any depth (no OFFSET scans)."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import Unprocessable

T = TypeVar("T")
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null on the last.")


class PageParameters(BaseModel):
    limit: int
    cursor: uuid.UUID | None


def encode_cursor(key: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(key.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, TypeError) as error:
        raise Unprocessable(
            "The cursor is not one this API gave out.", field="cursor", code="invalid_cursor"
        ) from error


async def page_parameters(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    cursor: Annotated[str | None, Query(description="From the previous page's `next_cursor`.")] = None,
) -> PageParameters:
    return PageParameters(limit=limit, cursor=decode_cursor(cursor) if cursor else None)


async def keyset_page(
    session: AsyncSession, query: sa.Select[Any], key: Any, parameters: PageParameters
) -> tuple[list[Any], str | None]:
    """Rows of `query` ordered by `key` (a UUIDv7 column, so time order), one page at a time."""
    if parameters.cursor is not None:
        query = query.where(key > parameters.cursor)
    rows = list((await session.scalars(query.order_by(key).limit(parameters.limit + 1))).all())
    next_cursor = None
    if len(rows) > parameters.limit:
        rows = rows[: parameters.limit]
        next_cursor = encode_cursor(getattr(rows[-1], key.key))
    return rows, next_cursor
