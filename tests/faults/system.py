"""The distributed stack the fault tests break, and what they do through its API and check in its databases.

One stack for the whole folder (starting six processes is the slow part): every service reaches
RabbitMQ through one fault proxy, and the ticket service reaches PostgreSQL through another. Each test
opens its own station and counts only its own tickets, so tests do not see each other's work.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx

from tests.conftest import POSTGRES_URL, bearer, eventually

ROOT = Path(__file__).resolve().parents[2]

# Every process and proxy listens on a free port (tests/local_http.py), so two runs can go side by side.
SERVICES = ("catalog", "ticket", "deliberation", "evaluation", "notification")
# The service whose database the outage test takes away.
DATABASE_FAULT_SERVICE = "ticket"
# Small retry budget so a poison message reaches the DLQ quickly; the count itself is what is tested.
CONSUMER_MAX_RETRIES = 2


def stack_class() -> type:
    """deploy/stack.py's Stack, with one service's database URL pointed elsewhere (at a fault proxy)."""
    spec = importlib.util.spec_from_file_location("doorstep_stack", ROOT / "deploy" / "stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)

    @dataclass
    class FaultyStack(module.Stack):  # type: ignore[misc, name-defined]  # Stack is loaded from a file at run time
        database_urls: dict[str, str] = field(default_factory=dict)
        pool_size: int = 7
        pool_sizes: dict[str, int] = field(default_factory=dict)  # by service, instead of pool_size

        def environment(self, service: str) -> dict[str, str]:
            environment = super().environment(service)
            # Two test workers share one PostgreSQL (max_connections 100): five services with the default
            # pool (10 + 10 overflow) could take every connection by themselves.
            environment[f"{service.upper()}_DATABASE_POOL_SIZE"] = str(self.pool_sizes.get(service, self.pool_size))
            if service in self.database_urls:
                environment[f"{service.upper()}_DATABASE_URL"] = self.database_urls[service]
            return environment

    return FaultyStack


@dataclass
class Station:
    id: str
    subdistrict_id: str
    worker_id: str | None = None  # the social worker at the desk, once on the catalogue's staff list (`appoint_staff`)

    def staff(self) -> dict[str, str]:
        worker = self.worker_id or f"worker-{self.id[:8]}"
        return bearer("social_worker", worker, station_id=self.id, subdistrict_id=self.subdistrict_id)


async def open_station(stack: Any, http: httpx.AsyncClient, label: str) -> Station:
    """A new station through the catalogue, once the ticket service has its copy (from the event)."""
    admin = bearer("district_admin")
    name = f"故障{label}{uuid.uuid4().hex[:6]}"
    subdistrict = await http.post("/api/v1/subdistricts", headers=admin, json={"name": f"{name}镇", "kind": "town"})
    assert subdistrict.status_code == 201, subdistrict.text
    response = await http.post(
        "/api/v1/stations",
        headers=admin,
        json={
            "subdistrict_id": subdistrict.json()["id"],
            "community_name": f"{name}村",
            "name": f"{name}村家门口服务站",
            "address": "张杨路1号",
            "latitude": 31.23,
            "longitude": 121.52,
        },
    )
    assert response.status_code == 201, response.text
    station = Station(response.json()["id"], subdistrict.json()["id"])

    async def known_to_tickets() -> bool:
        rows = await query(stack, "ticket", "SELECT 1 FROM station_copy WHERE id = $1", uuid.UUID(station.id))
        return bool(rows)

    await eventually(known_to_tickets, timeout=60, interval=0.3)
    return station


async def appoint_staff(stack: Any, http: httpx.AsyncClient, station: Station) -> Station:
    """The station's staff on the catalogue's list, as an administrator enters them: a social worker (the
    desk's receiver, who then owns what they raise) and the community's secretary (whom an SLA breach
    escalates to: without one the ticket has nobody above its owner). Returns the station acting as that
    social worker, once the ticket service holds both copies (from the events)."""
    admin = bearer("district_admin")
    appointed: dict[str, str] = {}
    for role, name in (("social_worker", "陆伟"), ("secretary", "李书记")):
        response = await http.post(
            "/api/v1/staff", headers=admin, json={"name": name, "role": role, "station_id": station.id}
        )
        assert response.status_code == 201, response.text
        appointed[role] = response.json()["id"]

    async def known_to_tickets() -> bool:
        rows = await query(
            stack,
            "ticket",
            "SELECT count(*) AS n FROM staff_copy WHERE id = ANY($1::text[]) AND active",
            list(appointed.values()),
        )
        return bool(rows[0]["n"] == len(appointed))

    await eventually(known_to_tickets, timeout=60, interval=0.3)
    return Station(station.id, station.subdistrict_id, worker_id=appointed["social_worker"])


def ticket_body(station: Station, number: int) -> dict[str, Any]:
    return {
        "station_id": station.id,
        "channel": "walk_in",
        "service_category": "daily_life",
        "description": f"楼道灯不亮 #{number}",
        "resident_name": "王阿姨",
        "resident_phone": "13800000000",
    }


# Answers a client tries again (with the same Idempotency-Key): the balancer or the gateway could not reach
# a live process (502), one was starting (503) or went away mid-answer (504).
RETRIED_STATUSES = frozenset({502, 503, 504})
RETRY_BUDGET_SECONDS = 90.0


@dataclass
class Retries:
    """A client that tries again on a dropped connection or a 502/503/504, as a real one does; counts how often."""

    count: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    async def post(self, http: httpx.AsyncClient, url: str, **arguments: Any) -> httpx.Response:
        deadline = time.monotonic() + RETRY_BUDGET_SECONDS
        pause = 0.1
        while True:
            try:
                response = await http.post(url, **arguments)
            except httpx.TransportError as error:  # reset, refused, closed before answering
                reason = type(error).__name__
            else:
                in_progress = response.status_code == 409 and "idempotency_in_progress" in response.text
                if response.status_code not in RETRIED_STATUSES and not in_progress:
                    return response
                reason = str(response.status_code)
            if time.monotonic() > deadline:
                raise AssertionError(f"POST {url} still failing after {RETRY_BUDGET_SECONDS}s: {reason}")
            self.count += 1
            self.reasons[reason] += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)


async def create_and_close(
    http: httpx.AsyncClient, station: Station, number: int, retries: Retries | None = None
) -> str:
    """What the staff app does at the desk: raise the ticket, then close it (accept, resolve, close).
    With `retries`, each POST is tried again after a dropped connection (same Idempotency-Key)."""
    headers = station.staff()
    created_url, created_headers = "/api/v1/tickets", {**headers, "Idempotency-Key": f"{station.id}-{number}"}
    if retries is None:
        created = await http.post(created_url, headers=created_headers, json=ticket_body(station, number))
    else:
        created = await retries.post(http, created_url, headers=created_headers, json=ticket_body(station, number))
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    close_url, close_body = f"/api/v1/tickets/{ticket_id}/close", {"result_text": "已办结"}
    if retries is None:
        closed = await http.post(close_url, headers=headers, json=close_body)
    else:
        close_headers = {**headers, "Idempotency-Key": f"{station.id}-{number}-close"}
        closed = await retries.post(http, close_url, headers=close_headers, json=close_body)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    return ticket_id


@dataclass
class Load:
    """Creates and closes `total` tickets, `concurrency` at a time; `closed` grows as they finish."""

    http: httpx.AsyncClient
    station: Station
    total: int
    concurrency: int = 24
    closed: list[str] = field(default_factory=list)
    retries: Retries | None = None  # None: a dropped connection fails the load

    async def run(self) -> list[str]:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(number: int) -> None:
            async with gate:
                self.closed.append(await create_and_close(self.http, self.station, number, self.retries))

        await asyncio.gather(*(one(number) for number in range(self.total)))
        return self.closed

    async def reached(self, count: int, running: asyncio.Task[list[str]]) -> None:
        async def enough() -> bool:
            if running.done():
                running.result()  # the load failed: report why
            return len(self.closed) >= count

        await eventually(enough, timeout=300, interval=0.05)


def gateway_client(stack: Any) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    return httpx.AsyncClient(base_url=stack.url(), timeout=60, limits=limits)


async def query(stack: Any, service: str, sql: str, *arguments: Any) -> list[asyncpg.Record]:
    """Reads a service's database directly (not through any fault proxy)."""
    connection = await asyncpg.connect(f"{POSTGRES_URL}/{stack.database_name(service)}")
    try:
        return await connection.fetch(sql, *arguments)
    finally:
        await connection.close()


@dataclass
class Outcome:
    closed_tickets: int  # tickets of the station closed in the ticket service's database
    closing_events: int  # ticket.closed events the ticket service wrote for them
    unsent_events: int  # of those, not yet confirmed by the broker
    invitations: dict[str, int]  # ticket id -> invitations in the evaluation service's database
    invitation_events: dict[str, int]  # ticket id -> evaluation.invitation_created events written


async def outcome(stack: Any, station: Station) -> Outcome:
    station_id = uuid.UUID(station.id)
    closed = await query(
        stack, "ticket", "SELECT id FROM ticket WHERE station_id = $1 AND status = 'closed'", station_id
    )
    closing = await query(
        stack,
        "ticket",
        "SELECT count(*) AS events, count(*) FILTER (WHERE published_at IS NULL) AS unsent FROM outbox_message"
        " WHERE event_type = 'ticket.closed' AND (payload::jsonb -> 'data' ->> 'station_id') = $1",
        station.id,
    )
    invitations = await query(
        stack,
        "evaluation",
        "SELECT ticket_id::text AS ticket, count(*) AS n FROM invitation WHERE station_id = $1 GROUP BY ticket_id",
        station_id,
    )
    invitation_events = await query(
        stack,
        "evaluation",
        "SELECT payload::jsonb -> 'data' ->> 'ticket_id' AS ticket, count(*) AS n FROM outbox_message"
        " WHERE event_type = 'evaluation.invitation_created' AND (payload::jsonb -> 'data' ->> 'station_id') = $1"
        " GROUP BY 1",
        station.id,
    )
    return Outcome(
        closed_tickets=len(closed),
        closing_events=closing[0]["events"],
        unsent_events=closing[0]["unsent"],
        invitations={row["ticket"]: row["n"] for row in invitations},
        invitation_events={row["ticket"]: row["n"] for row in invitation_events},
    )


async def every_closed_ticket_invited_once(stack: Any, station: Station, closed: list[str], timeout: float) -> Outcome:
    """Waits until each closed ticket has its invitation, then checks none is missing, extra or doubled."""
    expected = set(closed)
    last: list[Outcome] = []

    async def all_invited() -> bool:
        last[:] = [await outcome(stack, station)]
        return set(last[0].invitations) >= expected

    try:
        await eventually(all_invited, timeout=timeout, interval=1.0)
    except AssertionError:
        result = last[0]
        missing = expected - set(result.invitations)
        raise AssertionError(
            f"{len(missing)} of {len(expected)} closed tickets have no invitation after {timeout}s "
            f"({result.unsent_events} ticket.closed events unsent); e.g. {sorted(missing)[:3]}"
        ) from None
    result = last[0]
    assert len(closed) == len(expected), "a ticket id was returned twice"
    assert result.closed_tickets == len(closed)
    assert result.closing_events == len(closed), "one ticket.closed event per closed ticket"
    assert set(result.invitations) == expected, "invitations for tickets that were not closed"
    doubled = {ticket: n for ticket, n in result.invitations.items() if n != 1}
    assert not doubled, f"tickets with more than one invitation: {doubled}"
    assert result.invitation_events == dict.fromkeys(expected, 1), "one invitation_created event per ticket"
    return result


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one Prometheus series in a /metrics page (0 when the series is absent)."""
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)$", line)
        if match is None or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match.group(4))
    return 0.0


async def service_metrics(stack: Any, service: str) -> str:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(stack.url(service) + "/metrics")
        assert response.status_code == 200
        return response.text


@dataclass(frozen=True)
class Delivery:
    event_id: str  # the CloudEvents id (the AMQP message id)
    type: str
    service: str  # the publishing service (the envelope's source)
    subject: str  # the envelope's subject (a ticket's events: its id)
    at: float  # time.monotonic() when the tap received it


class BrokerTap:
    """Every event published to the stack's exchange, as a queue of its own bound to every routing key
    receives it: the broker's deliveries, to count (an id twice is an event published twice)."""

    def __init__(self, broker_url: str, namespace: str) -> None:
        self.broker_url = broker_url
        self.exchange = f"{namespace}.events"
        self.deliveries: list[Delivery] = []
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def __aenter__(self) -> BrokerTap:
        self._connection = await aio_pika.connect_robust(self.broker_url)
        channel = await self._connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(self.exchange, routing_key="#")
        await queue.consume(self._received, no_ack=True)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _received(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        envelope = json.loads(message.body)
        service = str(envelope.get("source", "")).rsplit("/", 1)[-1]
        subject = str(envelope.get("subject") or "")
        self.deliveries.append(
            Delivery(message.message_id or "", message.type or "", service, subject, time.monotonic())
        )

    def ids(self, type: str) -> Counter[str]:
        return Counter(delivery.event_id for delivery in self.deliveries if delivery.type == type)

    def duplicates(self) -> dict[str, list[Delivery]]:
        """Event id -> its deliveries, for each id delivered more than once."""
        by_id: dict[str, list[Delivery]] = {}
        for delivery in self.deliveries:
            by_id.setdefault(delivery.event_id, []).append(delivery)
        return {event_id: seen for event_id, seen in by_id.items() if len(seen) > 1}
