"""The distributed mode on one machine: each service and the gateway as its own uvicorn process,
PostgreSQL (one database per service) and RabbitMQ from environment URLs.

    python deploy/stack.py up      # create databases, migrate, start, wait until ready
    python deploy/stack.py down    # stop what `up` started (SIGTERM, then wait)
    python deploy/stack.py up --gateway-port 18000 --state-directory var/stack-18000   # 8000-8005 busy

The services and their ports: catalog 8001, ticket 8002, deliberation 8003, evaluation 8004, notification
8005 (webhooks, the worker's feed, push, residents' SMS); the gateway on 8000 routes to all five.

    python deploy/stack.py up --replicas 2   # two processes of each service and of the gateway

With `--replicas N` (N > 1) every service and the gateway run as N processes, replica i on the group's
port + 1000 × i (ticket: 9002, 10002, ...), and a round-robin TCP balancer (deploy/balancer.py) takes the
group's own port: the gateway's upstreams and the services' calls to each other go through the balancers.

Environment: DOORSTEP_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432), DOORSTEP_BROKER_URL
(default amqp://guest:guest@127.0.0.1:5672/), DOORSTEP_REDIS_URL (default redis://127.0.0.1:6379/0: the
rate-limit counters; `up` starts a local redis-server when nothing answers there, installing Debian's
package if it is missing). Tests and the benchmark use `Stack` directly with their own ports, database
names and event namespace (which also prefixes the rate-limit keys in Redis).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python deploy/stack.py`: the kernel's helpers are importable
    sys.path.insert(0, str(ROOT))

from shared.server import INSTANCE_ENV, INSTANCE_HEADER, PortBusy, require_free_port  # noqa: E402

SERVICES = {"catalog": 8001, "ticket": 8002, "deliberation": 8003, "evaluation": 8004, "notification": 8005}
GATEWAY_PORT = 8000


@dataclass
class Stack:
    postgres_url: str = os.environ.get("DOORSTEP_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
    broker_url: str = os.environ.get("DOORSTEP_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
    redis_url: str = os.environ.get("DOORSTEP_REDIS_URL", "redis://127.0.0.1:6379/0")
    database_prefix: str = "doorstep"
    namespace: str = "doorstep"
    gateway_port: int = GATEWAY_PORT
    ports: dict[str, int] = field(default_factory=lambda: dict(SERVICES))
    state_directory: Path = ROOT / "var" / "stack"
    extra_environment: dict[str, str] = field(default_factory=dict)
    # By process name: a group's name ("ticket", "gateway") with one replica; with more, "ticket-1",
    # "ticket-2", ... and "ticket-balancer" (`replica_names`, `balancer_name`).
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # One nonce per process started: each echoes its own (shared/server.py), so a readiness answer from
    # another system on the same port is never taken for ours.
    instances: dict[str, str] = field(default_factory=dict)
    # Processes per group (each service, the gateway). Above 1, a balancer takes the group's port (`ports`,
    # `gateway_port`) and each replica listens on its own: `replica_ports[group]`, else port + 1000 × i.
    replicas: int = 1
    replica_ports: dict[str, list[int]] = field(default_factory=dict)
    # How long `up` waits for each group to answer (a busy 2-core machine starting a dozen processes is slow).
    ready_timeout: float = 60.0

    def groups(self) -> list[str]:
        return [*self.ports, "gateway"]

    def replica_names(self, group: str) -> list[str]:
        """The group's processes serving requests: the group itself with one replica, else group-1 ... group-N."""
        if self.replicas == 1:
            return [group]
        return [f"{group}-{number}" for number in range(1, self.replicas + 1)]

    @staticmethod
    def balancer_name(group: str) -> str:
        return f"{group}-balancer"

    @staticmethod
    def group_of(name: str) -> str:
        base, _, suffix = name.rpartition("-")
        return base if base and (suffix.isdigit() or suffix == "balancer") else name

    def port(self, name: str) -> int:
        """The port of a group (its balancer's, or its one process's), of a replica or of a balancer."""
        group = self.group_of(name)
        public = self.gateway_port if group == "gateway" else self.ports[group]
        if name in (group, self.balancer_name(group)):
            return public
        number = int(name.rpartition("-")[2])
        if group in self.replica_ports:
            return self.replica_ports[group][number - 1]
        return public + 1000 * number

    def database_name(self, service: str) -> str:
        return f"{self.database_prefix}_{service}"

    def environment(self, service: str) -> dict[str, str]:
        """A group's environment; with one replica it carries the process's nonce (`start` gives each of
        several replicas its own instead)."""
        environment = {**os.environ, "PYTHONPATH": str(ROOT), **self.extra_environment}
        if self.replicas == 1:
            environment[INSTANCE_ENV] = self.instances.setdefault(service, uuid.uuid4().hex)
        if service == "gateway":
            environment["GATEWAY_MODE"] = "distributed"
            environment["GATEWAY_RATE_LIMIT_REDIS_URL"] = self.redis_url
            environment["GATEWAY_RATE_LIMIT_KEY_PREFIX"] = f"{self.namespace}:gateway"
            for name, port in self.ports.items():
                environment[f"GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
            return environment
        prefix = service.upper()
        environment[f"{prefix}_MODE"] = "distributed"
        environment[f"{prefix}_DATABASE_URL"] = f"{self.postgres_url}/{self.database_name(service)}"
        environment[f"{prefix}_BROKER_URL"] = self.broker_url
        environment[f"{prefix}_EVENT_NAMESPACE"] = self.namespace
        environment[f"{prefix}_RATE_LIMIT_REDIS_URL"] = self.redis_url
        if service == "notification":
            # It calls other services directly (ticket: contacts, evaluation: rating links): at the ports this
            # stack gave them, not the defaults (8001-8004), which may be another stack's.
            for other in ("catalog", "ticket", "evaluation"):
                if other in self.ports:
                    environment[f"NOTIFICATION_{other.upper()}_URL"] = self.url(other)
        if service == "evaluation" and "ticket" in self.ports:
            # The district overview page reads the ticket service's figures with the caller's token.
            environment["EVALUATION_TICKET_URL"] = self.url("ticket")
        return environment

    async def create_databases(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.postgres_url + "/postgres")
        try:
            existing = {row[0] for row in await connection.fetch("SELECT datname FROM pg_database")}
            for service in self.ports:
                if self.database_name(service) not in existing:
                    await connection.execute(f'CREATE DATABASE "{self.database_name(service)}"')
        finally:
            await connection.close()

    async def drop_databases(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.postgres_url + "/postgres")
        try:
            for service in self.ports:
                await connection.execute(f'DROP DATABASE IF EXISTS "{self.database_name(service)}" WITH (FORCE)')
        finally:
            await connection.close()

    async def delete_event_namespace(self) -> None:
        """Deletes the namespace's queues and exchanges (the benchmark and the tests leave none behind)."""
        import aio_pika

        connection = await aio_pika.connect(self.broker_url)
        async with connection:
            channel = await connection.channel()
            for service in self.ports:
                for suffix in ("", ".retry", ".dlq"):
                    await channel.queue_delete(f"{self.namespace}.{service}{suffix}")
            await channel.queue_delete(f"{self.namespace}.unrouted")
            for exchange in ("events", "unrouted", "dead"):
                await channel.exchange_delete(f"{self.namespace}.{exchange}")

    def migrate(self) -> None:
        """Migrates every service's database, side by side (each has its own)."""
        running = {
            service: subprocess.Popen(
                [sys.executable, "-m", f"{service}_service", "migrate"], env=self.environment(service), cwd=ROOT
            )
            for service in self.ports
        }
        failed = [service for service, process in running.items() if process.wait() != 0]
        if failed:
            raise subprocess.CalledProcessError(running[failed[0]].returncode, f"{failed[0]}_service migrate")

    def start(self, name: str) -> None:
        """Starts a group (with several replicas: each of them, then its balancer), a replica or a balancer."""
        group = self.group_of(name)
        if name == group and self.replicas > 1:
            for replica in self.replica_names(group):
                self.start(replica)
            self.start(self.balancer_name(group))
            return
        if name == self.balancer_name(group):
            backends = [f"--backend=127.0.0.1:{self.port(replica)}" for replica in self.replica_names(group)]
            command = [sys.executable, str(ROOT / "deploy" / "balancer.py"), f"--listen=127.0.0.1:{self.port(group)}"]
            self._spawn(name, [*command, *backends], {**os.environ})
            return
        module = "gateway" if group == "gateway" else f"{group}_service"
        environment = self.environment(group)
        environment[INSTANCE_ENV] = self.instances.setdefault(name, uuid.uuid4().hex)
        command = [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(self.port(name))]
        self._spawn(name, command, environment)

    def _spawn(self, name: str, command: list[str], environment: dict[str, str]) -> None:
        self.state_directory.mkdir(parents=True, exist_ok=True)
        with open(self.state_directory / f"{name}.log", "ab") as log:
            process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        (self.state_directory / f"{name}.pid").write_text(str(process.pid))

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown, nothing flushed. `start(name)` restarts it."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()
        (self.state_directory / f"{name}.pid").unlink(missing_ok=True)

    def stop(self, name: str, timeout: float = 25.0) -> None:
        group = self.group_of(name)
        if name == group and self.replicas > 1:
            for member in [self.balancer_name(group), *self.replica_names(group)]:
                self.stop(member, timeout)
            return
        process = self.processes.pop(name, None)
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        (self.state_directory / f"{name}.pid").unlink(missing_ok=True)

    def url(self, name: str = "gateway") -> str:
        """A group's URL (through its balancer when it has several replicas), or one replica's."""
        return f"http://127.0.0.1:{self.port(name)}"

    def wait_ready(self, name: str, timeout: float = 60.0) -> None:
        """Until the group (each replica, then its balancer) or the one process answers /readyz."""
        group = self.group_of(name)
        if self.replicas > 1 and name in (group, self.balancer_name(group)):
            deadline = time.monotonic() + timeout
            if name == group:
                for replica in self.replica_names(group):
                    self.wait_ready(replica, max(1.0, deadline - time.monotonic()))
            ours = {self.instances[replica] for replica in self.replica_names(group) if replica in self.instances}
            self._wait_answer(self.balancer_name(group), ours, max(1.0, deadline - time.monotonic()))
            return
        self._wait_answer(name, {self.instances[name]} if name in self.instances else set(), timeout)

    def _wait_answer(self, name: str, instances: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            process = self.processes.get(name)
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {self.state_directory}/{name}.log")
            try:
                with urllib.request.urlopen(self.url(name) + "/readyz", timeout=2) as response:
                    answered_by = response.headers.get(INSTANCE_HEADER.decode())
                    if instances and answered_by not in instances:
                        raise NotOurs(name, self.url(name))
                    if response.status == 200:
                        return
            except NotOurs:
                raise
            except Exception as error:
                last = repr(error)
            time.sleep(0.2)
        raise TimeoutError(f"{name} not ready after {timeout}s: {last}")

    def seed(self) -> None:
        """Demo data, catalogue first; the running services' relays then deliver its events."""
        for service in self.ports:
            subprocess.run(
                [sys.executable, "-m", f"{service}_service", "seed"],
                env=self.environment(service),
                cwd=ROOT,
                check=True,
            )

    def check_ports_free(self) -> None:
        """`PortBusy` naming the first taken port (another `make run` or `make up`?), before anything starts."""
        ports = [self.gateway_port, *self.ports.values()]
        if self.replicas > 1:
            ports += [self.port(replica) for group in self.groups() for replica in self.replica_names(group)]
        for port in ports:
            require_free_port("127.0.0.1", port)

    def up(self, *, seed: bool = False) -> None:
        self.check_ports_free()
        asyncio.run(self.create_databases())
        self.migrate()
        for service in self.ports:
            self.start(service)
        for service in self.ports:
            self.wait_ready(service, self.ready_timeout)
        if seed:
            # After start: a later service's seed needs the copies that earlier seeds' events build.
            self.seed()
        self.start("gateway")
        self.wait_ready("gateway", self.ready_timeout)

    def down(self) -> None:
        for name in ["gateway", *self.ports]:
            self.stop(name)


class NotOurs(RuntimeError):
    def __init__(self, name: str, url: str) -> None:
        super().__init__(
            f"{name}: another process answers at {url}, not the one this stack started (it could not take "
            "the port). Stop the other system (`make down`, or Ctrl-C where `make run` runs) and start again."
        )


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def ensure_redis(url: str) -> None:
    """Starts a local redis-server (daemonised) when nothing answers at a local `url`, like .ci/run does."""
    address = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = address.partition(":")
    host, number = host or "127.0.0.1", int(port or 6379)
    if _port_open(host, number) or host not in ("127.0.0.1", "localhost"):
        return
    if shutil.which("redis-server") is None:
        print("installing redis-server (Debian package)")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "redis-server"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    subprocess.run(["redis-server", "--daemonize", "yes", "--port", str(number), "--bind", host], check=True)
    deadline = time.monotonic() + 10
    while not _port_open(host, number):
        if time.monotonic() > deadline:
            raise TimeoutError(f"redis-server did not start on {host}:{number}")
        time.sleep(0.1)


def _stop_from_pid_files(state_directory: Path) -> None:
    for pid_file in sorted(state_directory.glob("*.pid")):
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
            print(f"stopped {pid_file.stem}")
        except (ProcessLookupError, ValueError):
            pass
        pid_file.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python deploy/stack.py")
    parser.add_argument("command", choices=["up", "down"])
    parser.add_argument("--no-seed", action="store_true", help="start with empty databases")
    parser.add_argument(
        "--gateway-port",
        type=int,
        default=GATEWAY_PORT,
        help=f"the gateway's port; the services take the next ones (default {GATEWAY_PORT}, services "
        f"{min(SERVICES.values())}-{max(SERVICES.values())})",
    )
    parser.add_argument("--database-prefix", default="doorstep", help="databases <prefix>_<service>")
    parser.add_argument("--namespace", default="doorstep", help="RabbitMQ exchange and queue prefix")
    parser.add_argument("--state-directory", type=Path, default=None, help="pid files and logs (default var/stack)")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="processes per service and gateway; above 1 each group is balanced round-robin on its port, "
        "its replicas on port + 1000 × i",
    )
    arguments = parser.parse_args()
    if arguments.replicas < 1:
        parser.error("--replicas must be at least 1")
    stack = Stack(
        replicas=arguments.replicas,
        gateway_port=arguments.gateway_port,
        ports={name: arguments.gateway_port + number for number, name in enumerate(SERVICES, start=1)},
        database_prefix=arguments.database_prefix,
        namespace=arguments.namespace,
    )
    if arguments.state_directory is not None:
        stack.state_directory = arguments.state_directory
    if arguments.command == "down":
        _stop_from_pid_files(stack.state_directory)
        return
    _stop_from_pid_files(stack.state_directory)
    try:
        stack.check_ports_free()  # before Redis, databases or migrations: a busy port is said at once
        ensure_redis(stack.redis_url)
        stack.up(seed=not arguments.no_seed)
    except PortBusy:
        raise
    except (NotOurs, RuntimeError, TimeoutError) as error:
        stack.down()
        raise SystemExit(f"error: {error}") from error
    print(json.dumps({"gateway": stack.url(), **{name: stack.url(name) for name in stack.ports}}, indent=2))
    if stack.replicas > 1:
        print(f"{stack.replicas} replicas each, behind round-robin balancers on the ports above")
    print(f"logs in {stack.state_directory}; stop with `make down`")


if __name__ == "__main__":
    main()
