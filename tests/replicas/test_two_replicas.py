"""Two replicas of every service and of the gateway, each group behind a round-robin balancer
(deploy/stack.py `replicas=2`, deploy/balancer.py), while a thousand tickets are raised and closed and
one replica of each group is killed (SIGKILL) and started again mid-run.

What the replicas share through `FOR UPDATE SKIP LOCKED` must still happen once: exactly one invitation
per closed ticket (the consumers share a queue; the inbox drops redeliveries), one SLA escalation per
breach (both ticket replicas run the SLA checker every second), one anonymisation per ticket past
retention (both run the retention pass every second), and no event published twice by two relays:
a queue of the test's own, bound to every routing key, counts the broker's deliveries by CloudEvents id.
The only repeats allowed are the batch a killed relay had sent but not yet marked sent (at-least-once:
the rows roll back with the process and are sent again), so their first delivery is at a kill.
"""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import eventually
from tests.faults.system import (
    BrokerTap,
    Delivery,
    Load,
    Retries,
    Station,
    appoint_staff,
    every_closed_ticket_invited_once,
    gateway_client,
    open_station,
    outcome,
    query,
    ticket_body,
)

pytestmark = pytest.mark.integration

TICKETS = 1000
CONCURRENCY = 8
# Left open with a referring system's deadline (wall clock, so it passes during the run whatever the
# station's opening hours): each breaches once, SLA_SPREAD_SECONDS apart from SLA_FIRST_DUE_SECONDS on.
SLA_TICKETS = 60
SLA_FIRST_DUE_SECONDS = 6.0
SLA_SPREAD_SECONDS = 0.4
# Closed tickets whose closing the test moves 400 days back, RETAINED_CHUNK at a time, so the
# retention pass (365 days) anonymises them while the load and the kills go on.
RETAINED = 200
RETAINED_CHUNK = 50
DOWN_SECONDS = 2.0
# A killed relay's batch in flight: published before the kill, sent again after it.
KILL_WINDOW_BEFORE, KILL_WINDOW_AFTER = 5.0, 1.0
RELAY_BATCH = 100


def instance_of(url: str) -> str:
    """Which process answered (any answer will do: a busy database makes /readyz say 503)."""
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=10) as response:
            return str(response.headers.get("x-doorstep-instance"))
    except urllib.error.HTTPError as error:
        return str(error.headers.get("x-doorstep-instance"))


async def raise_with_deadline(
    http: httpx.AsyncClient, station: Station, number: int, due: datetime, retries: Retries
) -> str:
    body = {**ticket_body(station, number), "external_due_at": due.isoformat()}
    headers = {**station.staff(), "Idempotency-Key": f"{station.id}-sla-{number}"}
    created = await retries.post(http, "/api/v1/tickets", headers=headers, json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def backdate_closings(stack: Any, load: Load, retained: list[str]) -> None:
    """Moves closed tickets' closing 400 days back, a chunk at a time as they close."""
    while len(retained) < RETAINED:
        chunk = [ticket for ticket in load.closed[:RETAINED] if ticket not in retained][:RETAINED_CHUNK]
        if len(chunk) == RETAINED_CHUNK or (chunk and len(retained) + len(chunk) == RETAINED):
            await query(
                stack,
                "ticket",
                "UPDATE ticket SET closed_at = closed_at - interval '400 days' WHERE id = ANY($1::uuid[])",
                [uuid.UUID(ticket) for ticket in chunk],
            )
            retained.extend(chunk)
        await asyncio.sleep(1.0)


async def test_two_replicas_of_everything_act_once_through_kills(replicated_stack):
    stack = replicated_stack
    started = time.monotonic()
    for group in stack.groups():  # each group's port reaches both of its replicas in turn
        answered = {await asyncio.to_thread(instance_of, stack.url(group)) for _ in range(4)}
        assert answered == {stack.instances[replica] for replica in stack.replica_names(group)}, group
    retries = Retries()
    async with BrokerTap(stack.broker_url, stack.namespace) as tap, gateway_client(stack) as http:
        # With its secretary on the staff list: the SLA checker escalates a breached ticket to them.
        station = await appoint_staff(stack, http, await open_station(stack, http, "双副本"))
        now = datetime.now(UTC)
        sla_tickets = await asyncio.gather(
            *(
                raise_with_deadline(
                    http,
                    station,
                    number,
                    now + timedelta(seconds=SLA_FIRST_DUE_SECONDS + (number - TICKETS) * SLA_SPREAD_SECONDS),
                    retries,
                )
                for number in range(TICKETS, TICKETS + SLA_TICKETS)
            )
        )
        load = Load(http, station, TICKETS, concurrency=CONCURRENCY, retries=retries)
        loading_since = time.monotonic()
        running = asyncio.create_task(load.run())
        retained: list[str] = []
        backdating = asyncio.create_task(backdate_closings(stack, load, retained))
        await load.reached(TICKETS // 4, running)
        killed_at: dict[str, float] = {}
        for group in stack.groups():
            stack.kill(stack.replica_names(group)[0])
            killed_at[group] = time.monotonic()
        invited_at_kill = len((await outcome(stack, station)).invitations)
        closed_at_kill = len(load.closed)
        await asyncio.sleep(DOWN_SECONDS)  # the other replica of each group carries on alone
        for group in stack.groups():
            stack.start(stack.replica_names(group)[0])
        for group in stack.groups():
            await asyncio.to_thread(stack.wait_ready, stack.replica_names(group)[0], 120)
        closed = await running
        loaded = time.monotonic() - loading_since
        await backdating

        # Exactly one invitation per closed ticket, none for the open ones.
        result = await every_closed_ticket_invited_once(stack, station, closed, timeout=120)
        assert 0 < invited_at_kill < TICKETS, "the replicas were killed mid-stream"

        # Every deadline passed: each open ticket escalated once, by one checker.
        sla_ids = [uuid.UUID(ticket) for ticket in sla_tickets]

        async def all_breached() -> bool:
            rows = await query(
                stack,
                "ticket",
                "SELECT count(*) AS n FROM ticket WHERE id = ANY($1::uuid[]) AND sla_breached_at IS NOT NULL",
                sla_ids,
            )
            return bool(rows[0]["n"] == SLA_TICKETS)

        await eventually(all_breached, timeout=60, interval=0.5)
        escalations = await query(
            stack,
            "ticket",
            "SELECT ticket_id::text AS ticket, count(*) AS n FROM ticket_change"
            # An escalation writes a 'level' row (and an 'owner' row when the owner changes) with its reason.
            " WHERE ticket_id = ANY($1::uuid[]) AND kind = 'level' AND reason LIKE 'sla_breach%' GROUP BY ticket_id",
            sla_ids,
        )
        assert {row["ticket"]: row["n"] for row in escalations} == dict.fromkeys(sla_tickets, 1), (
            "one escalation in the history per breached ticket"
        )
        breach_events = await query(
            stack,
            "ticket",
            "SELECT payload::jsonb ->> 'subject' AS ticket, count(*) AS n FROM outbox_message"
            " WHERE event_type = 'ticket.sla_breached' AND payload::jsonb ->> 'subject' = ANY($1::text[])"
            " GROUP BY 1",
            sla_tickets,
        )
        assert {row["ticket"]: row["n"] for row in breach_events} == dict.fromkeys(sla_tickets, 1)
        warnings = await query(
            stack,
            "ticket",
            "SELECT payload::jsonb ->> 'subject' AS ticket, payload::jsonb -> 'data' ->> 'clock' AS clock,"
            " payload::jsonb -> 'data' ->> 'threshold_percent' AS percent, count(*) AS n FROM outbox_message"
            " WHERE event_type = 'ticket.sla_warning' AND payload::jsonb ->> 'subject' = ANY($1::text[])"
            " GROUP BY 1, 2, 3 HAVING count(*) > 1",
            sla_tickets,
        )
        assert not warnings, f"a warning given twice: {[dict(row) for row in warnings[:3]]}"

        # Every ticket past retention anonymised once, by one pass.
        retained_ids = [uuid.UUID(ticket) for ticket in retained]

        async def all_anonymised() -> bool:
            rows = await query(
                stack,
                "ticket",
                "SELECT count(*) AS n FROM ticket WHERE id = ANY($1::uuid[]) AND personal_data_removed_at IS NOT NULL",
                retained_ids,
            )
            return bool(rows[0]["n"] == RETAINED)

        await eventually(all_anonymised, timeout=60, interval=0.5)
        tombstones = await query(
            stack,
            "ticket",
            "SELECT entity_id::text AS ticket, count(*) AS n FROM tombstone"
            " WHERE reason = 'anonymised' AND entity_id = ANY($1::uuid[]) GROUP BY entity_id",
            retained_ids,
        )
        assert {row["ticket"]: row["n"] for row in tombstones} == dict.fromkeys(retained, 1), (
            "one anonymisation per ticket past retention"
        )

        # The broker: every closing and invitation delivered, none by two relays.
        async def all_delivered() -> bool:
            closings = {d.subject for d in tap.deliveries if d.type == "ticket.closed"}
            invitations = [d for d in tap.deliveries if d.type == "evaluation.invitation_created"]
            return closings >= set(closed) and len({d.event_id for d in invitations}) >= TICKETS

        await eventually(all_delivered, timeout=60, interval=0.5)
        await asyncio.sleep(2.0)  # anything still on its way
        deliveries = list(tap.deliveries)
    duplicates = tap.duplicates()
    outside_kills = {
        event_id: seen for event_id, seen in duplicates.items() if not _at_a_kill(seen, killed_at.get(seen[0].service))
    }
    assert not outside_kills, (
        f"{len(outside_kills)} events published twice away from any kill, e.g. {list(outside_kills.items())[:2]}"
    )
    per_service: dict[str, int] = {}
    for seen in duplicates.values():
        per_service[seen[0].service] = per_service.get(seen[0].service, 0) + 1
    assert all(count <= RELAY_BATCH for count in per_service.values()), per_service
    for kind in ("ticket.sla_breached", "ticket.closed"):
        events_per_ticket: dict[str, set[str]] = {}
        for delivery in deliveries:
            if delivery.type == kind:
                events_per_ticket.setdefault(delivery.subject, set()).add(delivery.event_id)
        doubled = {ticket: ids for ticket, ids in events_per_ticket.items() if len(ids) > 1}
        assert not doubled, f"two {kind} events for one ticket: {list(doubled.items())[:2]}"
    print(
        f"\ntwo replicas: {len(closed)} tickets closed ({closed_at_kill} before one replica of each of "
        f"{len(killed_at)} groups was killed, back after {DOWN_SECONDS:.0f}s), {len(result.invitations)} "
        f"invitations, one each; {SLA_TICKETS} SLA escalations and {RETAINED} anonymisations, one each; "
        f"{len(deliveries)} broker deliveries, {len(duplicates)} resent after a kill ({per_service}); "
        f"{retries.count} client retries {dict(retries.reasons)}; load {loaded:.0f}s, "
        f"test {time.monotonic() - started:.0f}s"
    )


def _at_a_kill(seen: list[Delivery], killed_at: float | None) -> bool:
    """Whether an event's repeats are the in-flight batch of its service's killed relay: first delivered
    just before the kill, again after it."""
    if killed_at is None:
        return False
    first, *again = seen
    return killed_at - KILL_WINDOW_BEFORE <= first.at <= killed_at + KILL_WINDOW_AFTER and all(
        delivery.at >= killed_at for delivery in again
    )
