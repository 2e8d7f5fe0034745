"""The RabbitMQ event bus (aio-pika).

Topology, for namespace N:
- `N.events`, a durable topic exchange; routing key = event type. Its alternate exchange `N.unrouted`
  keeps events that no queue is bound for yet (a week at most), so none is silently dropped.
- per consuming service C: durable queue `N.C` bound to its event types, dead-lettering to `N.dead`
  with key `N.C.dlq`; `N.C.retry` holds a failed message for the retry delay, then dead-letters it
  back to `N.C`; `N.C.dlq` keeps what failed every retry, for an operator to inspect and replay.
Publishing waits for the broker's confirm; messages are persistent and mandatory.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractRobustChannel,
    AbstractRobustConnection,
    AbstractRobustExchange,
    AbstractRobustQueue,
)
from opentelemetry.trace import SpanKind

from shared import tracing
from shared.database import is_unavailable
from shared.events.bus import Handler, PermanentFailure
from shared.events.envelope import CONTENT_TYPE, EventEnvelope, MalformedEvent
from shared.metrics import EVENTS_DEAD_LETTERED, EVENTS_RETRIED

logger = logging.getLogger("shared.rabbitmq")

RETRY_HEADER = "x-doorstep-retries"


@dataclass
class _Consumer:
    name: str
    event_types: tuple[str, ...]
    handler: Handler
    queue: AbstractRobustQueue | None = None
    channel: AbstractRobustChannel | None = None
    consumer_tag: str | None = None


class Topology:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.exchange = f"{namespace}.events"
        self.unrouted_exchange = f"{namespace}.unrouted"
        self.unrouted_queue = f"{namespace}.unrouted"
        self.dead_exchange = f"{namespace}.dead"

    def queue(self, consumer: str) -> str:
        return f"{self.namespace}.{consumer}"

    def retry_queue(self, consumer: str) -> str:
        return f"{self.queue(consumer)}.retry"

    def dead_letter_queue(self, consumer: str) -> str:
        return f"{self.queue(consumer)}.dlq"


UNROUTED_TTL_MS = 7 * 24 * 3600 * 1000
UNROUTED_MAX_MESSAGES = 1_000_000


class RabbitMQBus:
    def __init__(
        self,
        url: str,
        *,
        namespace: str = "doorstep",
        prefetch: int = 32,
        max_retries: int = 5,
        retry_delay_ms: int = 2000,
        publish_timeout_seconds: float = 10.0,
        connection_name: str = "doorstep",
    ) -> None:
        self.url = url
        # Shown in the broker's management UI: the outbox relay's connection is `doorstep-relay`.
        self.connection_name = connection_name
        self.topology = Topology(namespace)
        self.prefetch = prefetch
        self.max_retries = max_retries
        self.retry_delay_ms = retry_delay_ms
        self.publish_timeout_seconds = publish_timeout_seconds
        self._consumers: list[_Consumer] = []
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractRobustChannel | None = None
        self._exchange: AbstractRobustExchange | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._stopping = False

    def subscribe(
        self, consumer: str, event_types: Iterable[str], handler: Handler, batch_handler: object = None
    ) -> None:
        # Broker deliveries are one message at a time (with prefetch); the batch path is in-process only.
        self._consumers.append(_Consumer(consumer, tuple(event_types), handler))

    async def start(self) -> None:
        self._stopping = False
        self._connection = await aio_pika.connect_robust(
            self.url, client_properties={"connection_name": self.connection_name}
        )
        self._publish_channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        self._exchange = await self._declare_exchanges(self._publish_channel)
        for consumer in self._consumers:
            await self._start_consumer(consumer)

    async def _declare_exchanges(self, channel: AbstractRobustChannel) -> AbstractRobustExchange:
        topology = self.topology
        unrouted = await channel.declare_exchange(
            topology.unrouted_exchange, aio_pika.ExchangeType.FANOUT, durable=True
        )
        # Events nobody subscribes to (ticket.created today) pile up here: keep a week and at most
        # UNROUTED_MAX_MESSAGES, oldest dropped first, so the broker's disk never fills with them.
        unrouted_queue = await channel.declare_queue(
            topology.unrouted_queue,
            durable=True,
            arguments={
                "x-message-ttl": UNROUTED_TTL_MS,
                "x-max-length": UNROUTED_MAX_MESSAGES,
                "x-overflow": "drop-head",
            },
        )
        await unrouted_queue.bind(unrouted)
        await channel.declare_exchange(topology.dead_exchange, aio_pika.ExchangeType.DIRECT, durable=True)
        return await channel.declare_exchange(
            topology.exchange,
            aio_pika.ExchangeType.TOPIC,
            durable=True,
            arguments={"alternate-exchange": topology.unrouted_exchange},
        )

    async def _start_consumer(self, consumer: _Consumer) -> None:
        assert self._connection is not None
        topology = self.topology
        channel = await self._connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=self.prefetch)
        exchange = await self._declare_exchanges(channel)
        dead_exchange = await channel.get_exchange(topology.dead_exchange)
        main_name = topology.queue(consumer.name)
        dead_letter_queue = await channel.declare_queue(topology.dead_letter_queue(consumer.name), durable=True)
        await dead_letter_queue.bind(dead_exchange, routing_key=topology.dead_letter_queue(consumer.name))
        await channel.declare_queue(
            topology.retry_queue(consumer.name),
            durable=True,
            arguments={
                "x-message-ttl": self.retry_delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": main_name,
            },
        )
        queue = await channel.declare_queue(
            main_name,
            durable=True,
            arguments={
                "x-dead-letter-exchange": topology.dead_exchange,
                "x-dead-letter-routing-key": topology.dead_letter_queue(consumer.name),
            },
        )
        for event_type in consumer.event_types:
            await queue.bind(exchange, routing_key=event_type)
        consumer.channel = channel
        consumer.queue = queue
        consumer.consumer_tag = await queue.consume(functools.partial(self._on_message, consumer))

    async def _on_message(self, consumer: _Consumer, message: AbstractIncomingMessage) -> None:
        # Tracked so that a graceful stop can wait for the messages in hand to be settled.
        task = asyncio.current_task()
        assert task is not None
        self._in_flight.add(task)
        try:
            await self._process(consumer, message)
        finally:
            self._in_flight.discard(task)

    async def _process(self, consumer: _Consumer, message: AbstractIncomingMessage) -> None:
        try:
            envelope = EventEnvelope.from_json(message.body)
        except MalformedEvent:
            logger.error("malformed event dead-lettered", extra={"consumer": consumer.name})
            EVENTS_DEAD_LETTERED.labels(consumer.name, "malformed").inc()
            await message.reject(requeue=False)
            return
        try:
            await consumer.handler(envelope)
        except Exception as error:
            retried = (message.headers or {}).get(RETRY_HEADER, 0) or 0
            retries = int(retried) if isinstance(retried, int | str) else 0
            if is_unavailable(error) and not isinstance(error, PermanentFailure):
                # The database is away, not the message at fault: park it for the retry delay without
                # spending one of its retries, so an outage of any length sends nothing to the DLQ.
                logger.warning(
                    "database unavailable; event parked until it returns",
                    extra={"consumer": consumer.name, "event_id": envelope.id, "error": repr(error)},
                )
                try:
                    await self._schedule_retry(consumer, message, retries)
                except Exception:
                    await message.nack(requeue=True)
                    return
                EVENTS_RETRIED.labels(consumer.name, envelope.type).inc()
                await message.ack()
                return
            if isinstance(error, PermanentFailure) or retries >= self.max_retries:
                logger.error(
                    "event dead-lettered",
                    extra={
                        "consumer": consumer.name,
                        "event_id": envelope.id,
                        "retries": retries,
                        "error": repr(error),
                    },
                )
                EVENTS_DEAD_LETTERED.labels(consumer.name, envelope.type).inc()
                await message.reject(requeue=False)
                return
            logger.warning(
                "event handler failed; scheduling retry",
                extra={
                    "consumer": consumer.name,
                    "event_id": envelope.id,
                    "retries": retries + 1,
                    "error": repr(error),
                },
            )
            try:
                await self._schedule_retry(consumer, message, retries + 1)
            except Exception:
                # Could not park it for later: let the broker redeliver it instead of losing it.
                await message.nack(requeue=True)
                return
            EVENTS_RETRIED.labels(consumer.name, envelope.type).inc()
            await message.ack()
            return
        await message.ack()

    async def _schedule_retry(self, consumer: _Consumer, message: AbstractIncomingMessage, retries: int) -> None:
        assert consumer.channel is not None
        headers = dict(message.headers or {})
        headers[RETRY_HEADER] = retries
        retry = aio_pika.Message(
            body=message.body,
            headers=headers,
            content_type=message.content_type,
            message_id=message.message_id,
            type=message.type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await consumer.channel.default_exchange.publish(retry, routing_key=self.topology.retry_queue(consumer.name))

    async def publish_many(self, envelopes: list[EventEnvelope]) -> list[BaseException | None]:
        # Confirms are pipelined: all are sent, then all confirms awaited.
        return await asyncio.gather(*(self.publish(envelope) for envelope in envelopes), return_exceptions=True)

    async def publish(self, envelope: EventEnvelope) -> None:
        if self._exchange is None:
            raise RuntimeError("the bus is not started")
        exchange = self._exchange
        attributes = {
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "send",
            "messaging.destination.name": exchange.name,
            "messaging.rabbitmq.destination.routing_key": envelope.type,
            "messaging.message.id": envelope.id,
        }
        # The broker span, in the trace of the request that caused the event; the message carries this
        # span's context, so the consumer's span follows on from it.
        with tracing.span(
            f"publish {envelope.type}", SpanKind.PRODUCER, envelope.traceparent, envelope.source, attributes
        ):
            if tracing.tracing_enabled():
                envelope = dataclasses.replace(envelope, traceparent=tracing.current_traceparent())
            message = aio_pika.Message(
                body=envelope.to_json(),
                content_type=CONTENT_TYPE,
                message_id=envelope.id,
                type=envelope.type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
            await exchange.publish(
                message, routing_key=envelope.type, mandatory=True, timeout=self.publish_timeout_seconds
            )

    async def dead_letter_depth(self, consumer: str) -> int:
        if self._connection is None or self._publish_channel is None:
            return 0
        channel = await self._connection.channel()
        try:
            queue = await channel.declare_queue(self.topology.dead_letter_queue(consumer), passive=True)
            return queue.declaration_result.message_count or 0
        finally:
            await channel.close()

    def is_consuming(self, consumer: str) -> bool:
        if self._connection is None or self._connection.is_closed:
            return False
        return any(c.name == consumer and c.consumer_tag is not None for c in self._consumers)

    async def stop_consumers(self) -> None:
        """Stop taking messages and settle the ones in hand; publishing still works."""
        self._stopping = True
        for consumer in self._consumers:
            if consumer.queue is not None and consumer.consumer_tag is not None:
                try:
                    await consumer.queue.cancel(consumer.consumer_tag)
                except Exception:
                    logger.warning("could not cancel consumer %s", consumer.name, exc_info=True)
                consumer.consumer_tag = None
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def stop(self) -> None:
        await self.stop_consumers()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
            self._exchange = None


__all__ = ["PermanentFailure", "RabbitMQBus", "Topology"]
