"""A round-robin TCP balancer in front of a group of replicas (deploy/stack.py `--replicas N`).

Each new client connection goes to the next replica in turn and stays with it (HTTP keep-alive
connections are pinned, as with any layer-4 balancer). A replica that refuses the connection (stopped,
killed, still starting) is skipped for `--down-seconds` and the next one is tried, so a client sees an
error only when every replica refuses. A connection already piped to a replica that dies is reset,
as the replica's own would be: the caller retries (a real client does; the API takes Idempotency-Key).

    python deploy/balancer.py --listen 127.0.0.1:8002 --backend 127.0.0.1:9002 --backend 127.0.0.1:10002
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from dataclasses import dataclass, field

logger = logging.getLogger("deploy.balancer")

CONNECT_TIMEOUT_SECONDS = 3.0
CHUNK = 256 * 1024


@dataclass
class Backend:
    host: str
    port: int
    down_until: float = 0.0
    connections: int = 0  # piped so far
    refused: int = 0  # connection attempts that failed

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class Balancer:
    backends: list[Backend]
    down_seconds: float = 1.0
    _next: int = 0
    _live: set[asyncio.Task[None]] = field(default_factory=set)

    def order(self, now: float) -> list[Backend]:
        """The backends to try for one connection: round-robin from the next one, those marked down last."""
        start = self._next
        self._next = (self._next + 1) % len(self.backends)
        turn = self.backends[start:] + self.backends[:start]
        return [backend for backend in turn if backend.down_until <= now] + [
            backend for backend in turn if backend.down_until > now
        ]

    async def connect(self) -> tuple[Backend, asyncio.StreamReader, asyncio.StreamWriter] | None:
        for backend in self.order(time.monotonic()):
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(backend.host, backend.port, limit=CHUNK), CONNECT_TIMEOUT_SECONDS
                )
            except (OSError, TimeoutError) as error:
                backend.refused += 1
                if backend.down_until <= time.monotonic():
                    logger.warning("backend %s down: %r", backend, error)
                backend.down_until = time.monotonic() + self.down_seconds
                continue
            if backend.down_until:
                logger.warning("backend %s up", backend)
                backend.down_until = 0.0
            backend.connections += 1
            return backend, reader, writer
        return None

    async def serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._live.add(task)
        try:
            await self._serve(client_reader, client_writer)
        except asyncio.CancelledError:  # the balancer stops: connections end with it
            client_writer.transport.abort()
        finally:
            self._live.discard(task)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        connected = await self.connect()
        if connected is None:
            client_writer.transport.abort()  # every replica refused: so does the group
            return
        _, upstream_reader, upstream_writer = connected
        pipes = (
            asyncio.create_task(_pipe(client_reader, upstream_writer)),
            asyncio.create_task(_pipe(upstream_reader, client_writer)),
        )
        try:
            # Either side closing ends the pair (HTTP does not half-close a connection it still uses).
            done, _ = await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            failed = any(pipe.exception() is not None for pipe in done)
        except asyncio.CancelledError:
            upstream_writer.transport.abort()
            raise
        finally:
            for pipe in pipes:
                pipe.cancel()
        for writer in (client_writer, upstream_writer):
            if failed:
                writer.transport.abort()  # a reset on one side is a reset on the other
                continue
            writer.close()  # after what is still buffered
            try:
                await asyncio.wait_for(writer.wait_closed(), CONNECT_TIMEOUT_SECONDS)
            except (OSError, TimeoutError):
                writer.transport.abort()

    def close(self) -> None:
        for task in list(self._live):
            task.cancel()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(CHUNK):
        writer.write(data)
        await writer.drain()


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


async def run(listen: tuple[str, int], backends: list[tuple[str, int]], down_seconds: float) -> None:
    balancer = Balancer([Backend(host, port) for host, port in backends], down_seconds=down_seconds)
    server = await asyncio.start_server(balancer.serve, *listen, reuse_address=True, limit=CHUNK)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    logger.warning("balancing %s:%s over %s", *listen, ", ".join(map(str, balancer.backends)))
    async with server:
        await stopping.wait()
    balancer.close()
    for backend in balancer.backends:
        logger.warning("backend %s: %d connections, %d refused", backend, backend.connections, backend.refused)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python deploy/balancer.py")
    parser.add_argument("--listen", required=True, help="host:port the group answers on")
    parser.add_argument("--backend", action="append", required=True, help="host:port of one replica (repeat)")
    parser.add_argument("--down-seconds", type=float, default=1.0, help="how long a refusing replica is skipped")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        import uvloop
    except ImportError:  # the plain loop works too, a little slower
        asyncio.run(run(_address(arguments.listen), [_address(b) for b in arguments.backend], arguments.down_seconds))
    else:
        uvloop.run(run(_address(arguments.listen), [_address(b) for b in arguments.backend], arguments.down_seconds))


if __name__ == "__main__":
    main()
