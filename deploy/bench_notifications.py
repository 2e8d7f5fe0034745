"""`make bench`'s notification rows (issue 14's numbers), on the distributed stack with the demo data:

- event to webhook delivery at a local receiver, with tickets raised at 100 a second for 10 s (one
  `ticket.created` each): the time from the event's `time` (set when the ticket service writes it to its
  outbox, before its commit, so the figure is on the long side) to the receiver having the whole request
  and a valid Standard Webhooks signature;
- the receiver down for 60 s while tickets are raised at 10 a second, then back: every event's
  `webhook-id` counted at the receiver (none may be missing; repeats are allowed and reported). The stack
  runs with a shortened backoff (1 s, at most 15 s) so the row ends in minutes; production waits longer
  between tries (5 s doubling to an hour) and the count is the same;
- event to SSE feed item: a secretary designates tickets to a social worker at 10 a second for 20 s while
  the worker's app holds `GET /api/v1/me/feed/stream` open through the gateway; the time from
  `ticket.assigned`'s `time` to the item's arrival on the stream.

Run alone with `python deploy/bench_notifications.py` (its own stack on ports 18810-18815), or from
`deploy/bench.py`. Each figure is one run on this machine (2 cores shared by the whole stack, the load
generator and the receiver); compare rows, not machines.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack import ROOT, Stack

from shared.ids import stable_id

STATION = str(stable_id("station", "陆家嘴街道", "市新居委会"))
STATION_SHORT = STATION.replace("-", "")[:8]
RECEIVER_PORT = 18819
WEBHOOK_RATE = 100
WEBHOOK_SECONDS = 10
OUTAGE_RATE = 10
OUTAGE_SECONDS = 60
FEED_RATE = 10
FEED_SECONDS = 20


def token(stack: Stack, username: str) -> str:
    request = urllib.request.urlopen(
        stack.url() + "/auth/token", data=f"username={username}&password=demo-{username}".encode()
    )
    return str(json.loads(request.read())["access_token"])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def figures(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "p50 ms": percentile(values, 0.50),
        "p99 ms": percentile(values, 0.99),
        "max ms": max(values),
    }


class Receiver:
    """A district system's webhook endpoint: verifies each delivery and notes when it arrived."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.secret = ""
        self.arrivals: dict[str, list[float]] = {}  # webhook-id -> arrival times (epoch seconds)
        self.event_times: dict[str, float] = {}
        self.refused = 0
        self._runner: Any = None

    async def start(self) -> None:
        from aiohttp import web

        async def receive(request: web.Request) -> web.Response:
            from standardwebhooks import Webhook

            body = await request.read()
            arrived = time.time()
            try:
                Webhook(self.secret).verify(body, dict(request.headers))
            except Exception:
                self.refused += 1
                return web.Response(status=400)
            event = json.loads(body)
            self.arrivals.setdefault(request.headers["webhook-id"], []).append(arrived)
            self.event_times[request.headers["webhook-id"]] = datetime.fromisoformat(event["time"]).timestamp()
            return web.Response(status=204)

        app = web.Application()
        app.router.add_post("/hook", receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def wait_until(check: Callable[[], bool], seconds: float) -> None:
    """Looks every 0.1 s, at most `seconds` long (the caller then says what is missing)."""
    for _ in range(int(seconds * 10)):
        if check():
            return
        await asyncio.sleep(0.1)


async def at_rate(rate: int, seconds: int, act: Callable[[int], Any]) -> float:
    """Runs `act(i)` open loop, each on its own schedule; returns the rate kept."""
    started = time.monotonic()
    count = rate * seconds

    async def one(index: int) -> None:
        await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
        await act(index)

    await asyncio.gather(*(one(index) for index in range(count)))
    return count / (time.monotonic() - started)


async def raise_tickets(http: Any, stack: Stack, headers: dict[str, str], rate: int, seconds: int) -> list[str]:
    ids: list[str] = []
    failures: list[str] = []
    body = {
        "station_id": STATION,
        "channel": "walk_in",
        "service_category": "daily_life",
        "description": "楼道灯不亮，请派人修理",
        "resident_name": "李阿姨",
        "resident_phone": "13812345678",
    }

    async def create(index: int) -> None:
        async with http.post(f"{stack.url()}/api/v1/tickets", json=body, headers=headers) as reply:
            if reply.status != 201:
                failures.append(f"{reply.status} {await reply.text()}")
            else:
                ids.append((await reply.json())["id"])

    await at_rate(rate, seconds, create)
    # A refused creation (the write path's own limit, issue 17) raises no event: the rows count the events
    # that were raised, and say how many creations were refused.
    print(f"  raised {len(ids)} tickets in {seconds} s ({len(ids) / seconds:.0f}/s)", flush=True)
    if failures:
        print(f"  {len(failures)} creations refused, e.g. {failures[0][:200]}", flush=True)
    if not ids:
        raise RuntimeError("no ticket could be raised")
    return ids


async def created_event_ids(stack: Stack, ticket_ids: list[str]) -> dict[str, str]:
    """ticket id -> the id of its `ticket.created` event, from the ticket service's outbox."""
    import asyncpg

    database = await asyncpg.connect(f"{stack.postgres_url}/{stack.database_name('ticket')}")
    try:
        rows = await database.fetch(
            "SELECT payload::json ->> 'subject' AS ticket_id, payload::json ->> 'id' AS event_id "
            "FROM outbox_message WHERE event_type = 'ticket.created'"
        )
    finally:
        await database.close()
    wanted = set(ticket_ids)
    return {row["ticket_id"]: row["event_id"] for row in rows if row["ticket_id"] in wanted}


async def webhook_rows(stack: Stack) -> list[tuple[str, dict[str, float]]]:
    import aiohttp

    rows: list[tuple[str, dict[str, float]]] = []
    receiver = Receiver(RECEIVER_PORT)
    await receiver.start()
    admin = {"Authorization": f"Bearer {token(stack, 'district_admin')}"}
    worker = {"Authorization": f"Bearer {token(stack, f'sw-{STATION_SHORT}-1')}"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:
        subscription = {"url": f"http://127.0.0.1:{RECEIVER_PORT}/hook", "event_types": ["ticket.created"]}
        async with http.post(f"{stack.url()}/api/v1/webhooks", json=subscription, headers=admin) as reply:
            if reply.status != 201:
                raise RuntimeError(f"webhook not created: {reply.status} {await reply.text()}")
            receiver.secret = (await reply.json())["secret"]

        print(f"raising tickets at {WEBHOOK_RATE}/s with a webhook subscribed to ticket.created ...", flush=True)
        ticket_ids = await raise_tickets(http, stack, worker, WEBHOOK_RATE, WEBHOOK_SECONDS)
        events = await created_event_ids(stack, ticket_ids)
        await wait_until(lambda: set(events.values()) <= receiver.arrivals.keys(), 120)
        missing = set(events.values()) - receiver.arrivals.keys()
        if missing:
            raise RuntimeError(f"{len(missing)} of {len(events)} deliveries did not arrive in 120 s")
        latencies = [
            (receiver.arrivals[event_id][0] - receiver.event_times[event_id]) * 1000 for event_id in events.values()
        ]
        rows.append(
            (
                f"event -> webhook delivery (ticket.created offered at {WEBHOOK_RATE}/s, "
                f"{len(ticket_ids) / WEBHOOK_SECONDS:.0f}/s raised)",
                figures(latencies),
            )
        )

        print(f"receiver down for {OUTAGE_SECONDS} s while tickets are raised at {OUTAGE_RATE}/s ...", flush=True)
        await receiver.stop()
        outage_ids = await raise_tickets(http, stack, worker, OUTAGE_RATE, OUTAGE_SECONDS)
        back = time.monotonic()
        await receiver.start()
        outage_events = await created_event_ids(stack, outage_ids)
        await wait_until(lambda: set(outage_events.values()) <= receiver.arrivals.keys(), 600)
        drained = time.monotonic() - back
        arrived = set(outage_events.values()) & receiver.arrivals.keys()
        repeats = sum(len(receiver.arrivals[event_id]) - 1 for event_id in arrived)
        print(
            f"  events {len(outage_events)}, arrived {len(arrived)}, missing {len(outage_events) - len(arrived)}, "
            f"arrivals beyond the first {repeats}, all in {drained:.1f} s after the receiver returned; "
            f"signatures refused {receiver.refused}",
            flush=True,
        )
        rows.append(
            (
                f"webhook receiver down {OUTAGE_SECONDS} s: events / arrived / missing / repeats / s to drain",
                {
                    "events": len(outage_events),
                    "arrived": len(arrived),
                    "missing": len(outage_events) - len(arrived),
                    "repeats": repeats,
                    "s to drain": drained,
                },
            )
        )
    await receiver.stop()
    if len(arrived) != len(outage_events) or receiver.refused:
        raise RuntimeError("deliveries were lost or badly signed after the receiver's outage")
    return rows


async def feed_row(stack: Stack) -> tuple[str, dict[str, float]]:
    import aiohttp
    import asyncpg

    worker = {"Authorization": f"Bearer {token(stack, f'sw-{STATION_SHORT}-1')}"}
    secretary = {"Authorization": f"Bearer {token(stack, f'sec-{STATION_SHORT}-1')}"}
    arrivals: dict[str, float] = {}
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=64), timeout=aiohttp.ClientTimeout(total=None)
    ) as http:
        async with http.get(f"{stack.url()}/api/v1/me", headers=worker) as reply:
            worker_id = (await reply.json())["id"]

        async def listen() -> None:
            async with http.get(
                f"{stack.url()}/api/v1/me/feed/stream", headers={**worker, "Accept": "text/event-stream"}
            ) as stream:
                async for line in stream.content:
                    if line.startswith(b"data: "):
                        item = json.loads(line[6:])
                        if item.get("subject_id"):
                            arrivals.setdefault(item["subject_id"], time.time())

        listener = asyncio.create_task(listen())
        await asyncio.sleep(1.0)
        print(f"designating tickets to a social worker at {FEED_RATE}/s with its feed stream open ...", flush=True)
        ticket_ids = await raise_tickets(http, stack, secretary, FEED_RATE, FEED_SECONDS)
        failures: list[str] = []

        async def designate(index: int) -> None:
            url = f"{stack.url()}/api/v1/tickets/{ticket_ids[index]}/designate"
            async with http.post(url, json={"designee_id": worker_id}, headers=secretary) as reply:
                if reply.status != 200:
                    failures.append(f"{reply.status} {await reply.text()}")

        await at_rate(FEED_RATE, FEED_SECONDS, designate)
        if failures:
            raise RuntimeError(f"{len(failures)} designations failed, e.g. {failures[0]}")
        await wait_until(lambda: set(ticket_ids) <= arrivals.keys(), 60)
        listener.cancel()
    database = await asyncpg.connect(f"{stack.postgres_url}/{stack.database_name('ticket')}")
    try:
        rows = await database.fetch(
            "SELECT payload::json ->> 'subject' AS ticket_id, payload::json ->> 'time' AS at FROM outbox_message "
            "WHERE event_type = 'ticket.assigned' AND payload::json -> 'data' ->> 'owner_id' = $1",
            worker_id,
        )
    finally:
        await database.close()
    assigned = {row["ticket_id"]: datetime.fromisoformat(row["at"]).timestamp() for row in rows}
    missing = [ticket_id for ticket_id in ticket_ids if ticket_id not in arrivals or ticket_id not in assigned]
    if missing:
        raise RuntimeError(f"{len(missing)} of {len(ticket_ids)} designations never reached the stream")
    latencies = [(arrivals[ticket_id] - assigned[ticket_id]) * 1000 for ticket_id in ticket_ids]
    return (f"event -> SSE feed item (ticket.assigned at {FEED_RATE}/s, via the gateway)", figures(latencies))


def table(rows: list[tuple[str, dict[str, float]]]) -> str:
    lines = ["| row | figures |", "|---|---|"]
    for name, values in rows:
        text = ", ".join(
            f"{key} {value:.1f}" if key == "s to drain" else f"{key} {value:.0f}" for key, value in values.items()
        )
        lines.append(f"| {name} | {text} |")
    return "\n".join(lines)


def measure(stack: Stack) -> list[tuple[str, dict[str, float]]]:
    rows = asyncio.run(webhook_rows(stack))
    rows.append(asyncio.run(feed_row(stack)))
    return rows


def main() -> None:
    suffix = uuid.uuid4().hex[:6]
    stack = Stack(
        database_prefix=f"benchn_{suffix}",
        namespace=f"benchn{suffix}",
        gateway_port=18810,
        ports={"catalog": 18811, "ticket": 18812, "deliberation": 18813, "evaluation": 18814, "notification": 18815},
        state_directory=ROOT / "var" / "bench-notifications",
        extra_environment={
            **{
                f"{name}_LOG_LEVEL": "WARNING"
                for name in ("CATALOG", "TICKET", "DELIBERATION", "EVALUATION", "NOTIFICATION", "GATEWAY")
            },
            "GATEWAY_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "0",
            "GATEWAY_RATE_LIMIT_PER_TOKEN_PER_MINUTE": "0",
            "NOTIFICATION_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            "NOTIFICATION_WEBHOOK_BACKOFF_BASE_SECONDS": "1",
            "NOTIFICATION_WEBHOOK_BACKOFF_MAX_SECONDS": "15",
        },
    )
    try:
        print("starting the distributed stack with the demo data ...", flush=True)
        stack.up(seed=True)
        print(table(measure(stack)))
    finally:
        stack.down()
        asyncio.run(stack.drop_databases())
        asyncio.run(stack.delete_event_namespace())


if __name__ == "__main__":
    main()
