"""A TCP fault proxy: stands between services and RabbitMQ or PostgreSQL so a test can cut the line.

It runs its own asyncio loop in a thread: the stack's processes talk through it while the test blocks
(starting, migrating, killing processes) or keeps its own loop busy with a thousand requests.

    proxy = FaultProxy(("127.0.0.1", 5672), 18610).start()
    proxy.cut()       # reset every live connection; new ones are refused (or held silent) until restore
    proxy.restore()
    proxy.stop()
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass


@dataclass
class ProxyCounts:
    accepted: int = 0  # connections piped to the upstream
    dropped: int = 0  # live connections reset by `cut`
    refused: int = 0  # connections turned away while cut


class FaultProxy:
    def __init__(self, upstream: tuple[str, int], listen_port: int, listen_host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self.listen = (listen_host, listen_port)
        self.counts = ProxyCounts()
        self._cut_mode: str | None = None
        self._live: set[tuple[asyncio.WriteTransport, asyncio.WriteTransport]] = set()  # (client, upstream)
        self._held: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"fault-proxy-{listen_port}", daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        return self.listen[1]

    def url(self, template: str) -> str:
        """Rewrites a URL to go through the proxy: `amqp://u:p@127.0.0.1:5672/` -> `...@127.0.0.1:18610/`."""
        host, port = self.upstream
        return template.replace(f"{host}:{port}", f"{self.listen[0]}:{self.port}", 1)

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._start_server())
        return self

    def stop(self) -> None:
        self._call(self._stop_server())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def cut(self, mode: str = "refuse") -> int:
        """Drop every live connection; until `restore`, refuse new ones (`refuse`: reset at once, like a
        stopped server) or accept and never answer (`blackhole`: like a network partition). Returns how
        many live connections were dropped."""
        if mode not in ("refuse", "blackhole"):
            raise ValueError(f"unknown cut mode {mode!r}")
        return self._call(self._cut(mode))

    def restore(self) -> None:
        self._call(self._restore())

    @property
    def is_cut(self) -> bool:
        return self._cut_mode is not None

    def _call(self, coroutine):  # runs a coroutine on the proxy's loop and waits for its result
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    async def _start_server(self) -> None:
        self._server = await asyncio.start_server(self._serve, *self.listen, reuse_address=True)

    async def _stop_server(self) -> None:
        await self._restore()
        if self._server is not None:
            self._server.close()
        for pair in list(self._live):
            for transport in pair:
                transport.abort()

    async def _cut(self, mode: str) -> int:
        self._cut_mode = mode
        live = list(self._live)
        for pair in live:
            for transport in pair:
                transport.abort()  # an RST, as when a broker or database host goes away
        self.counts.dropped += len(live)
        return len(live)

    async def _restore(self) -> None:
        self._cut_mode = None
        for writer in list(self._held):
            writer.transport.abort()
        self._held.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut_mode is not None:
            self.counts.refused += 1
            if self._cut_mode == "blackhole":
                self._held.add(writer)  # never answered; dropped on restore
            else:
                writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        if self._cut_mode is not None:  # cut while connecting upstream
            upstream_writer.transport.abort()
            writer.transport.abort()
            return
        self.counts.accepted += 1
        pair = (writer.transport, upstream_writer.transport)
        self._live.add(pair)
        pipes = [
            asyncio.create_task(self._pipe(reader, upstream_writer)),
            asyncio.create_task(self._pipe(upstream_reader, writer)),
        ]
        try:
            # Either side closing ends the pair: neither AMQP nor PostgreSQL half-closes a connection.
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pipes:
                task.cancel()
            self._live.discard(pair)
            for transport in pair:
                transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
