"""Consumer crash: the evaluation service is killed (SIGKILL, no graceful shutdown) while it consumes a
thousand closings, then started again. Every closed ticket still ends with exactly one invitation."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from tests.conftest import eventually
from tests.faults.system import (
    Load,
    every_closed_ticket_invited_once,
    gateway_client,
    metric,
    open_station,
    outcome,
    service_metrics,
)

pytestmark = pytest.mark.integration

TICKETS = 1000


async def test_a_killed_consumer_loses_and_doubles_no_invitation(stack):
    started = time.monotonic()
    async with gateway_client(stack) as http:
        station = await open_station(stack, http, "宕机")
        load = Load(http, station, TICKETS)
        running = asyncio.create_task(load.run())

        async def consuming() -> bool:
            if running.done():
                running.result()  # the load failed: report why
            return len((await outcome(stack, station)).invitations) >= TICKETS // 10

        await eventually(consuming, timeout=300, interval=0.2)
        victim = stack.processes["evaluation"]
        victim.send_signal(signal.SIGKILL)
        await asyncio.to_thread(victim.wait)
        invited_at_kill = len((await outcome(stack, station)).invitations)
        await asyncio.sleep(3)  # closings go on meanwhile and queue up for the dead consumer
        stack.start("evaluation")
        await asyncio.to_thread(stack.wait_ready, "evaluation", 120)
        closed = await running
        loaded = time.monotonic() - started

    assert victim.returncode == -signal.SIGKILL
    assert 0 < invited_at_kill < TICKETS, "the consumer was killed mid-stream"
    result = await every_closed_ticket_invited_once(stack, station, closed, timeout=180)
    text = await service_metrics(stack, "evaluation")
    duplicates = metric(
        text, "doorstep_events_consumed_total", consumer="evaluation", type="ticket.closed", outcome="duplicate"
    )
    print(
        f"\nconsumer crash: {len(closed)} tickets closed, killed at {invited_at_kill} invitations, "
        f"{len(result.invitations)} invitations, one each ({duplicates:.0f} redeliveries ignored by the inbox); "
        f"load {loaded:.0f}s, all invited after {time.monotonic() - started:.0f}s"
    )
