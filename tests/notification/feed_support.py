"""Helpers of the feed's tests: an app under a real uvicorn server in the test's own event loop, and a
Server-Sent Events reader over an httpx streaming response."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.server import config
from shared.settings import CommonSettings


@asynccontextmanager
async def feed_served(app: Any, *, lifespan: str = "off") -> AsyncIterator[str]:
    """Serves `app` with uvicorn on a free 127.0.0.1 port, in this loop (so the app shares the test's
    loop and database pools); yields its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        config(app, CommonSettings(), "127.0.0.1", port, lifespan=lifespan, loop="asyncio", timeout_graceful_shutdown=2)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(400):  # bounded: 20 s
            if server.started or task.done():
                break
            await asyncio.sleep(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, timeout=30)
        finally:
            sock.close()


@dataclass
class SseEvent:
    id: str | None = None
    event: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    @property
    def json(self) -> Any:
        return json.loads(self.data)


class SseReader:
    """Reads an event stream line by line (the text/event-stream format): events, and comment lines."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()
        self.comments: list[str] = []

    async def next_event(self, timeout: float = 15.0) -> SseEvent:
        """The next event with data; comments (heartbeats) on the way are kept in `comments`."""
        return await asyncio.wait_for(self._next(), timeout)

    async def _next(self) -> SseEvent:
        current = SseEvent()
        async for line in self._lines:
            if line == "":
                if current.data or current.id is not None:
                    return current
                current = SseEvent()
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "id":
                current.id = value
            elif name == "event":
                current.event = value
            elif name == "data":
                current.data = current.data + "\n" + value if current.data else value
        raise AssertionError("the stream ended")

    async def wait_for_comment(self, text: str, timeout: float = 15.0) -> None:
        """Reads until a comment line `text` arrives (events on the way are not expected)."""

        async def read() -> None:
            async for line in self._lines:
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                    if line[1:].strip() == text:
                        return
                elif line.startswith("data:"):
                    raise AssertionError(f"an event came while waiting for a comment: {line}")
            raise AssertionError("the stream ended")

        await asyncio.wait_for(read(), timeout)
