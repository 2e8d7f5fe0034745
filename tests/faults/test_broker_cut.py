"""Broker cut: RabbitMQ is unreachable for 10 seconds while a thousand tickets are raised and closed.

The desk keeps working (events wait in the outbox), and afterwards every closed ticket has exactly one
evaluation invitation: none lost, none doubled.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.system import Load, every_closed_ticket_invited_once, gateway_client, open_station, query

pytestmark = pytest.mark.integration

TICKETS = 1000
CUT_SECONDS = 10


async def test_a_broker_cut_loses_and_doubles_no_invitation(stack, broker_proxy):
    started = time.monotonic()
    async with gateway_client(stack) as http:
        station = await open_station(stack, http, "断网")
        load = Load(http, station, TICKETS)
        running = asyncio.create_task(load.run())
        await load.reached(TICKETS // 10, running)
        dropped = broker_proxy.cut()
        try:
            connections_before = broker_proxy.counts.accepted
            cut_at = len(load.closed)
            await asyncio.sleep(CUT_SECONDS)
            # Closings committed during the cut wait in the ticket service's outbox.
            waiting = await query(
                stack, "ticket", "SELECT count(*) AS n FROM outbox_message WHERE published_at IS NULL"
            )
        finally:
            broker_proxy.restore()
        restored_at = len(load.closed)
        closed = await running
        loaded = time.monotonic() - started

    assert dropped >= len(stack.ports), "each service had a broker connection to lose"
    assert restored_at > cut_at, "tickets were closed while the broker was away"
    assert waiting[0]["n"] > 0
    assert broker_proxy.counts.refused > 0, "the services tried to reconnect during the cut"
    result = await every_closed_ticket_invited_once(stack, station, closed, timeout=180)
    assert broker_proxy.counts.accepted > connections_before, "the services reconnected after the cut"
    print(
        f"\nbroker cut: {len(closed)} tickets closed ({restored_at - cut_at} during the {CUT_SECONDS}s cut, "
        f"{dropped} connections dropped, {waiting[0]['n']} events held in the outbox), "
        f"{len(result.invitations)} invitations, one each; load {loaded:.0f}s, "
        f"all invited after {time.monotonic() - started:.0f}s"
    )
