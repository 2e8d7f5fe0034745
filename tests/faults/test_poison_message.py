"""Poison messages: closings the evaluation service cannot record (its database refuses them, as a bad
row or a broken constraint would) are retried the set number of times, then wait in its dead-letter
queue, where /metrics shows them. After the fix, the replay command of docs/operations.md puts them back
and each is handled once."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import aio_pika
import asyncpg
import pytest

from tests.conftest import POSTGRES_URL, eventually
from tests.faults.system import (
    CONSUMER_MAX_RETRIES,
    create_and_close,
    gateway_client,
    metric,
    open_station,
    outcome,
    query,
    service_metrics,
    ticket_body,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CONSUMER = {"consumer": "evaluation", "type": "ticket.closed"}

# The injected fault: recording a closed ticket fails for the tickets listed in `fault_injection`.
INJECT = """
CREATE TABLE fault_injection (ticket_id uuid PRIMARY KEY);
CREATE FUNCTION refuse_injected() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM fault_injection WHERE ticket_id = NEW.ticket_id) THEN
        RAISE EXCEPTION 'injected fault for ticket %', NEW.ticket_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_injected BEFORE INSERT ON closed_ticket FOR EACH ROW EXECUTE FUNCTION refuse_injected();
"""
REMOVE = """
DROP TRIGGER IF EXISTS refuse_injected ON closed_ticket;
DROP FUNCTION IF EXISTS refuse_injected();
DROP TABLE IF EXISTS fault_injection;
"""


async def _execute(stack, sql: str, *arguments) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_URL}/{stack.database_name('evaluation')}")
    try:
        await connection.execute(sql, *arguments)
    finally:
        await connection.close()


async def _replay(stack, *options: str) -> tuple[str, str]:
    """The documented command, run as an operator would in the service's pod (with its environment)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.events.replay",
        "--service",
        "evaluation",
        *options,
        env=stack.environment("evaluation"),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode(), stderr.decode()


async def _dead_letter_depth(stack) -> float:
    return metric(await service_metrics(stack, "evaluation"), "doorstep_dlq_depth", consumer="evaluation")


def test_the_replay_command_the_test_runs_is_the_documented_one():
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert "python -m shared.events.replay --service" in operations
    assert "--dry-run" in operations and "--limit" in operations


async def test_poison_messages_are_dead_lettered_after_their_retries_and_replayed_once_after_the_fix(stack):
    before = await service_metrics(stack, "evaluation")
    dead_lettered_before = metric(before, "doorstep_events_dead_lettered_total", **CONSUMER)
    retried_before = metric(before, "doorstep_events_retried_total", **CONSUMER)
    await _execute(stack, INJECT)
    try:
        async with gateway_client(stack) as http:
            station = await open_station(stack, http, "毒消息")
            poisoned = []
            for number in (1, 2):
                created = await http.post("/api/v1/tickets", headers=station.staff(), json=ticket_body(station, number))
                assert created.status_code == 201, created.text
                poisoned.append(created.json()["id"])
                await _execute(stack, "INSERT INTO fault_injection VALUES ($1)", uuid.UUID(poisoned[-1]))
                closed = await http.post(
                    f"/api/v1/tickets/{poisoned[-1]}/close", headers=station.staff(), json={"result_text": "已办结"}
                )
                assert closed.status_code == 200, closed.text
            healthy = await create_and_close(http, station, 3)

        async def both_dead_lettered() -> bool:
            return await _dead_letter_depth(stack) == 2

        await eventually(both_dead_lettered, timeout=90, interval=0.5)
        after = await service_metrics(stack, "evaluation")
        assert metric(after, "doorstep_events_dead_lettered_total", **CONSUMER) - dead_lettered_before == 2
        assert metric(after, "doorstep_events_retried_total", **CONSUMER) - retried_before == 2 * CONSUMER_MAX_RETRIES

        async def healthy_invited() -> bool:
            return (await outcome(stack, station)).invitations == {healthy: 1}

        await eventually(healthy_invited, timeout=60)  # the others go on while two wait in the DLQ

        # The operator looks first: both messages listed, nothing moved.
        closing_ids = {
            row["ticket"]: row["id"]
            for row in await query(
                stack,
                "ticket",
                "SELECT payload::jsonb -> 'data' ->> 'ticket_id' AS ticket, id::text AS id FROM outbox_message"
                " WHERE event_type = 'ticket.closed' AND (payload::jsonb -> 'data' ->> 'station_id') = $1",
                station.id,
            )
        }
        listed, _ = await _replay(stack, "--dry-run")
        assert sorted(line.split()[0] for line in listed.splitlines()) == sorted(closing_ids[t] for t in poisoned)
        assert await _dead_letter_depth(stack) == 2

        # The fix; then one message first, as the runbook advises, then the rest.
        await _execute(stack, "DELETE FROM fault_injection")
        _, said = await _replay(stack, "--limit", "1")
        assert "replayed 1 message(s)" in said

        async def one_more_invited() -> bool:
            return len((await outcome(stack, station)).invitations) == 2

        await eventually(one_more_invited, timeout=60)
        assert await _dead_letter_depth(stack) == 1
        _, said = await _replay(stack)
        assert "replayed 1 message(s)" in said

        async def all_invited() -> bool:
            return (await outcome(stack, station)).invitations == {healthy: 1, poisoned[0]: 1, poisoned[1]: 1}

        await eventually(all_invited, timeout=60)
    finally:
        await _execute(stack, REMOVE)

    assert await _dead_letter_depth(stack) == 0
    final = await service_metrics(stack, "evaluation")
    assert metric(final, "doorstep_events_dead_lettered_total", **CONSUMER) - dead_lettered_before == 2
    inbox = await query(
        stack,
        "evaluation",
        "SELECT message_id, count(*) AS n FROM inbox_message WHERE message_id = ANY($1::text[]) GROUP BY 1",
        [closing_ids[t] for t in poisoned],
    )
    assert {row["message_id"]: row["n"] for row in inbox} == {closing_ids[t]: 1 for t in poisoned}
    _, said = await _replay(stack)
    assert "replayed 0 message(s)" in said
    print(f"\npoison: 2 dead-lettered after {CONSUMER_MAX_RETRIES} retries each, replayed after the fix, 3 invitations")


async def test_a_message_that_can_never_be_handled_is_replayed_once_not_forever(stack, rabbitmq):
    """A malformed event (no CloudEvents envelope) goes to the DLQ at once; a replay without --limit moves
    back the messages that were waiting when it started, and stops though this one comes straight back."""
    before = await service_metrics(stack, "evaluation")
    malformed_before = metric(before, "doorstep_events_dead_lettered_total", consumer="evaluation", type="malformed")
    depth_before = await _dead_letter_depth(stack)
    connection = await aio_pika.connect(rabbitmq)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(f"{stack.namespace}.events")
        await exchange.publish(
            aio_pika.Message(body=b"{not json", message_id="malformed-1"), routing_key="ticket.closed"
        )

        async def dead_lettered() -> bool:
            return await _dead_letter_depth(stack) == depth_before + 1

        await eventually(dead_lettered, timeout=60, interval=0.5)
        after = await service_metrics(stack, "evaluation")
        dead = metric(after, "doorstep_events_dead_lettered_total", consumer="evaluation", type="malformed")
        assert dead - malformed_before == 1

        _, said = await _replay(stack)
        assert f"replayed {int(depth_before) + 1} message(s)" in said

        async def back_once() -> bool:
            text = await service_metrics(stack, "evaluation")
            return (
                metric(text, "doorstep_events_dead_lettered_total", consumer="evaluation", type="malformed") == dead + 1
            )

        await eventually(back_once, timeout=60, interval=0.5)
        dead_letters = await channel.declare_queue(f"{stack.namespace}.evaluation.dlq", passive=True)
        await dead_letters.purge()  # what an operator does with a lost cause
