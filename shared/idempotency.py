"""`Idempotency-Key` for every POST that acts: a retry gets the first answer, never a second action.

A caller sends `Idempotency-Key: <1-255 visible ASCII characters>` with a POST. The first request with a
key claims `(caller, key)` in the request's own transaction, and its answer (status, headers, body) is
written into the same row before that transaction commits: the change and the stored answer are kept
together or not at all. Then, for 24 hours:

- the same caller, key and request (method, path, query and body; JSON compared after parsing, so key
  order and spacing do not matter): the stored answer, same status, with `Idempotent-Replayed: true`;
- the same key with another request: 422 `idempotency_key_reused` naming the `Idempotency-Key` field;
- a second request while the first is still running: on PostgreSQL it waits on the claimed row and then
  replays the first answer (or, if the first failed, runs itself); 409 `idempotency_in_progress` only
  when the row vanished meanwhile.

Keys are scoped per caller (the token's subject, or whatever `caller` a route names, e.g. an Open311
key), so two callers never see each other's answers. Errors are not stored: a request that failed
(4xx/5xx) leaves no record, and its retry runs again. Records are purged after the window by each
service's periodic pass. A stored answer may hold personal data shown to its caller; a route whose full
reads are audited passes `on_replay`, which records the replay's read again.

Use: `dependencies=[Idempotent]` on the route (or `idempotent(...)` for a custom caller), in a router built
with `route_class=IdempotentRoute`, whose handler stores the answer and turns a replay into the response.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, get_args

import sqlalchemy as sa
from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import optional_principal
from shared.conditional import declared_version
from shared.context import current_request_id
from shared.database import Database, UTCDateTime, affected_rows, new_metadata
from shared.errors import Conflict, Unprocessable
from shared.ids import utcnow

logger = logging.getLogger("shared.idempotency")

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WINDOW = timedelta(hours=24)
# Headers that describe the stored bytes, not the exchange: recomputed (length) or added anew (ids, limits).
_NOT_STORED = frozenset({"content-length", "x-request-id", "x-correlation-id", "date", "server"})

idempotency_metadata = new_metadata()


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("caller", sa.String(200), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        # The first request's id: what its answer was recorded under (audits of full reads).
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("headers", sa.Text, nullable=True),
        sa.Column("body", sa.LargeBinary, nullable=True),
    ]


idempotency_record = sa.Table(
    "idempotency_record",
    idempotency_metadata,
    *_columns(),
    sa.PrimaryKeyConstraint("caller", "key"),
    sa.Index("ix_idempotency_record_created_at", "created_at"),
)


def create_idempotency_table(op: Any) -> None:
    """Called from each service's Alembic revision that adds the table."""
    op.create_table(
        "idempotency_record", *_columns(), sa.PrimaryKeyConstraint("caller", "key", name="pk_idempotency_record")
    )
    op.create_index("ix_idempotency_record_created_at", "idempotency_record", ["created_at"])


def drop_idempotency_table(op: Any) -> None:
    op.drop_index("ix_idempotency_record_created_at", table_name="idempotency_record")
    op.drop_table("idempotency_record")


@dataclass(frozen=True)
class StoredAnswer:
    caller: str
    key: str
    request_id: str | None
    status_code: int
    headers: list[tuple[str, str]]
    body: bytes

    def response(self) -> Response:
        response = Response(content=self.body, status_code=self.status_code)
        for name, value in self.headers:
            response.headers.append(name, value)
        response.headers[REPLAYED_HEADER] = "true"
        return response


class Replay(Exception):
    """Raised by the dependency, answered by `IdempotentRoute`: the stored answer goes out as it was."""

    def __init__(self, answer: StoredAnswer) -> None:
        super().__init__(answer.key)
        self.answer = answer


Caller = Callable[[Request, AsyncSession], Awaitable[str | None]]
OnReplay = Callable[[AsyncSession, Request, StoredAnswer], Awaitable[None]]


async def token_subject(request: Request, session: AsyncSession) -> str | None:
    principal = await optional_principal(request)
    return principal.user_id if principal is not None else None


def _canonical(body: bytes, content_type: str) -> bytes:
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        except (ValueError, RecursionError):
            return body
    return body


async def request_hash(request: Request) -> str:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    digest = hashlib.sha256()
    for part in (request.method, request.url.path, request.url.query):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(_canonical(await request.body(), content_type))
    return digest.hexdigest()


@dataclass
class _Claim:
    session: AsyncSession
    caller: str
    key: str

    async def store(self, response: Response) -> None:
        where = (idempotency_record.c.caller == self.caller, idempotency_record.c.key == self.key)
        body = getattr(response, "body", None)
        if not 200 <= response.status_code < 300 or not isinstance(body, bytes | bytearray | memoryview):
            # Not a success (or a streamed answer): nothing to replay, so a retry runs again.
            await self.session.execute(sa.delete(idempotency_record).where(*where))
            return
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.raw_headers
            if name.decode("latin-1").lower() not in _NOT_STORED
        ]
        version = declared_version()
        if version is not None and not any(name.lower() == "etag" for name, _ in headers):
            headers.append(("etag", f'"{version}"'))  # the replay's ETag (see shared.conditional)
        await self.session.execute(
            sa.update(idempotency_record)
            .where(*where)
            .values(status_code=response.status_code, headers=json.dumps(headers), body=bytes(body))
        )


async def _stored(session: AsyncSession, caller: str, key: str) -> sa.Row[Any] | None:
    query = sa.select(idempotency_record).where(idempotency_record.c.caller == caller, idempotency_record.c.key == key)
    return (await session.execute(query)).first()


def _answer_of(row: sa.Row[Any], digest: str) -> StoredAnswer:
    if row.request_hash != digest:
        raise Unprocessable(
            "This Idempotency-Key was already used with a different request.",
            field=IDEMPOTENCY_HEADER,
            code="idempotency_key_reused",
        )
    if row.status_code is None:  # pragma: no cover - the answer is written before the claim commits
        raise Conflict(
            "The first request with this key is still in progress.",
            code="idempotency_in_progress",
            headers={"Retry-After": "1"},
        )
    return StoredAnswer(
        caller=row.caller,
        key=row.key,
        request_id=row.request_id,
        status_code=row.status_code,
        headers=[(name, value) for name, value in json.loads(row.headers or "[]")],
        body=row.body or b"",
    )


async def claim(
    request: Request, session: AsyncSession, caller: str, key: str, now: datetime, on_replay: OnReplay | None
) -> None:
    """Claims (caller, key) for this request, or raises `Replay` / the refusal of a reused key."""
    digest = await request_hash(request)
    existing = await _stored(session, caller, key)
    if existing is not None and existing.created_at < now - WINDOW:
        # Past the window the key is free again (the purge may not have run yet).
        await session.execute(
            sa.delete(idempotency_record).where(idempotency_record.c.caller == caller, idempotency_record.c.key == key)
        )
        existing = None
    if existing is None:
        insert = sa.insert(idempotency_record).values(
            caller=caller, key=key, request_hash=digest, created_at=now, request_id=current_request_id() or None
        )
        # pysqlite opens no transaction before a write: a SAVEPOINT first would open one of its own, and
        # releasing it would commit the claim alone. SQLite serialises writers, so the claim is this
        # request's first write and a plain insert (rolled back on a clash) is enough there.
        sqlite = session.get_bind().dialect.name == "sqlite"
        try:
            # A concurrent first request holds the key's row: this insert waits for its transaction, and
            # fails once it committed, so the answer it stored is replayed below.
            if sqlite:
                await session.execute(insert)
            else:
                async with session.begin_nested():
                    await session.execute(insert)
        except IntegrityError:
            if sqlite:
                await session.rollback()
            existing = await _stored(session, caller, key)
            if existing is None:
                raise Conflict(
                    "Another request with this key just finished; retry.",
                    code="idempotency_in_progress",
                    headers={"Retry-After": "1"},
                ) from None
        else:
            request.state.idempotency_claim = _Claim(session, caller, key)
            return
    answer = _answer_of(existing, digest)
    if on_replay is not None:
        await on_replay(session, request, answer)
    raise Replay(answer)


def idempotent(caller: Caller = token_subject, on_replay: OnReplay | None = None) -> Any:
    """The route dependency (`dependencies=[idempotent(...)]`); `caller` scopes the keys."""
    from shared.service import SessionDep  # the request's own session: the claim commits with the change

    session_dependency = get_args(SessionDep)[1]  # the same dependency, so FastAPI gives the same session

    async def idempotency(
        request: Request,
        session: AsyncSession = session_dependency,
        key: Annotated[
            str | None,
            Header(
                alias=IDEMPOTENCY_HEADER,
                min_length=1,
                max_length=255,
                pattern=r"^[\x21-\x7e]+$",
                description="Makes retries safe: the same key and request within 24 hours get the first "
                "answer again (header `Idempotent-Replayed: true`), not a second action; the same key with "
                "another request is 422 `idempotency_key_reused`.",
            ),
        ] = None,
    ) -> None:
        if key is None:
            return
        if not getattr(request.state, "idempotent_route", False):
            raise RuntimeError(f"{request.url.path}: an idempotent route needs a router with IdempotentRoute")
        who = await caller(request, session)
        if who is not None:
            await claim(request, session, who[:200], key, utcnow(), on_replay)

    return Depends(idempotency)


Idempotent = idempotent()


class IdempotentRoute(APIRoute):
    """Stores an idempotent route's answer in its claim (same transaction) and sends replays."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            request.state.idempotent_route = True
            try:
                response = await handler(request)
            except Replay as replay:
                return replay.answer.response()
            claimed: _Claim | None = getattr(request.state, "idempotency_claim", None)
            if claimed is not None:
                await claimed.store(response)
            return response

        return handle


async def purge(database: Database, now: datetime | None = None) -> int:
    """Deletes the records past the window (one statement, on the `created_at` index); returns how many."""
    cutoff = (now or utcnow()) - WINDOW
    async with database.transaction() as session:
        result = await session.execute(sa.delete(idempotency_record).where(idempotency_record.c.created_at < cutoff))
    count = affected_rows(result)
    if count:
        logger.info("idempotency records purged", extra={"count": count})
    return count
