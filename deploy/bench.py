"""`make bench`: throughput and latency of the distributed stack on this machine, as one table with targets.

    python deploy/bench.py            # the full run (5,000,000 tickets, 10 s a row): on a quiet machine
    python deploy/bench.py --quick    # small data (and only the report's stations), 3 s rows: a check
    python deploy/bench.py --only-resync

Starts the distributed stack (each service and the gateway its own process, PostgreSQL and RabbitMQ) on
spare ports, then times, each row against the target of issue 17 where it has one:

- a bare FastAPI endpoint (the ceiling) and a static catalogue route, straight and through the gateway;
- catalogue reads on the district-scale demo data (1,285 stations);
- a station's ticket list (newest first, 50 a page; 32 and 4 clients) and a subdistrict's overdue tickets,
  with 5,000,000 tickets in the database of which the timed station holds 100,000, loaded in PostgreSQL by
  `ticket_service.bench_data` (UUIDv7 ids of their creation times, a year of dates, a working status mix);
- ticket creation (POST, 32 clients), then the same with the gateway's rate limiters on;
- `ticket.closed` → invitation, tickets closed open-loop at a fixed rate (200/s, then 50/s): the bench
  consumes `evaluation.invitation_created` from the broker itself (its own exclusive queue on the stack's
  exchange; the evaluation service publishes it only after the invitation committed) and times each from
  the moment the close's HTTP answer arrived to the moment its event arrived;
- a station's resync after 8 hours offline (one `changes` request).

The rate limiters are off for every row but the one that says otherwise (wrk is one address sending
thousands of requests a second: the rows time the system, not the limiter). Between phases the bench waits
until every outbox is empty and every consumer queue drained. Each row's raw output (wrk's, the latency
samples) and the services' logs go to var/bench/<timestamp>/; the header gives the machine's cores and
load average at the start and the end. wrk is installed from Debian's packages if missing. One run on one
machine: compare rows, not machines.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_report import (
    Figures,
    Row,
    Target,
    both,
    cpu_per_request,
    cpu_table,
    latency_figures,
    percentile,
    percentile_below,
    rate_kept,
    share_of_ceiling,
    table,
)
from stack import ROOT, Stack

from shared.ids import stable_id

CONNECTIONS = 32
BENCH = Path(__file__).resolve().parent / "bench"
LUA = BENCH / "percentiles.lua"
CLOSE_RATE = 200  # tickets closed per second in the event-latency phase
STATION = str(stable_id("station", "陆家嘴街道", "市新居委会"))
CEILING_PORT = 18899
CPU_HEADING = "Where the CPU went: ms of CPU per answered request, by process, during each wrk row"

INVITATION_CREATED = "evaluation.invitation_created"
LIMITS_OFF = {"GATEWAY_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "0", "GATEWAY_RATE_LIMIT_PER_TOKEN_PER_MINUTE": "0"}
# On: counted in Redis per address and per token on every request, as in production, with limits so high
# that wrk's one address and token are never refused (the row times the counting, not 429s).
LIMITS_ON = {
    "GATEWAY_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "100000000",
    "GATEWAY_RATE_LIMIT_PER_TOKEN_PER_MINUTE": "100000000",
}


@dataclass(frozen=True)
class Scale:
    tickets: int
    station_tickets: int
    seconds: int  # a wrk row
    closings: int  # at CLOSE_RATE; a quarter of them at a quarter of the rate


FULL = Scale(tickets=5_000_000, station_tickets=100_000, seconds=10, closings=2_000)
QUICK = Scale(tickets=200_000, station_tickets=20_000, seconds=3, closings=400)


def _process_seconds(pid: int) -> float:
    """User and system CPU seconds a process has used (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _machine_idle_seconds() -> float:
    """The idle time of all the machine's cores together (/proc/stat's first line)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")  # idle, iowait


class CpuSampler:
    """CPU seconds by process group: the stack's processes by group, PostgreSQL's and RabbitMQ's server
    processes by name (all of them: the machine's other databases' too, so run the bench on a quiet
    machine), and wrk (this process's finished children)."""

    NAMES = {"postgres": "PostgreSQL", "beam.smp": "RabbitMQ"}

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def snapshot(self) -> dict[str, float]:
        used: dict[str, float] = {}
        for name, process in self.stack.processes.items():
            group = "balancer" if name.endswith("-balancer") else self.stack.group_of(name)
            used[group] = used.get(group, 0.0) + _process_seconds(process.pid)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if command in self.NAMES:
                group = self.NAMES[command]
                used[group] = used.get(group, 0.0) + _process_seconds(int(entry.name))
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        used["wrk"] = children.ru_utime + children.ru_stime
        used["idle"] = _machine_idle_seconds()
        return used

    @staticmethod
    def used(before: dict[str, float], after: dict[str, float], requests: int, seconds: float) -> dict[str, float]:
        """ms of CPU per request by group between two snapshots, and the share of all cores left idle."""
        spent = {group: after[group] - before.get(group, 0.0) for group in after if group != "idle"}
        shares = cpu_per_request(spent, requests)
        capacity = (os.cpu_count() or 1) * seconds
        if capacity > 0:
            shares["idle"] = max(0.0, min(1.0, (after["idle"] - before["idle"]) / capacity))
        return shares


@dataclass
class Run:
    """One bench run: its scale, wrk, the directory its raw output goes to, and the CPU sampler."""

    scale: Scale
    wrk: str
    directory: Path
    state: Path
    sampler: CpuSampler | None = None

    def raw(self, name: str) -> Path:
        return self.directory / name


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


def slug(text: str) -> str:
    kept = "".join(character if character.isascii() and character.isalnum() else "-" for character in text.lower())
    return "-".join(part for part in kept.split("-") if part)[:60]


def wrk(
    run: Run,
    name: str,
    url: str,
    headers: dict[str, str] | None = None,
    *,
    body: dict[str, Any] | None = None,
    connections: int = CONNECTIONS,
) -> tuple[Figures, str, dict[str, float]]:
    """One wrk row; its whole output kept in the run's directory. Returns the figures, that file's name and
    the CPU each process group used per request (`CpuSampler`)."""
    script = LUA
    if body is not None:
        # A POST: wrk takes the method and body from the script, so prepend them to the reporting script.
        script = run.state / "post.lua"
        script.write_text(
            f'wrk.method = "POST"\nwrk.body = [==[{json.dumps(body, ensure_ascii=False)}]==]\n'
            'wrk.headers["Content-Type"] = "application/json"\n' + LUA.read_text()
        )
    duration = f"{run.scale.seconds}s"
    command = [run.wrk, "-t2", f"-c{connections}", f"-d{duration}", "--latency", "-s", str(script)]
    for header, value in (headers or {}).items():
        command += ["-H", f"{header}: {value}"]
    if body is None:  # warm up (a POST would add rows)
        subprocess.run([*command[:2], "-c8", f"-d{min(2, run.scale.seconds)}s", *command[4:], url], capture_output=True)
    before = run.sampler.snapshot() if run.sampler else {}
    started = time.monotonic()
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    elapsed = time.monotonic() - started
    after = run.sampler.snapshot() if run.sampler else {}
    file = f"{len(list(run.directory.glob('*.txt'))) + 1:02d}-{slug(name)}.txt"
    shown = [part if not part.startswith("Authorization") else "Authorization: Bearer …" for part in command]
    run.raw(file).write_text(f"$ {' '.join(shown)} {url}\n\n{done.stdout}\n{done.stderr}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("BENCH "))
    result = json.loads(line[len("BENCH ") :])
    answered = result["requests"] > 0  # none answered: no latency to show (not 0 ms)
    figures = Figures(
        rps=result["requests"] / result["seconds"],
        p50_ms=result["p50_ms"] if answered else float("nan"),
        p95_ms=result["p95_ms"] if answered else float("nan"),
        p99_ms=result["p99_ms"] if answered else float("nan"),
        errors=int(result["errors"]),
    )
    cpu = CpuSampler.used(before, after, int(result["requests"]), elapsed) if run.sampler else {}
    return figures, file, cpu


def wrk_row(
    run: Run,
    name: str,
    url: str,
    headers: dict[str, str] | None = None,
    *,
    target: Target | None = None,
    body: dict[str, Any] | None = None,
    connections: int = CONNECTIONS,
) -> Row:
    print(f"  {name} ...", flush=True)
    figures, file, cpu = wrk(run, name, url, headers, body=body, connections=connections)
    return Row(name, figures, target, raw=[file], cpu=cpu)


def token(stack: Stack, username: str) -> str:
    request = urllib.request.urlopen(
        stack.url() + "/auth/token", data=f"username={username}&password=demo-{username}".encode()
    )
    return str(json.loads(request.read())["access_token"])


def bearer(stack: Stack, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(stack, username)}"}


async def connect(url: str, attempts: int = 60) -> Any:
    """An asyncpg connection; while the server has no free slot (a shared machine), tries again."""
    import asyncpg

    for attempt in range(attempts):
        try:
            return await asyncpg.connect(url)
        except asyncpg.exceptions.TooManyConnectionsError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1)
    raise AssertionError("unreachable")


async def settle(stack: Stack, timeout: float = 600) -> None:
    """Waits until every service's outbox is empty and every consumer's queue is drained."""
    import aio_pika

    deadline = time.monotonic() + timeout
    connection = await aio_pika.connect(stack.broker_url)
    databases = {
        service: await connect(f"{stack.postgres_url}/{stack.database_name(service)}") for service in stack.ports
    }
    try:
        channel = await connection.channel()
        quiet = 0
        while quiet < 3:  # three quiet looks in a row: a handler may be publishing its own events
            if time.monotonic() > deadline:
                raise TimeoutError("events did not settle")
            pending = 0
            for service, database in databases.items():
                pending += await database.fetchval("SELECT count(*) FROM outbox_message WHERE published_at IS NULL")
                queue = await channel.declare_queue(f"{stack.namespace}.{service}", passive=True)
                pending += queue.declaration_result.message_count or 0
            quiet = quiet + 1 if pending == 0 else 0
            await asyncio.sleep(0.5)
    finally:
        for database in databases.values():
            await database.close()
        await connection.close()


async def post_retrying(http: Any, url: str, body: dict[str, Any], headers: dict[str, str], expected: int) -> Any:
    """A set-up POST (not timed): with an Idempotency-Key, so a retry after a timeout or a 5xx on a busy
    machine acts once. Returns the answer's JSON."""
    key = {"Idempotency-Key": uuid.uuid4().hex}
    for attempt in range(5):
        try:
            async with http.post(url, json=body, headers={**headers, **key}) as reply:
                if reply.status == expected:
                    return await reply.json()
                if reply.status < 500 or attempt == 4:
                    raise RuntimeError(f"{url}: {reply.status} {(await reply.text())[:300]}")
        except TimeoutError:
            if attempt == 4:
                raise
        await asyncio.sleep(1 + attempt)
    raise AssertionError("unreachable")


async def create_tickets(stack: Stack, headers: dict[str, str], body: dict[str, Any], count: int) -> list[str]:
    """Raises `count` tickets (32 at a time); returns their ids."""
    import aiohttp

    limit = asyncio.Semaphore(CONNECTIONS)

    async def create(http: aiohttp.ClientSession) -> str:
        async with limit:
            return str((await post_retrying(http, f"{stack.url()}/api/v1/tickets", body, headers, 201))["id"])

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS)) as http:
        return list(await asyncio.gather(*(create(http) for _ in range(count))))


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
                await post_retrying(http, url, _action(action), headers, 200)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS)) as http:
        await asyncio.gather(*(resolve(http, ticket_id) for ticket_id in ticket_ids))


class InvitationWatch:
    """The bench's own consumer of `evaluation.invitation_created`: an exclusive, server-named queue bound
    to the stack's topic exchange, on a thread and event loop of its own (so the closings' sending loop
    does not delay its clock). Notes, per ticket id (the event's subject), when its first event arrived
    (`time.monotonic()`)."""

    def __init__(self, stack: Stack) -> None:
        self.broker_url = stack.broker_url
        self.exchange = f"{stack.namespace}.events"  # shared/events/rabbitmq.py: Topology
        self.arrived: dict[str, float] = {}
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="invitation-watch", daemon=True)

    def __enter__(self) -> InvitationWatch:
        self._thread.start()
        if not self._ready.wait(30) or self._failure is not None:
            raise RuntimeError(f"could not consume {INVITATION_CREATED}: {self._failure!r}")
        return self

    def __exit__(self, *_: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _main(self) -> None:
        try:
            asyncio.run(self._consume())
        except BaseException as error:  # reported to the bench's thread by __enter__
            self._failure = error
            self._ready.set()

    async def _consume(self) -> None:
        import aio_pika
        from aio_pika.abc import AbstractIncomingMessage

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        connection = await aio_pika.connect(self.broker_url)
        try:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=1000)
            queue = await channel.declare_queue(exclusive=True, auto_delete=True)
            exchange = await channel.get_exchange(self.exchange, ensure=True)
            await queue.bind(exchange, routing_key=INVITATION_CREATED)

            async def arrived(message: AbstractIncomingMessage) -> None:
                at = time.monotonic()
                subject = json.loads(message.body).get("subject")
                if isinstance(subject, str):
                    self.arrived.setdefault(subject, at)

            await queue.consume(arrived, no_ack=True)
            self._ready.set()
            await self._stop.wait()
        finally:
            await connection.close()

    def wait_for(self, ticket_ids: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(ticket_id not in self.arrived for ticket_id in ticket_ids):
            time.sleep(0.1)


@dataclass
class Closings:
    answered: dict[str, float]  # ticket id -> when the close's answer arrived (time.monotonic())
    sent_late_ms: list[float]  # how late each request left against its schedule (the bench's own lag)
    failures: list[str]
    kept: float  # closings answered a second: answered / (last answer - first scheduled send)


async def close_open_loop(stack: Stack, headers: dict[str, str], ticket_ids: list[str], rate: float) -> Closings:
    """Closes resolved tickets at `rate` a second, open loop: request i leaves at start + i / rate whether or
    not earlier ones were answered (no connection limit, so none waits for another's connection)."""
    import aiohttp

    answered: dict[str, float] = {}
    late: list[float] = []
    failures: list[str] = []
    start = time.monotonic() + 0.2

    async def close(http: aiohttp.ClientSession, index: int, ticket_id: str) -> None:
        scheduled = start + index / rate
        await asyncio.sleep(max(0.0, scheduled - time.monotonic()))
        late.append((time.monotonic() - scheduled) * 1000)
        url = f"{stack.url()}/api/v1/tickets/{ticket_id}/transitions"
        async with http.post(url, json={"action": "close"}, headers=headers) as reply:
            await reply.read()
            at = time.monotonic()
            if reply.status == 200:
                answered[ticket_id] = at
            else:
                failures.append(f"{reply.status} {(await reply.text())[:200]}")

    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as http:
        await asyncio.gather(*(close(http, index, ticket_id) for index, ticket_id in enumerate(ticket_ids)))
    last = max(answered.values(), default=start)
    kept = len(answered) / (last - start) if last > start else 0.0
    return Closings(answered, late, failures, kept)


def event_row(stack: Stack, run: Run, headers: dict[str, str], body: dict[str, Any], rate: float, count: int) -> Row:
    """`ticket.closed` → invitation stored and committed, from outside: the close's HTTP answer at the bench
    to `evaluation.invitation_created` at the bench, `count` tickets closed open-loop at `rate` a second."""
    name = (
        f"`ticket.closed` → invitation committed (its event at the bench), {count:,} tickets closed open-loop "
        f"at {rate:g}/s (requests/s = closings kept)"
    )
    print(f"  {name} ...", flush=True)
    ticket_ids = asyncio.run(create_tickets(stack, headers, body, count))
    asyncio.run(resolve_all(stack, headers, ticket_ids))
    asyncio.run(settle(stack))
    with InvitationWatch(stack) as watch:
        closings = asyncio.run(close_open_loop(stack, headers, ticket_ids, rate))
        watch.wait_for(list(closings.answered), timeout=60)
    samples = {
        ticket_id: (watch.arrived[ticket_id] - answered) * 1000
        for ticket_id, answered in closings.answered.items()
        if ticket_id in watch.arrived
    }
    missing = len(closings.answered) - len(samples)
    file = f"{len(list(run.directory.glob('*.txt'))) + 1:02d}-{slug(f'events-{rate:g}-per-s')}.txt"
    lines = [
        f"# {name}",
        f"# closings answered {len(closings.answered)} of {count}, failed {len(closings.failures)}, "
        f"no invitation event within 60 s: {missing}; kept {closings.kept:.1f}/s",
        f"# the bench's own send lag (ms): p50 {statistics.median(closings.sent_late_ms):.2f}, "
        f"max {max(closings.sent_late_ms):.2f}",
        *(f"# failure: {failure}" for failure in closings.failures[:20]),
        "ticket_id,latency_ms",
        *(f"{ticket_id},{latency:.3f}" for ticket_id, latency in samples.items()),
    ]
    run.raw(file).write_text("\n".join(lines) + "\n")
    asyncio.run(settle(stack))
    figures = latency_figures(list(samples.values()), closings.kept, len(closings.failures) + missing)
    return Row(name, figures, rate_kept(rate, 25) if rate == CLOSE_RATE else None, raw=[file])


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


def station_resync(stack: Stack, run: Run, headers: dict[str, str], body: dict[str, Any]) -> Row:
    """A station's app back after 8 hours offline: one `changes` request for its tickets, its gzip size and
    time. The token is the one a full sync would have ended with (the counter then), taken from an empty
    answer instead of paging the station's share of the tickets first."""
    from urllib.parse import quote

    base = f"{stack.url()}/api/v1/tickets?station_id={STATION}"
    empty = f"{base}&created_from={quote('2999-01-01T00:00:00+00:00')}&changes=0"
    changes = sync_call(empty, headers)[0]["changes"]
    changed = asyncio.run(offline_day(stack, headers, body))
    asyncio.run(settle(stack))
    times: list[float] = []
    for _ in range(20):
        answer, size, elapsed = sync_call(f"{base}&changes={changes}", headers)
        times.append(elapsed)
    if answer["next_cursor"] is not None or len(answer["items"]) != changed:
        raise RuntimeError(f"resync: {len(answer['items'])} of {changed} tickets in one answer")
    name = (
        f"station resync after 8 h offline (`changes=`, {changed} tickets raised and changed, one request): "
        f"{size / 1024:.1f} KB gzip (requests/s = 1 / the median of 20 sequential calls)"
    )
    file = f"{len(list(run.directory.glob('*.txt'))) + 1:02d}-resync.txt"
    run.raw(file).write_text("elapsed_ms\n" + "\n".join(f"{elapsed:.3f}" for elapsed in times) + "\n")
    median = statistics.median(times)
    figures = Figures(1000 / median, median, percentile(times, 0.95), percentile(times, 0.99), of_ceiling=False)
    return Row(name, figures, raw=[file])


def stack_up(stack: Stack, timeout: float = 300) -> None:
    """`Stack.up()` with a longer wait for readiness: on a loaded machine five services importing at once
    can take longer than its minute."""
    stack.check_ports_free()
    asyncio.run(stack.create_databases())
    stack.migrate()
    for service in stack.ports:
        stack.start(service)
    for service in stack.ports:
        stack.wait_ready(service, timeout)
    stack.start("gateway")
    stack.wait_ready("gateway", timeout)


def restart_gateway(stack: Stack, environment: dict[str, str]) -> None:
    """The gateway again with other settings (the services keep running): how the rate limiters are
    switched on for one row. `Stack.environment` reads `extra_environment` at each start."""
    stack.stop("gateway")
    stack.extra_environment.update(environment)
    stack.start("gateway")
    stack.wait_ready("gateway", 300)


def two_ticket_service_replicas(stack: Stack, run: Run, headers: dict[str, str]) -> Row:
    """Ticket creation again with a second ticket-service process beside the first, both behind a
    round-robin balancer (deploy/balancer.py) that the gateway is restarted to use; then back to one."""
    name = "ticket creation, two ticket-service replicas behind a round-robin balancer, through the gateway"
    single = stack.ports["ticket"]
    print("two ticket-service replicas ...", flush=True)
    try:
        # The running process is replica 1; replica 2 and the balancer get ports of their own.
        stack.replicas, stack.replica_ports = 2, {"ticket": [single, single + 1000]}
        stack.ports["ticket"] = single + 2000
        stack.start("ticket-2")
        stack.wait_ready("ticket-2", 300)
        stack.start("ticket-balancer")
        stack.replicas = 1  # the gateway stays one process; it reads the balancer's port at its start
        restart_gateway(stack, {})
        return wrk_row(run, name, stack.url() + "/api/v1/tickets", headers, body=ticket_body(), target=CREATION_TARGET)
    except Exception as error:  # the table says the row did not run, and why
        return Row(name, None, CREATION_TARGET, note=f"not run: {error!r}"[:200])
    finally:
        stack.replicas, stack.replica_ports = 1, {}
        for process in ("ticket-balancer", "ticket-2"):
            stack.stop(process)
        stack.ports["ticket"] = single
        restart_gateway(stack, {})


CREATION_TARGET = both(share_of_ceiling(0.10), percentile_below("p99", 50))


def ticket_body() -> dict[str, Any]:
    return {
        "station_id": STATION,
        "channel": "walk_in",
        "service_category": "daily_life",
        "description": "楼道灯不亮，请派人修理",
        "resident_name": "李阿姨",
        "resident_phone": "13812345678",
    }


def load_tickets(stack: Stack, scale: Scale) -> tuple[str, float]:
    """The bulk tickets; returns the loader's summary line and the seconds it took."""
    print(f"loading {scale.tickets:,} tickets ({scale.station_tickets:,} at the timed station) ...", flush=True)
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ticket_service.bench_data",
            "--tickets",
            str(scale.tickets),
            "--station",
            STATION,
            "--station-tickets",
            str(scale.station_tickets),
        ],
        env=stack.environment("ticket"),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    summary = done.stdout.strip().splitlines()[-1]
    print(f"  {summary}", flush=True)
    return summary, time.monotonic() - started


def overdue_lister(stack: Stack) -> tuple[str, dict[str, str]]:
    """Who lists a subdistrict's overdue tickets: the subdistrict admin where the ticket service lets that
    role list; else the subdistrict's department member (whose list scope includes the subdistrict)."""
    for username in ("subdistrict_admin", "department"):
        headers = bearer(stack, username)
        request = urllib.request.Request(f"{stack.url()}/api/v1/tickets?overdue=true&limit=1", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30):
                return username, headers
        except urllib.error.HTTPError as error:
            if error.code != 403:
                raise
    raise RuntimeError("neither a subdistrict admin nor a department may list tickets")


def header(scale: Scale, run: Run, load: tuple[float, float, float], loaded: str) -> str:
    end = os.getloadavg()
    return "\n".join(
        [
            f"`make bench` {'--quick ' if scale is QUICK else ''}on {os.cpu_count()} cores (os.cpu_count()); "
            f"load average (1/5/15 min) at the start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, "
            f"at the end {end[0]:.2f} / {end[1]:.2f} / {end[2]:.2f}.",
            "**Rate limiters OFF** (the gateway's per-address and per-token limits set to 0) for every row "
            "except the one marked *limiters on* (counted in Redis on every request, limits raised so wrk's "
            "one address and token are never refused).",
            f"wrk: {CONNECTIONS} connections unless a row says otherwise, 2 threads, {scale.seconds} s a row, "
            "all processes on this machine. % of ceiling = the row's requests/s over the bare FastAPI "
            "endpoint's in this run.",
            f"Tickets: {loaded}",
            f"Raw output of every row, and the services' logs: {run.directory.relative_to(ROOT)}/",
        ]
    )


def main() -> None:
    scale = QUICK if "--quick" in sys.argv else FULL
    load_at_start = os.getloadavg()
    directory = ROOT / "var" / "bench" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    directory.mkdir(parents=True, exist_ok=True)
    run = Run(scale=scale, wrk=ensure_wrk(), directory=directory, state=directory)
    suffix = uuid.uuid4().hex[:6]
    stack = Stack(
        database_prefix=f"bench_{suffix}",
        namespace=f"bench{suffix}",
        gateway_port=18800,
        ports={"catalog": 18801, "ticket": 18802, "deliberation": 18803, "evaluation": 18804, "notification": 18805},
        state_directory=directory,
        extra_environment={
            **{
                f"{name}_LOG_LEVEL": "WARNING"
                for name in ("CATALOG", "TICKET", "DELIBERATION", "EVALUATION", "NOTIFICATION", "GATEWAY")
            },
            **LIMITS_OFF,
            # --quick: the report's stations only (the demo station among them), seeded in seconds.
            **({"CATALOG_DEMO_SCALE": "reported"} if scale is QUICK else {}),
        },
    )
    run.sampler = CpuSampler(stack)
    bare = subprocess.Popen([sys.executable, str(BENCH / "bare.py"), str(CEILING_PORT)], cwd=ROOT)
    rows: list[Row] = []
    loaded = "none loaded"

    def seed() -> None:
        command = [sys.executable, "-m", "catalog_service", "seed"]
        subprocess.run(command, env=stack.environment("catalog"), cwd=ROOT, check=True)

    try:
        stack_up(stack)
        if "--only-resync" in sys.argv:  # the resync row alone, on the seeded district (a few minutes)
            print("seeding the district-scale catalogue and waiting for its events to settle ...", flush=True)
            seed()
            asyncio.run(settle(stack))
            rows.append(station_resync(stack, run, bearer(stack, "social_worker"), ticket_body()))
            return
        wait_for(f"http://127.0.0.1:{CEILING_PORT}/ping")
        route = "/api/v1/service-categories"
        print("static routes ...", flush=True)
        rows.append(wrk_row(run, "bare FastAPI endpoint (the ceiling)", f"http://127.0.0.1:{CEILING_PORT}/ping"))
        rows.append(
            wrk_row(
                run,
                f"`GET {route}` straight to the catalogue",
                stack.url("catalog") + route,
                target=share_of_ceiling(0.70),
            )  # fmt: skip
        )
        rows.append(
            wrk_row(run, f"`GET {route}` through the gateway", stack.url() + route, target=share_of_ceiling(0.60))
        )

        print("seeding the catalogue and waiting for its events to settle ...", flush=True)
        seed()
        asyncio.run(settle(stack))
        admin = bearer(stack, "district_admin")
        for name, path, least in (
            (
                "nearest stations (15-minute walk of 陆家嘴)",
                "/api/v1/stations/nearby?latitude=31.235&longitude=121.505",
                0.20,
            ),
            ("a station's service list", f"/api/v1/stations/{STATION}/service-list", 0.20),
            ("resource search (text + category)", "/api/v1/resources?q=%E6%96%87&category=culture", 0.10),
        ):
            rows.append(
                wrk_row(run, f"{name}, through the gateway", stack.url() + path, admin, target=share_of_ceiling(least))
            )

        loaded, seconds = load_tickets(stack, scale)
        loaded = f"{loaded} (the bench waited {seconds:.0f} s)"
        social_worker = bearer(stack, "social_worker")
        listing = f"/api/v1/tickets?station_id={STATION}&limit=50"
        where = f"the station holding {scale.station_tickets:,} of {scale.tickets:,} tickets"
        rows.append(
            wrk_row(
                run,
                f"a station's ticket list, newest first, 50 a page, {where}, through the gateway",
                stack.url() + listing,
                social_worker,
                target=percentile_below("p95", 20),
            )
        )
        rows.append(wrk_row(run, "the same list, 4 clients", stack.url() + listing, social_worker, connections=4))
        role, lister = overdue_lister(stack)
        rows.append(
            wrk_row(
                run,
                f"a subdistrict's overdue tickets (`overdue=true`, {role} token, 50 a page), same data, "
                "through the gateway",
                stack.url() + "/api/v1/tickets?overdue=true&limit=50",
                lister,
                target=percentile_below("p95", 30),
            )
        )

        print("ticket creation ...", flush=True)
        rows.append(
            wrk_row(
                run,
                "ticket creation (`POST /api/v1/tickets`), through the gateway",
                stack.url() + "/api/v1/tickets",
                social_worker,
                body=ticket_body(),
                target=CREATION_TARGET,
            )
        )
        asyncio.run(settle(stack))
        restart_gateway(stack, LIMITS_ON)
        rows.append(
            wrk_row(
                run,
                "ticket creation, through the gateway, *limiters on*",
                stack.url() + "/api/v1/tickets",
                social_worker,
                body=ticket_body(),
                target=CREATION_TARGET,
            )
        )
        restart_gateway(stack, LIMITS_OFF)
        asyncio.run(settle(stack))
        rows.append(two_ticket_service_replicas(stack, run, social_worker))
        asyncio.run(settle(stack))

        print("closing tickets to time ticket.closed -> invitation ...", flush=True)
        # The target rate, and a quarter of it to show the pipeline when the ticket service has room.
        rows.append(event_row(stack, run, social_worker, ticket_body(), CLOSE_RATE, scale.closings))
        rows.append(event_row(stack, run, social_worker, ticket_body(), CLOSE_RATE / 4, scale.closings // 4))

        print("a station's resync after 8 hours offline ...", flush=True)
        rows.append(station_resync(stack, run, social_worker, ticket_body()))
    finally:
        bare.terminate()
        bare.wait()
        stack.down()
        asyncio.run(stack.drop_databases())
        asyncio.run(stack.delete_event_namespace())
        if rows:
            ceiling = rows[0].figures.rps if rows[0].figures and "--only-resync" not in sys.argv else 0.0
            report = f"{header(scale, run, load_at_start, loaded)}\n\n{table(rows, ceiling)}\n"
            if cpu_table(rows):
                report += f"\n{CPU_HEADING}\n\n{cpu_table(rows)}\n"
            (directory / "table.md").write_text(report)
            print("\n" + report)


if __name__ == "__main__":
    main()
