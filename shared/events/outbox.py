"""Transactional outbox: an event is a row written in the same transaction as the business change.

A transaction's events are written in one multi-row insert when it commits, and the commit wakes this
process's relay. The relay publishes rows and marks them sent only after the bus confirms. A row that
fails is retried later with backoff and does not hold up the rows behind it.

A write does not send `NOTIFY`: PostgreSQL serialises every committing transaction that notified, across
the whole cluster (one lock, held through the commit's WAL flush), so group commit is lost. Measured here
with 16 writers of one-row transactions: 3,100-3,400 commits/s, p99 13 ms without; 910-1,270/s, p99
28-40 ms with. Each replica's relay is woken by its own commits instead; another replica's rows reach it
within a poll. The relay still LISTENs on `outbox` on PostgreSQL, so a process that writes rows
outside a service (a repair script, a restore) can wake every relay with `NOTIFY outbox`.

`DedicatedOutboxRelay` runs the relay on its own thread, event loop, database pool and broker connection,
so a request loop busy to the brim cannot delay the events. It is a setting (`outbox_relay_thread`), off by
default: through the GIL it cost the request loop more than it gained (shared/README.md has the figures).
`OutboxRelay` runs on the request loop, where the embedded mode's in-process bus lives too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import asyncpg
import sqlalchemy as sa
from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from shared.database import CONNECT_TIMEOUT_SECONDS, Database
from shared.events.bus import EventBus
from shared.events.envelope import EventEnvelope
from shared.events.tables import outbox_message
from shared.ids import utcnow
from shared.metrics import EVENTS_PUBLISH_FAILURES, EVENTS_PUBLISHED, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE

logger = logging.getLogger("shared.outbox")

_T = TypeVar("_T")

# The PostgreSQL channel every relay LISTENs on (channels are per database): `NOTIFY outbox` wakes them all.
NOTIFY_CHANNEL = "outbox"

_WROTE_EVENTS = "outbox_wrote_events"
_INSERT = outbox_message.insert()
# The rows a transaction added, kept on its session until it commits (see `_write_pending_rows`).
_PENDING_ROWS = "outbox_pending_rows"


class Outbox:
    """Writes a service's events into its own database, inside the caller's transaction."""

    def __init__(self, source: str) -> None:
        self.source = source

    async def add(
        self, session: AsyncSession, event_type: str, data: dict[str, Any], subject: str | None = None
    ) -> EventEnvelope:
        """The row is written when the transaction commits, in one insert with the transaction's other
        events; inside a savepoint it is written at once, so that rolling the savepoint back drops it."""
        envelope = EventEnvelope.new(event_type, self.source, data, subject)
        row = {
            "id": uuid.UUID(envelope.id),
            "event_type": envelope.type,
            "payload": envelope.to_json().decode(),
            "created_at": envelope.time,
            "next_attempt_at": envelope.time,
            "attempts": 0,
        }
        if session.in_nested_transaction():
            connection = await session.connection()
            await connection.execute(_INSERT, [row])
        else:
            if not session.in_transaction():
                # The rows belong to a transaction: begun now (no I/O), a rollback before any statement
                # ends it and drops them, instead of leaving them for the next commit of this session.
                session.sync_session.begin()
            session.info.setdefault(_PENDING_ROWS, []).append(row)
        session.info[_WROTE_EVENTS] = True
        return envelope


# First of the commit's hooks (insert=True): the offline sync's stamp (shared/sync.py) takes its counter
# row's lock at commit, and every statement after it keeps that lock, which all writers queue for.
@event.listens_for(Session, "before_commit", insert=True)
def _write_pending_rows(session: Session) -> None:
    # Releasing a savepoint fires this event too: only the outermost commit writes the buffered rows.
    if session.in_nested_transaction():
        return
    rows = session.info.pop(_PENDING_ROWS, None)
    if rows:
        connection = session.connection()
        # One statement for all the rows: executemany of the one cached insert (a `values([...])` of the
        # rows would be compiled anew at every commit).
        connection.execute(_INSERT, rows)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending_rows(session: Session, transaction: SessionTransaction) -> None:
    # A transaction that ends without committing (rolled back, closed) drops its events with it.
    if transaction.parent is None:
        session.info.pop(_PENDING_ROWS, None)


async def outbox_backlog(database: Database, service: str) -> tuple[int, float | None]:
    """How many rows are unsent, and the age in seconds of the oldest (sets the backlog gauges)."""
    async with database.sessionmaker() as session:
        count, oldest = (
            await session.execute(
                sa.select(sa.func.count(), sa.func.min(outbox_message.c.created_at)).where(
                    outbox_message.c.published_at.is_(None)
                )
            )
        ).one()
    age = None if oldest is None else (utcnow() - oldest).total_seconds()
    OUTBOX_BACKLOG.labels(service).set(count)
    OUTBOX_OLDEST_AGE.labels(service).set(age or 0.0)
    return count, age


def listen_dsn(database_url: str) -> str:
    """The libpq form of an SQLAlchemy PostgreSQL URL, for a plain asyncpg connection."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxRelay:
    """Publishes unsent outbox rows, on the loop that starts it. Woken after each commit of this process
    that wrote events, and on PostgreSQL by a `NOTIFY outbox`; polls as a safety net."""

    def __init__(
        self,
        database: Database,
        bus: EventBus,
        *,
        batch_size: int = 100,
        poll_seconds: float = 1.0,
        max_backoff_seconds: float = 60.0,
        service: str = "service",
        wake_on_commit: bool = True,
        listen: bool | None = None,
    ) -> None:
        self.service = service
        self.database = database
        self.bus = bus
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.max_backoff_seconds = max_backoff_seconds
        # LISTEN needs PostgreSQL; SQLite has only the in-process wake-up.
        self.listen = not database.is_sqlite if listen is None else listen
        self._wake = asyncio.Event()
        # One pass at a time per database in this process: the loop, a shutdown flush and the embedded
        # launcher's seeding may all ask for a pass, and SQLite ignores SKIP LOCKED, so two overlapping
        # passes would both read and publish the same rows.
        self._pass_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._stopping = False
        if wake_on_commit:
            database.on_commit(self._after_commit)

    def _after_commit(self, session: AsyncSession) -> None:
        if session.info.pop(_WROTE_EVENTS, False):
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-relay")
        if self.listen:
            self._listener = asyncio.create_task(self._listen(), name="outbox-listener")

    async def stop(self, *, flush: bool = True) -> None:
        """Stop the loop; with `flush`, publish what is still unsent first (graceful shutdown)."""
        self._stopping = True
        self._wake.set()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self._task is not None:
            await self._task
            self._task = None
        if flush:
            try:
                while await self.publish_batch() == self.batch_size:
                    pass
            except Exception:  # the broker may be gone at shutdown; the rows stay for the next start
                logger.warning("outbox flush at shutdown failed; unsent rows remain", exc_info=True)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()
            if self._stopping:
                break
            try:
                while await self.publish_batch() == self.batch_size and not self._stopping:
                    pass
            except Exception:
                logger.exception("outbox relay pass failed; retrying after the poll interval")

    async def _listen(self) -> None:
        """LISTEN on a connection of its own, reconnecting after a loss; the poll covers the gaps."""
        dsn = listen_dsn(self.database.url)
        while not self._stopping:
            try:
                connection = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT_SECONDS)
            except (OSError, asyncpg.PostgresError, TimeoutError):
                logger.warning("outbox LISTEN connection failed; polling until it is back", exc_info=True)
                await asyncio.sleep(max(self.poll_seconds, 1.0))
                continue
            try:
                await self._listen_on(connection)
            except asyncpg.PostgresError:
                logger.warning("outbox LISTEN failed; reconnecting", exc_info=True)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.shield(connection.close(timeout=2))
            await asyncio.sleep(min(self.poll_seconds, 1.0))

    async def _listen_on(self, connection: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(NOTIFY_CHANNEL, self._notified)
        self._wake.set()  # a commit may have come while nobody listened
        while not lost.is_set() and not connection.is_closed():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), timeout=30.0)
        logger.warning("outbox LISTEN connection lost; reconnecting")

    def _notified(self, *_args: object) -> None:
        self._wake.set()

    async def publish_batch(self) -> int:
        """Publish one batch of due rows; returns how many rows it took."""
        async with self._pass_lock:
            # No database spans for the relay's polling (a root span per query, every poll); the events
            # it publishes still get their producer spans, in the trace of the request behind each.
            with suppress_instrumentation():
                return await self._publish_batch()

    async def _publish_batch(self) -> int:
        now = utcnow()
        async with self.database.transaction() as session:
            # SKIP LOCKED lets several replicas relay side by side without sending a row twice.
            query = (
                sa.select(
                    outbox_message.c.id,
                    outbox_message.c.event_type,
                    outbox_message.c.payload,
                    outbox_message.c.attempts,
                )
                .where(outbox_message.c.published_at.is_(None), outbox_message.c.next_attempt_at <= now)
                .order_by(outbox_message.c.created_at, outbox_message.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = (await session.execute(query)).all()
            if not rows:
                return 0
            envelopes = [EventEnvelope.from_json(row.payload) for row in rows]
            results = await self.bus.publish_many(envelopes)
            sent_at = utcnow()
            sent_ids = [row.id for row, result in zip(rows, results, strict=True) if result is None]
            if sent_ids:
                await session.execute(
                    outbox_message.update()
                    .where(outbox_message.c.id.in_(sent_ids))
                    .values(published_at=sent_at, attempts=outbox_message.c.attempts + 1)
                )
            for row, result in zip(rows, results, strict=True):
                if not isinstance(result, BaseException):
                    EVENTS_PUBLISHED.labels(self.service, row.event_type).inc()
                    continue
                EVENTS_PUBLISH_FAILURES.labels(self.service, row.event_type).inc()
                attempts = row.attempts + 1
                backoff = min(self.max_backoff_seconds, 0.5 * 2 ** min(attempts, 16))
                logger.warning(
                    "event publish failed; will retry",
                    extra={"event_id": str(row.id), "attempts": attempts, "error": repr(result)},
                )
                await session.execute(
                    outbox_message.update()
                    .where(outbox_message.c.id == row.id)
                    .values(
                        attempts=attempts,
                        next_attempt_at=sent_at + timedelta(seconds=backoff),
                        last_error=repr(result)[:2000],
                    )
                )
            return len(rows)

    async def backlog(self) -> tuple[int, float | None]:
        """How many rows are unsent, and the age in seconds of the oldest (for metrics)."""
        return await outbox_backlog(self.database, self.service)


class DedicatedOutboxRelay:
    """An `OutboxRelay` on a thread of its own, with its own event loop, database pool and bus (its own
    broker connection, with publisher confirms): the requests on the service's loop cannot starve it.

    Woken by each commit of the service's database object that wrote events (the commit's hook hands the
    wake-up to the relay's loop: the service's loop may stay busy after it), and by a `NOTIFY outbox`,
    polling as a safety net; replicas share the rows with SKIP LOCKED. Its methods are called from the
    service's loop.
    """

    def __init__(
        self,
        database: Database,
        make_bus: Callable[[], EventBus],
        *,
        batch_size: int = 100,
        poll_seconds: float = 1.0,
        max_backoff_seconds: float = 60.0,
        service: str = "service",
        pool_size: int = 1,
    ) -> None:
        if database.is_sqlite:
            raise ValueError("the dedicated relay needs PostgreSQL (LISTEN/NOTIFY); SQLite keeps OutboxRelay")
        self.service = service
        # The service's own database: `backlog` reads through it, on the service's loop.
        self.database = database
        self.make_bus = make_bus
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.pool_size = pool_size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._relay: OutboxRelay | None = None
        self._stop_requested = asyncio.Event()
        self._flush_on_stop = True
        self._done: concurrent.futures.Future[None] | None = None
        self._started = threading.Event()
        database.on_commit(self._after_commit)

    def _after_commit(self, session: AsyncSession) -> None:
        if session.info.pop(_WROTE_EVENTS, False):
            self.wake()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._relay is not None and self._relay.running

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the outbox relay is already started")
        self._loop = asyncio.new_event_loop()
        self._stop_requested = asyncio.Event()
        self._started.clear()
        self._done = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._thread_main, name=f"outbox-relay-{self.service}", daemon=True)
        self._thread.start()

    def _thread_main(self) -> None:
        loop, done = self._loop, self._done
        assert loop is not None and done is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
            loop.run_until_complete(loop.shutdown_asyncgens())
        except BaseException as error:  # reported to `stop`, which re-raises nothing but logs it
            logger.exception("outbox relay thread failed")
            done.set_exception(error)
        else:
            done.set_result(None)
        finally:
            loop.close()

    async def _main(self) -> None:
        database = Database(self.database.url, pool_size=self.pool_size)
        bus = self.make_bus()
        relay = OutboxRelay(
            database,
            bus,
            batch_size=self.batch_size,
            poll_seconds=self.poll_seconds,
            max_backoff_seconds=self.max_backoff_seconds,
            service=self.service,
            wake_on_commit=False,  # its own database object sees no commit: the service's wakes it
            listen=True,
        )
        bus_started = False
        try:
            bus_started = await self._start_bus(bus)
            if not bus_started:
                return
            relay.start()
            self._relay = relay
            self._started.set()
            await self._stop_requested.wait()
            await relay.stop(flush=self._flush_on_stop)
        finally:
            self._relay = None
            if bus_started:
                try:
                    await bus.stop()
                except Exception:
                    logger.warning("outbox relay's bus did not stop cleanly", exc_info=True)
            await database.dispose()

    async def _start_bus(self, bus: EventBus) -> bool:
        """Connects the relay's bus, retrying while the broker is away; False when stopped first."""
        delay = 0.5
        while not self._stop_requested.is_set():
            try:
                await bus.start()
                return True
            except Exception:
                logger.warning("outbox relay cannot reach the bus; retrying", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_requested.wait(), timeout=delay)
            delay = min(delay * 2, self.max_backoff_seconds)
        return False

    async def wait_started(self, timeout: float) -> bool:
        """Waits until the relay runs (its bus connected); False if it did not within `timeout`."""
        return await asyncio.to_thread(self._started.wait, timeout)

    async def stop(self, *, flush: bool = True) -> None:
        """Stops the relay's thread; with `flush`, it publishes what is still unsent first."""
        if self._thread is None or self._loop is None or self._done is None:
            return
        self._flush_on_stop = flush
        with contextlib.suppress(RuntimeError):  # the loop already closed: the thread is over
            self._loop.call_soon_threadsafe(self._stop_requested.set)
        try:
            await asyncio.wrap_future(self._done)
        except Exception:
            logger.warning("outbox relay stopped with an error", exc_info=True)
        await asyncio.to_thread(self._thread.join)
        self._thread = None
        self._loop = None

    def wake(self) -> None:
        relay, loop = self._relay, self._loop
        if relay is not None and loop is not None:
            loop.call_soon_threadsafe(relay.wake)

    async def publish_batch(self) -> int:
        """One pass, run on the relay's loop (e.g. a test or a launcher that wants the rows out now)."""
        return await self._on_relay_loop(lambda relay: relay.publish_batch())

    async def _on_relay_loop(self, work: Callable[[OutboxRelay], Coroutine[Any, Any, _T]]) -> _T:
        relay, loop = self._relay, self._loop
        if relay is None or loop is None:
            raise RuntimeError("the outbox relay is not running")
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work(relay), loop))

    async def backlog(self) -> tuple[int, float | None]:
        """How many rows are unsent, and the age in seconds of the oldest (for metrics)."""
        return await outbox_backlog(self.database, self.service)
