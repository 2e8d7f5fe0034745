"""Fixtures shared by the whole suite: tokens, the embedded system, real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import fcntl
import os
import socket
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from shared.auth import issue_token
from shared.ids import stable_id
from shared.settings import CommonSettings

# The district-scale demo (1,285 stations, ~11,000 staff) is for `make run`; each test's fresh system
# seeds the report's stations only, with the same ids. Tests of the full seed ask for it themselves.
os.environ.setdefault("CATALOG_DEMO_SCALE", "reported")

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
BROKER_URL = os.environ.get("TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

DEMO_SUBDISTRICT = "陆家嘴街道"
DEMO_COMMUNITY = "市新居委会"
DEMO_STATION_ID = str(stable_id("station", DEMO_SUBDISTRICT, DEMO_COMMUNITY))
DEMO_SUBDISTRICT_ID = str(stable_id("subdistrict", DEMO_SUBDISTRICT))


def _reachable(url: str, default_port: int) -> bool:
    rest = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = rest.partition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or default_port)), timeout=2):
            return True
    except OSError:
        return False


def require(url: str, port: int, what: str) -> None:
    if _reachable(url, port):
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is not reachable at {url} and REQUIRE_SERVICES=1")
    pytest.skip(f"{what} is not reachable at {url}")


@pytest.fixture
def postgres() -> str:
    require(POSTGRES_URL, 5432, "PostgreSQL")
    return POSTGRES_URL


@pytest.fixture
def rabbitmq() -> str:
    require(BROKER_URL, 5672, "RabbitMQ")
    return BROKER_URL


@pytest.fixture
def redis() -> str:
    """Redis (the rate-limit counters of the distributed mode); give each test its own key prefix."""
    require(REDIS_URL, 6379, "Redis")
    return REDIS_URL


async def create_database(name: str) -> str:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL + "/postgres")
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"{POSTGRES_URL}/{name}"


async def drop_database(name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL + "/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture
async def fresh_databases(postgres: str) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """Makes a new PostgreSQL database per call, dropped after the test."""
    created: list[str] = []

    async def make(service: str) -> str:
        name = f"test_{service}_{uuid.uuid4().hex[:10]}"
        created.append(name)
        return await create_database(name)

    yield make
    for name in created:
        await drop_database(name)


def token(roles: list[str] | str, subject: str | None = None, **scope: Any) -> str:
    roles = [roles] if isinstance(roles, str) else roles
    return issue_token(CommonSettings(), subject or str(uuid.uuid4()), roles, **scope)


def bearer(roles: list[str] | str, subject: str | None = None, **scope: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(roles, subject, **scope)}"}


def staff_headers(role: str = "social_worker", station_id: str = DEMO_STATION_ID, subject: str | None = None) -> dict:
    return bearer(role, subject, station_id=station_id, subdistrict_id=DEMO_SUBDISTRICT_ID)


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[None]:
    """Runs an ASGI app's lifespan (httpx's ASGI transport does not)."""
    target = getattr(app, "control_app", app)
    async with target.router.lifespan_context(target):
        yield


@pytest.fixture(scope="session")
async def embedded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded system as `make run` starts it (migrated, demo data seeded, at rest), built once per
    test process; tests get copies of its databases (tests/templates.py)."""
    from tests.templates import seeded_embedded_template

    return await seeded_embedded_template(tmp_path_factory.mktemp("embedded-template"))


@pytest.fixture
async def embedded(tmp_path: Path, embedded_template: Path) -> AsyncIterator[Any]:
    """The whole system in one process, as `make run` starts it, on a fresh SQLite directory (a copy of
    the seeded template)."""
    from gateway.settings import GatewaySettings
    from tests.templates import build_embedded

    # Tests send many requests from one address quickly; the limits have tests of their own.
    unlimited = GatewaySettings(rate_limit_per_token_per_minute=0, rate_limit_per_address_per_minute=0)
    system = build_embedded(
        tmp_path, embedded_template, gateway_settings=unlimited, service_overrides={"consumer_retry_delay_ms": 50}
    )
    async with running(system.gateway):
        yield system


@pytest.fixture
async def client(embedded: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=embedded.gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0, interval: float = 0.05) -> None:
    """Waits until `check` holds; events cross services asynchronously."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await check():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


_STACK_LOCK_PATH = Path(tempfile.gettempdir()) / "doorstep-process-stacks.lock"
_stack_slot_depth = 0


def _take(lock: IO[str], patience: float = 900.0) -> None:
    """The lock, or after `patience` seconds without it, go on anyway: an xdist worker waiting for more work
    keeps its last package's stack up, and a wait without end would hang the run instead of failing a test."""
    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.5)


@contextmanager
def process_stack_slot() -> Iterator[None]:
    """Held while a distributed stack of processes runs: one worker's stacks at a time on this machine, as a
    stack's dozen PostgreSQL pools leave no room for another's (PostgreSQL's 100 connections). The xdist
    group below should keep them on one worker already; this holds even when it does not. Reentrant within a
    process (a module's stack may start while its package's idles)."""
    global _stack_slot_depth
    with open(_STACK_LOCK_PATH, "a") as lock:
        if _stack_slot_depth == 0:
            _take(lock)
        _stack_slot_depth += 1
        try:
            yield
        finally:
            _stack_slot_depth -= 1
            if _stack_slot_depth == 0:
                fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def running_stack(stack: Any, *, before_down: Callable[[], None] | None = None) -> Iterator[Any]:
    """A distributed stack (deploy/stack.py) up for the block, inside this machine's stack slot; then down,
    its databases dropped and its event namespace deleted. `before_down` runs first (e.g. mending the fault
    proxies, so the stack can drain and stop)."""
    with process_stack_slot():
        try:
            stack.up()
            yield stack
        finally:
            if before_down is not None:
                before_down()
            stack.down()
            asyncio.run(stack.drop_databases())
            asyncio.run(stack.delete_event_namespace())


# Under pytest-xdist (`-n 2 --dist loadgroup`), the tests that start a distributed stack (six processes, each
# with its PostgreSQL pool) run on one worker, one stack at a time: two at once exhaust PostgreSQL's
# connections, and a worker waiting for the other's stack slot idles (minutes, in the fault tests).
_XDIST_GROUPS = {
    "tests/faults/": "process-stacks",
    "tests/replicas/": "process-stacks",
    "tests/integration/test_distributed_stack.py": "process-stacks",
}


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """loadgroup with the groups above. xdist's own loadgroup reads `xdist_group` markers by renaming each
    item's nodeid, which this pytest does not honour: the marked tests were spread over both workers."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling  # type: ignore[import-untyped]  # xdist ships no types

    class PrefixGroupScheduling(LoadGroupScheduling):  # type: ignore[misc]  # untyped base (above)
        def _split_scope(self, nodeid: str) -> str:
            for prefix, group in _XDIST_GROUPS.items():
                if nodeid.startswith(prefix):
                    return group
            return str(super()._split_scope(nodeid))

    return PrefixGroupScheduling(config, log)
