"""Move a consumer's dead-lettered messages back to its queue, after the cause has been fixed.

    python -m shared.events.replay --service ticket [--limit N] [--dry-run]

The broker URL and namespace come from `--broker-url`/`--namespace`, else from the service's own
environment (`TICKET_BROKER_URL`, `TICKET_EVENT_NAMESPACE`), else the defaults. Each message is
republished (persistent, confirmed) with its retry count reset before it is removed from the DLQ, so
a crash in between can duplicate a message but never lose one; the consumer's inbox absorbs duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from shared.events.rabbitmq import RETRY_HEADER, Topology
from shared.settings import DEFAULT_BROKER_URL


async def replay(
    broker_url: str, namespace: str, consumer: str, *, limit: int | None = None, dry_run: bool = False
) -> int:
    topology = Topology(namespace)
    connection = await aio_pika.connect_robust(broker_url)
    moved = 0
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        dead_letters = await channel.declare_queue(topology.dead_letter_queue(consumer), passive=True)
        # Only the messages there at the start: one that fails again at once lands behind them, and must
        # not be replayed over and over.
        waiting = dead_letters.declaration_result.message_count or 0
        limit = waiting if limit is None else min(limit, waiting)
        if dry_run:
            return await _list(dead_letters, limit)
        while moved < limit:
            message = await dead_letters.get(no_ack=False, fail=False)
            if message is None:
                break
            headers = {key: value for key, value in (message.headers or {}).items() if not key.startswith("x-death")}
            headers[RETRY_HEADER] = 0
            await channel.default_exchange.publish(
                aio_pika.Message(
                    body=message.body,
                    headers=headers,
                    content_type=message.content_type,
                    message_id=message.message_id,
                    type=message.type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=topology.queue(consumer),
            )
            await message.ack()
            moved += 1
    return moved


async def _list(dead_letters: AbstractQueue, limit: int) -> int:
    # Each message is held unacknowledged while listing, so the next get returns the next one (a message
    # put back at once would come straight back); all of them return to their places at the end.
    held: list[AbstractIncomingMessage] = []
    try:
        while len(held) < limit:
            message = await dead_letters.get(no_ack=False, fail=False)
            if message is None:
                break
            held.append(message)
            print(f"{message.message_id} {message.type}")
    finally:
        for message in held:
            await message.nack(requeue=True)
    return len(held)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.events.replay", description=__doc__.split("\n")[0])
    parser.add_argument("--service", required=True, help="the consuming service, e.g. ticket or evaluation")
    parser.add_argument("--broker-url")
    parser.add_argument("--namespace")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--dry-run", action="store_true", help="list the messages, move nothing")
    arguments = parser.parse_args(argv)
    prefix = arguments.service.upper()
    broker_url = arguments.broker_url or os.environ.get(f"{prefix}_BROKER_URL", DEFAULT_BROKER_URL)
    namespace = arguments.namespace or os.environ.get(f"{prefix}_EVENT_NAMESPACE", "doorstep")
    moved = asyncio.run(
        replay(broker_url, namespace, arguments.service, limit=arguments.limit, dry_run=arguments.dry_run)
    )
    verb = "listed" if arguments.dry_run else "replayed"
    print(f"{verb} {moved} message(s) from {namespace}.{arguments.service}.dlq", file=sys.stderr)


if __name__ == "__main__":
    main()
