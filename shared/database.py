"""Database access for every service: engine, sessions, table conventions and column types.

Each service has its own database. The session is opened and committed at the boundary of a use case
(an HTTP request or a consumed event), so use cases compose inside one transaction and never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy.ext.asyncio
from sqlalchemy import JSON, DateTime, MetaData, Table, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# One naming convention for every constraint, so migrations name them the same on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# PostgreSQL stores JSON as JSONB (indexable); SQLite as text.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def declarative_base() -> type[DeclarativeBase]:
    """A fresh declarative base for one service, with the shared naming convention."""

    class Base(DeclarativeBase):
        metadata = new_metadata()

    return Base


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored and returned in UTC, aware, on every database (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: every timestamp carries its zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers run beside the writer; the busy timeout queues writers instead of failing.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached right now (retry later), not that the work is wrong."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | InterfaceError | PoolTimeoutError | ConnectionError | OSError)


def affected_rows(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an INSERT, UPDATE or DELETE touched: `session.execute` types every result as a `Result`, but a
    DML statement's is a `CursorResult`, which counts them."""
    return cast(CursorResult[*tuple[Any, ...]], result).rowcount


def table_of(mapped: Any) -> Table:
    """The Table of a mapped class or row: declarative classes type `__table__` as any FromClause, and a
    mixin that only meets its table in a subclass does not know it at all."""
    table: Table = mapped.__table__
    return table


# An unreachable database (host down, packets dropped) must fail a request well within the gateway's
# upstream timeout, so the client gets a 503 to retry instead of a hang; asyncpg waits 60 s by default.
CONNECT_TIMEOUT_SECONDS = 5.0


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    # Looked up at each call: the SQLAlchemy instrumentation, once tracing is on, wraps this function.
    create_async_engine = sqlalchemy.ext.asyncio.create_async_engine
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo)
        _configure_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS} if url.startswith("postgresql+asyncpg") else {},
    )


class Database:
    """A service's engine and session factory, plus hooks run after each commit."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._after_commit: list[Callable[[AsyncSession], None]] = []

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def on_commit(self, hook: Callable[[AsyncSession], None]) -> None:
        """Run `hook` after every successful commit (e.g. wake the outbox relay)."""
        self._after_commit.append(hook)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit when the block succeeds, roll back when it raises."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            for hook in self._after_commit:
                hook(session)

    async def dispose(self) -> None:
        await self.engine.dispose()
