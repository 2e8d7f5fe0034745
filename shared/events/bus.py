"""The event bus: one protocol, two implementations (RabbitMQ, and in-process for the embedded mode).

Outbox, relay and inbox code are the same over both; only delivery differs.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from shared.events.envelope import EventEnvelope
from shared.metrics import EVENTS_DEAD_LETTERED, EVENTS_RETRIED

logger = logging.getLogger("shared.bus")

# A handler may answer something (the inbox says whether the event was new); the bus ignores it.
Handler = Callable[[EventEnvelope], Awaitable[object]]
BatchHandler = Callable[[list[EventEnvelope]], Awaitable[None]]


class PermanentFailure(Exception):
    """A handler's verdict that retrying can never succeed: the message goes straight to the DLQ."""


class EventBus(Protocol):
    def subscribe(
        self, consumer: str, event_types: Iterable[str], handler: Handler, batch_handler: BatchHandler | None = None
    ) -> None:
        """Register a consumer before `start`; event types may use `*` (e.g. `station.*`). A bus may hand
        several events at once to `batch_handler` (one transaction for many events)."""

    async def start(self) -> None: ...

    async def publish(self, envelope: EventEnvelope) -> None:
        """Return only once the bus holds the event durably (broker confirm), else raise."""

    async def publish_many(self, envelopes: list[EventEnvelope]) -> list[BaseException | None]:
        """Publish several; one result per envelope (None when the bus holds it)."""

    async def stop_consumers(self) -> None:
        """Stop taking messages and settle those in hand; publishing still works (to flush the outbox)."""

    async def stop(self) -> None: ...

    def is_consuming(self, consumer: str) -> bool: ...

    async def dead_letter_depth(self, consumer: str) -> int:
        """How many of the consumer's messages wait in its dead-letter queue."""


def matches(pattern: str, event_type: str) -> bool:
    """`*` matches one dot-separated word, `#` any number: the AMQP topic rules, for the in-process bus."""
    pattern_words, type_words = pattern.split("."), event_type.split(".")
    if "#" in pattern_words:
        return fnmatch.fnmatchcase(event_type, pattern.replace("#", "*"))
    return len(pattern_words) == len(type_words) and all(
        p == "*" or p == t for p, t in zip(pattern_words, type_words, strict=True)
    )


@dataclass
class _Subscription:
    consumer: str
    event_types: tuple[str, ...]
    handler: Handler
    batch_handler: BatchHandler | None = None
    dead_letters: list[EventEnvelope] = field(default_factory=list)
    # One delivery at a time per consumer, as a broker queue with one consumer would: concurrent writers
    # on one SQLite database only queue behind each other's locks.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def wants(self, envelope: EventEnvelope) -> bool:
        return any(matches(pattern, envelope.type) for pattern in self.event_types)


class InProcessBus:
    """Delivers events to handlers in the same process (the embedded mode).

    `publish` runs each matching handler once and returns; a failing handler is retried in the
    background after a delay, and after the retries its event is kept in that consumer's dead letters.
    """

    def __init__(self, *, max_retries: int = 5, retry_delay_seconds: float = 2.0) -> None:
        self.max_retries = max_retries
        self.retry_delay_seconds = retry_delay_seconds
        self._subscriptions: list[_Subscription] = []
        self._retries: set[asyncio.Task[None]] = set()
        self._started = False

    def subscribe(
        self, consumer: str, event_types: Iterable[str], handler: Handler, batch_handler: BatchHandler | None = None
    ) -> None:
        self._subscriptions.append(_Subscription(consumer, tuple(event_types), handler, batch_handler))

    async def start(self) -> None:
        self._started = True

    async def stop_consumers(self) -> None:
        """Retries still waiting are dropped here; their outbox rows were sent, so this is the embedded
        mode's one documented gap (see README)."""
        self._started = False

    async def stop(self) -> None:
        self._started = False
        for task in list(self._retries):
            task.cancel()
        await asyncio.gather(*self._retries, return_exceptions=True)

    def is_consuming(self, consumer: str) -> bool:
        return self._started and any(s.consumer == consumer for s in self._subscriptions)

    async def dead_letter_depth(self, consumer: str) -> int:
        return len(self.dead_letters(consumer))

    def dead_letters(self, consumer: str) -> list[EventEnvelope]:
        return [e for s in self._subscriptions if s.consumer == consumer for e in s.dead_letters]

    async def publish(self, envelope: EventEnvelope) -> None:
        for subscription in self._subscriptions:
            if subscription.wants(envelope):
                await self._deliver(subscription, envelope, attempt=0)

    async def publish_many(self, envelopes: list[EventEnvelope]) -> list[BaseException | None]:
        """Each consumer gets its share in one batch (one transaction); if the batch fails, the events
        are delivered one by one so that only the failing ones are retried."""
        for subscription in self._subscriptions:
            wanted = [envelope for envelope in envelopes if subscription.wants(envelope)]
            if not wanted:
                continue
            if subscription.batch_handler is not None and len(wanted) > 1:
                try:
                    async with subscription.lock:
                        await subscription.batch_handler(wanted)
                    continue
                except Exception:
                    logger.warning(
                        "batch delivery failed; delivering one by one", extra={"consumer": subscription.consumer}
                    )
            for envelope in wanted:
                await self._deliver(subscription, envelope, attempt=0)
        return [None] * len(envelopes)

    async def _deliver(self, subscription: _Subscription, envelope: EventEnvelope, attempt: int) -> None:
        try:
            async with subscription.lock:
                await subscription.handler(envelope)
        except Exception as error:
            if isinstance(error, PermanentFailure) or attempt >= self.max_retries:
                logger.error(
                    "event dead-lettered",
                    extra={"consumer": subscription.consumer, "event_id": envelope.id, "error": repr(error)},
                )
                subscription.dead_letters.append(envelope)
                EVENTS_DEAD_LETTERED.labels(subscription.consumer, envelope.type).inc()
                return
            logger.warning(
                "event handler failed; retrying",
                extra={"consumer": subscription.consumer, "event_id": envelope.id, "attempt": attempt + 1},
            )
            EVENTS_RETRIED.labels(subscription.consumer, envelope.type).inc()
            task = asyncio.create_task(self._retry_later(subscription, envelope, attempt + 1))
            self._retries.add(task)
            task.add_done_callback(self._retries.discard)

    async def _retry_later(self, subscription: _Subscription, envelope: EventEnvelope, attempt: int) -> None:
        await asyncio.sleep(self.retry_delay_seconds)
        await self._deliver(subscription, envelope, attempt)
