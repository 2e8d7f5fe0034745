"""`make bench`: throughput and latency of the distributed stack on this machine, as one table.

Starts the distributed stack (each service and the gateway its own process, PostgreSQL and RabbitMQ) on
spare ports, then runs wrk (32 connections, 2 threads, 10 s a row) against:

- a bare FastAPI endpoint (the ceiling) and a catalogue route, straight and through the gateway;
- catalogue reads on the district-scale demo data (1,285 stations);
- ticket creation (POST) by a social worker of a station;
- the event latency from `ticket.closed` to the stored invitation, with tickets closed at 200 a second;
- a station's ticket list with 1,000,000 tickets in the database;
- a station's resync after 8 hours offline (one `changes` request; its gzip size in the row's name,
  requests/s = 1 / the median time of 20 sequential calls).

Between phases it waits until every outbox is empty and every consumer queue drained, so one phase's
events are not measured as the next phase's load. wrk is installed from Debian's packages if missing.
Each figure is one run on this machine; compare rows, not machines.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack import ROOT, Stack

from shared.ids import stable_id

DURATION = "10s"
CONNECTIONS = 32
BENCH = Path(__file__).resolve().parent / "bench"
LUA = BENCH / "percentiles.lua"
LIST_TICKETS = 1_000_000
CLOSE_RATE = 200  # tickets closed per second in the event-latency phase
CLOSE_SECONDS = 10
STATION = str(stable_id("station", "陆家嘴街道", "市新居委会"))


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or "wrk"


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except Exception:
            time.sleep(0.2)
    raise TimeoutError(url)


def wrk(
    binary: str,
    url: str,
    headers: dict[str, str] | None = None,
    *,
    body: dict[str, Any] | None = None,
    connections: int = CONNECTIONS,
    state: Path | None = None,
) -> dict[str, float]:
    script = LUA
    if body is not None:
        # A POST: wrk takes the method and body from the script, so prepend them to the reporting script.
        assert state is not None
        script = state / "post.lua"
        script.write_text(
            f'wrk.method = "POST"\nwrk.body = [==[{json.dumps(body, ensure_ascii=False)}]==]\n'
            'wrk.headers["Content-Type"] = "application/json"\n' + LUA.read_text()
        )
    command = [binary, "-t2", f"-c{connections}", f"-d{DURATION}", "-s", str(script), url]
    for name, value in (headers or {}).items():
        command[1:1] = ["-H", f"{name}: {value}"]
    if body is None:
        subprocess.run([*command[:-5], "-c8", "-d2s", url], capture_output=True)  # warm up
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    result = json.loads(line[len("BENCH ") :])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def token(stack: Stack, username: str) -> str:
    request = urllib.request.urlopen(
        stack.url() + "/auth/token", data=f"username={username}&password=demo-{username}".encode()
    )
    return json.loads(request.read())["access_token"]


async def settle(stack: Stack, timeout: float = 600) -> None:
    """Waits until every service's outbox is empty and every consumer's queue is drained."""
    import aio_pika
    import asyncpg

    deadline = time.monotonic() + timeout
    connection = await aio_pika.connect(stack.broker_url)
    try:
        channel = await connection.channel()
        quiet = 0
        while quiet < 3:  # three quiet looks in a row: a handler may be publishing its own events
            if time.monotonic() > deadline:
                raise TimeoutError("events did not settle")
            pending = 0
            for service in stack.ports:
                database = await asyncpg.connect(f"{stack.postgres_url}/{stack.database_name(service)}")
                try:
                    pending += await database.fetchval("SELECT count(*) FROM outbox_message WHERE published_at IS NULL")
                finally:
                    await database.close()
                queue = await channel.declare_queue(f"{stack.namespace}.{service}", passive=True)
                pending += queue.declaration_result.message_count or 0
            quiet = quiet + 1 if pending == 0 else 0
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


async def create_tickets(stack: Stack, headers: dict[str, str], body: dict[str, Any], count: int) -> None:
    import aiohttp

    limit = asyncio.Semaphore(CONNECTIONS)

    async def create(http: aiohttp.ClientSession) -> None:
        async with limit, http.post(f"{stack.url()}/api/v1/tickets", json=body, headers=headers) as reply:
            if reply.status != 201:
                raise RuntimeError(f"create: {reply.status} {await reply.text()}")

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS)) as http:
        await asyncio.gather(*(create(http) for _ in range(count)))


def _action(action: str) -> dict[str, str]:
    """A transition's body: resolving needs the result text (办理结果)."""
    return {"action": action, "result_text": "已办结（压测）"} if action == "resolve" else {"action": action}


async def resolve_all(stack: Stack, headers: dict[str, str], ticket_ids: list[str]) -> None:
    """Accepts and resolves the tickets (not timed), so the timed phase is the closing alone."""
    import aiohttp

    limit = asyncio.Semaphore(CONNECTIONS)

    async def resolve(http: aiohttp.ClientSession, ticket_id: str) -> None:
        async with limit:
            for action in ("accept", "resolve"):
                url = f"{stack.url()}/api/v1/tickets/{ticket_id}/transitions"
                async with http.post(url, json=_action(action), headers=headers) as reply:
                    if reply.status != 200:
                        raise RuntimeError(f"{action} {ticket_id}: {reply.status} {await reply.text()}")

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS)) as http:
        await asyncio.gather(*(resolve(http, ticket_id) for ticket_id in ticket_ids))


async def close_at_rate(stack: Stack, headers: dict[str, str], ticket_ids: list[str], rate: int) -> float:
    """Closes resolved tickets at `rate` a second (open loop: each on its own schedule); returns the rate
    kept."""
    import aiohttp

    started = time.monotonic()
    failures: list[str] = []

    async def close(http: aiohttp.ClientSession, index: int, ticket_id: str) -> None:
        await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
        url = f"{stack.url()}/api/v1/tickets/{ticket_id}/transitions"
        async with http.post(url, json={"action": "close"}, headers=headers) as reply:
            if reply.status != 200:
                failures.append(f"{reply.status} {await reply.text()}")

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:
        await asyncio.gather(*(close(http, index, ticket_id) for index, ticket_id in enumerate(ticket_ids)))
    if failures:
        raise RuntimeError(f"{len(failures)} closings failed, e.g. {failures[0]}")
    return len(ticket_ids) / (time.monotonic() - started)


async def event_latencies(stack: Stack, ticket_ids: list[str]) -> list[float]:
    """Milliseconds from the ticket service writing `ticket.closed` to the evaluation service storing the
    invitation (its `evaluation.invitation_created` outbox row, written in the invitation's transaction)."""
    import asyncpg

    tickets = await asyncpg.connect(f"{stack.postgres_url}/{stack.database_name('ticket')}")
    evaluation = await asyncpg.connect(f"{stack.postgres_url}/{stack.database_name('evaluation')}")
    try:
        closed = {
            row["ticket_id"]: row["created_at"]
            for row in await tickets.fetch(
                "SELECT payload::json ->> 'subject' AS ticket_id, created_at FROM outbox_message "
                "WHERE event_type = 'ticket.closed'"
            )
        }
        invited = {
            row["ticket_id"]: row["created_at"]
            for row in await evaluation.fetch(
                "SELECT payload::json ->> 'subject' AS ticket_id, created_at FROM outbox_message "
                "WHERE event_type = 'evaluation.invitation_created'"
            )
        }
    finally:
        await tickets.close()
        await evaluation.close()
    missing = [ticket_id for ticket_id in ticket_ids if ticket_id not in invited or ticket_id not in closed]
    if missing:
        raise RuntimeError(f"{len(missing)} closed tickets have no invitation")
    return [(invited[t] - closed[t]).total_seconds() * 1000 for t in ticket_ids]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def open_ticket_ids(stack: Stack, limit: int) -> list[str]:
    import asyncpg

    connection = await asyncpg.connect(f"{stack.postgres_url}/{stack.database_name('ticket')}")
    try:
        rows = await connection.fetch(
            "SELECT id FROM ticket WHERE station_id = $1 AND status = 'new' AND description <> 'bench' "
            "ORDER BY created_at LIMIT $2",
            uuid.UUID(STATION),
            limit,
        )
    finally:
        await connection.close()
    return [str(row["id"]) for row in rows]


# A busy station's 8 hours: tickets raised at the desk, each accepted, half of them resolved and closed.
OFFLINE_NEW_TICKETS = 60


def sync_call(url: str, headers: dict[str, str]) -> tuple[dict[str, Any], int, float]:
    """One sync request as the app sends it (gzip accepted): its answer, its bytes on the wire, its time."""
    import gzip

    request = urllib.request.Request(url, headers={**headers, "Accept-Encoding": "gzip"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as reply:
        raw = reply.read()
        encoded = reply.headers.get("Content-Encoding") == "gzip"
    elapsed = (time.perf_counter() - started) * 1000
    body = gzip.decompress(raw) if encoded else raw
    # Where the gateway did not compress, count what gzip would have sent.
    return json.loads(body), len(raw) if encoded else len(gzip.compress(body)), elapsed


async def offline_day(stack: Stack, headers: dict[str, str], body: dict[str, Any]) -> int:
    """The station's work while the app was offline; returns the tickets changed."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        created = []
        for _ in range(OFFLINE_NEW_TICKETS):
            async with http.post(f"{stack.url()}/api/v1/tickets", json=body, headers=headers) as reply:
                created.append((await reply.json())["id"])
        for index, ticket_id in enumerate(created):
            actions = ("accept", "resolve", "close") if index % 2 else ("accept",)
            for action in actions:
                url = f"{stack.url()}/api/v1/tickets/{ticket_id}/transitions"
                async with http.post(url, json=_action(action), headers=headers) as reply:
                    if reply.status != 200:
                        raise RuntimeError(f"{action} {ticket_id}: {reply.status} {await reply.text()}")
    return len(created)


def station_resync(stack: Stack, headers: dict[str, str], body: dict[str, Any]) -> tuple[str, dict[str, float]]:
    """A station's app back after 8 hours offline: one `changes` request for its tickets, its gzip size and
    time. The token is the one a full sync would have ended with (the counter then), taken from an empty
    answer instead of paging the station's share of a million tickets first."""
    from urllib.parse import quote

    base = f"{stack.url()}/api/v1/tickets?station_id={STATION}"
    empty = f"{base}&created_from={quote('2999-01-01T00:00:00+00:00')}&changes=0"
    token = sync_call(empty, headers)[0]["changes"]
    changed = asyncio.run(offline_day(stack, headers, body))
    asyncio.run(settle(stack))
    times: list[float] = []
    for _ in range(20):
        answer, size, elapsed = sync_call(f"{base}&changes={token}", headers)
        times.append(elapsed)
    if answer["next_cursor"] is not None or len(answer["items"]) != changed:
        raise RuntimeError(f"resync: {len(answer['items'])} of {changed} tickets in one answer")
    name = (
        f"station resync after 8 h offline (`changes=`, {changed} tickets raised and changed, one request): "
        f"{size / 1024:.1f} KB gzip"
    )
    median = statistics.median(times)
    return name, {
        "rps": 1000 / median,
        "p50_ms": median,
        "p95_ms": percentile(times, 0.95),
        "p99_ms": percentile(times, 0.99),
        "errors": 0,
        "of_ceiling": False,
    }


def table(rows: list[tuple[str, dict[str, float]]], ceiling: float) -> str:
    lines = [
        "| what | requests/s | % of ceiling | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in rows:
        share = f"{100 * result['rps'] / ceiling:.0f}%" if result.get("of_ceiling", True) else "—"
        lines.append(
            f"| {name} | {result['rps']:,.0f} | {share} | {result['p50_ms']:.2f} | "
            f"{result['p95_ms']:.2f} | {result['p99_ms']:.2f} | {int(result['errors'])} |"
        )
    return "\n".join(lines)


def main() -> None:
    binary = ensure_wrk()
    suffix = uuid.uuid4().hex[:6]
    state = ROOT / "var" / "bench"
    stack = Stack(
        database_prefix=f"bench_{suffix}",
        namespace=f"bench{suffix}",
        gateway_port=18800,
        ports={"catalog": 18801, "ticket": 18802, "deliberation": 18803, "evaluation": 18804, "notification": 18805},
        state_directory=state,
        extra_environment={
            **{
                f"{name}_LOG_LEVEL": "WARNING"
                for name in ("CATALOG", "TICKET", "DELIBERATION", "EVALUATION", "NOTIFICATION", "GATEWAY")
            },
            # wrk is one address sending thousands of requests a second: measure the hop, not the limiter.
            "GATEWAY_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "0",
            "GATEWAY_RATE_LIMIT_PER_TOKEN_PER_MINUTE": "0",
        },
    )
    bare = subprocess.Popen([sys.executable, str(BENCH / "bare.py"), "18899"], cwd=ROOT)
    rows: list[tuple[str, dict[str, float]]] = []
    try:
        stack.up()
        if "--only-resync" in sys.argv:  # the resync row alone, on the seeded district (a few minutes)
            print("seeding the district-scale catalogue and waiting for its events to settle ...", flush=True)
            subprocess.run(
                [sys.executable, "-m", "catalog_service", "seed"],
                env=stack.environment("catalog"),
                cwd=ROOT,
                check=True,
            )
            asyncio.run(settle(stack))
            social_worker = {"Authorization": f"Bearer {token(stack, 'social_worker')}"}
            body = {
                "station_id": STATION,
                "channel": "walk_in",
                "service_category": "daily_life",
                "description": "楼道灯不亮，请派人修理",
                "resident_name": "李阿姨",
                "resident_phone": "13812345678",
            }
            rows.append(station_resync(stack, social_worker, body))
            print(table(rows, 1.0))
            return
        wait_for("http://127.0.0.1:18899/ping")
        route = "/api/v1/service-categories"
        rows.append(("bare FastAPI endpoint (ceiling)", wrk(binary, "http://127.0.0.1:18899/ping")))
        rows.append((f"`GET {route}` straight to the catalogue", wrk(binary, stack.url("catalog") + route)))
        rows.append((f"`GET {route}` through the gateway", wrk(binary, stack.url() + route)))

        print("seeding the district-scale catalogue and waiting for its events to settle ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "catalog_service", "seed"], env=stack.environment("catalog"), cwd=ROOT, check=True
        )
        asyncio.run(settle(stack))
        admin = {"Authorization": f"Bearer {token(stack, 'district_admin')}"}
        for name, path in (
            (
                "nearest stations (15-minute walk of 陆家嘴)",
                "/api/v1/stations/nearby?latitude=31.235&longitude=121.505",
            ),
            ("a station's service list", f"/api/v1/stations/{STATION}/service-list"),
            ("resource search (text + category)", "/api/v1/resources?q=%E6%96%87&category=culture"),
        ):
            rows.append((f"{name}, through the gateway", wrk(binary, stack.url() + path, admin)))

        social_worker = {"Authorization": f"Bearer {token(stack, 'social_worker')}"}
        ticket = {
            "station_id": STATION,
            "channel": "walk_in",
            "service_category": "daily_life",
            "description": "楼道灯不亮，请派人修理",
            "resident_name": "李阿姨",
            "resident_phone": "13812345678",
        }
        rows.append(
            (
                "ticket creation (`POST /api/v1/tickets`), through the gateway",
                wrk(binary, stack.url() + "/api/v1/tickets", social_worker, body=ticket, state=state),
            )
        )
        asyncio.run(settle(stack))

        # The target rate, and a quarter of it to show the pipeline when the ticket service has room.
        for rate in (CLOSE_RATE, CLOSE_RATE // 4):
            print(f"closing tickets at {rate}/s to time ticket.closed -> invitation ...", flush=True)
            count = rate * CLOSE_SECONDS
            to_close = asyncio.run(open_ticket_ids(stack, count))
            if len(to_close) < count:
                asyncio.run(create_tickets(stack, social_worker, ticket, count - len(to_close)))
                to_close = asyncio.run(open_ticket_ids(stack, count))
            asyncio.run(resolve_all(stack, social_worker, to_close))
            asyncio.run(settle(stack))
            kept = asyncio.run(close_at_rate(stack, social_worker, to_close, rate))
            asyncio.run(settle(stack))
            latencies = asyncio.run(event_latencies(stack, to_close))
            rows.append(
                (
                    f"event latency `ticket.closed` → stored invitation, {len(to_close):,} tickets closed at "
                    f"{rate}/s (requests/s = closings kept)",
                    {
                        "rps": kept,
                        "p50_ms": statistics.median(latencies),
                        "p95_ms": percentile(latencies, 0.95),
                        "p99_ms": percentile(latencies, 0.99),
                        "errors": 0,
                        "of_ceiling": False,
                    },
                )
            )

        print(f"loading {LIST_TICKETS:,} tickets ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "ticket_service.bench_data", "--tickets", str(LIST_TICKETS)],
            env=stack.environment("ticket"),
            cwd=ROOT,
            check=True,
        )
        path = f"/api/v1/tickets?station_id={STATION}"
        rows.append(
            (
                f"a station's ticket list (50 a page) at {LIST_TICKETS:,} tickets, through the gateway",
                wrk(binary, stack.url() + path, social_worker),
            )
        )
        rows.append(
            (
                "the same list, 4 clients",
                wrk(binary, stack.url() + path, social_worker, connections=4),
            )
        )
        print("a station's resync after 8 hours offline ...", flush=True)
        rows.append(station_resync(stack, social_worker, ticket))
    finally:
        bare.terminate()
        stack.down()
        asyncio.run(stack.drop_databases())
        asyncio.run(stack.delete_event_namespace())
    print(
        f"\nwrk, {CONNECTIONS} connections unless a row says otherwise, 2 threads, {DURATION} a row, on this machine:\n"
    )
    print(table(rows, rows[0][1]["rps"]))


if __name__ == "__main__":
    main()
