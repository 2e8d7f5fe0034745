"""Waking the feed streams open on this replica when a person gets an item.

An event is consumed by one replica, but the person's stream may be held by another. On PostgreSQL the
transaction that adds the item sends NOTIFY (delivered at commit, to every replica's listener); on
SQLite (the embedded mode: one process) a commit hook wakes the streams directly. A wake carries only the
person: the stream then reads what it has not sent from the database, so a lost or doubled wake costs
nothing but a query; while the listener is away, each stream also looks again at every heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.feed.metrics import FEED_ITEMS, FEED_LISTENER_CONNECTED
from shared.database import Database

logger = logging.getLogger("notification.feed")

CHANNEL = "doorstep_feed"
PEOPLE_KEY = "feed.people"  # session.info: who got items in this transaction
KINDS_KEY = "feed.kinds"  # session.info: the kinds of the items added, counted once committed
RECONNECT_MAX_SECONDS = 30.0


class FeedHub:
    """The streams open on this replica, by person; `wake` tells each of a person's streams to look."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}
        # False while wakes may be lost (the PostgreSQL listener is reconnecting): streams then poll.
        self.reliable = True

    def subscribe(self, person_id: str) -> asyncio.Event:
        signal = asyncio.Event()
        self._waiting.setdefault(person_id, set()).add(signal)
        return signal

    def unsubscribe(self, person_id: str, signal: asyncio.Event) -> None:
        waiting = self._waiting.get(person_id)
        if waiting is not None:
            waiting.discard(signal)
            if not waiting:
                del self._waiting[person_id]

    def wake(self, person_ids: Iterable[str]) -> None:
        for person_id in person_ids:
            for signal in self._waiting.get(person_id, ()):
                signal.set()

    def wake_all(self) -> None:
        self.wake(list(self._waiting))

    @property
    def streams(self) -> int:
        return sum(len(signals) for signals in self._waiting.values())


def remember(session: AsyncSession, person_id: str, kind: str) -> None:
    session.info.setdefault(PEOPLE_KEY, set()).add(person_id)
    session.info.setdefault(KINDS_KEY, []).append(kind)


class CommitHook:
    """After each commit of this replica's database: counts the items added and, where there is no
    NOTIFY (SQLite), wakes the streams of the people who got them."""

    def __init__(self, hub: FeedHub, *, wake: bool) -> None:
        self.hub = hub
        self.wake = wake

    def __call__(self, session: AsyncSession) -> None:
        people = session.info.pop(PEOPLE_KEY, None)
        for kind in session.info.pop(KINDS_KEY, ()):
            FEED_ITEMS.labels(kind).inc()
        if self.wake and people:
            self.hub.wake(people)


class FeedListener:
    """LISTEN on the feed channel over a connection of its own (asyncpg), reconnecting with backoff;
    after each (re)connection every open stream looks again, for what was committed while away."""

    def __init__(self, database: Database, hub: FeedHub) -> None:
        url = make_url(database.url).set(drivername="postgresql")
        self.dsn = url.render_as_string(hide_password=False)
        self.hub = hub
        self.listening = asyncio.Event()
        self._stopping = False
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        hub.reliable = False  # until the first LISTEN is in place

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="feed-listener")

    async def stop(self) -> None:
        self._stopping = True
        self._lost.set()
        if self._task is not None:
            await self._task
            self._task = None

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        self.hub.wake((payload,))

    def _terminated(self, _connection: object) -> None:
        self._lost.set()

    async def _run(self) -> None:
        import asyncpg

        delay = 0.5
        while not self._stopping:
            connection = None
            try:
                connection = await asyncpg.connect(self.dsn, timeout=5)
                connection.add_termination_listener(self._terminated)
                await connection.add_listener(CHANNEL, self._notified)
                self._lost.clear()
                if self._stopping:  # stop() came while connecting
                    return
                self.listening.set()
                FEED_LISTENER_CONNECTED.set(1)
                self.hub.reliable = True
                self.hub.wake_all()
                delay = 0.5
                await self._lost.wait()
            except Exception as error:  # the database is away: try again, streams keep their heartbeat look
                logger.warning("feed listener lost the database", extra={"error": repr(error)})
            finally:
                self.listening.clear()
                self.hub.reliable = False
                FEED_LISTENER_CONNECTED.set(0)
                if connection is not None and not connection.is_closed():
                    try:
                        await asyncio.wait_for(connection.close(), timeout=5)
                    except Exception:
                        connection.terminate()
            if not self._stopping:
                try:
                    await asyncio.wait_for(self._lost.wait(), timeout=delay)
                except TimeoutError:
                    pass
                self._lost.clear()
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)
