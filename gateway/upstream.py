"""How the gateway reaches a service: in process (embedded mode) or over HTTP (distributed mode).

Both forward a request as it streams in and stream the answer back. Neither buffers a large body.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Coroutine
from typing import Any, Protocol

import aiohttp
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.middleware import VIA_GATEWAY, BodyTooLarge

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)
# Written by the gateway's own HTTP server on every answer: the service's copies would be sent twice.
SERVER_WRITTEN = frozenset({b"date", b"server", b"x-doorstep-instance"})
NOT_RELAYED = HOP_BY_HOP | SERVER_WRITTEN
# Bodies up to this size are read whole before forwarding (cheaper); larger ones are streamed.
BUFFER_LIMIT = 64 * 1024


def is_event_stream(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether an answer's headers say Server-Sent Events (text/event-stream): long-lived, sent as it comes."""
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"text/event-stream"
    return False


class UpstreamUnavailable(Exception):
    """The service could not be reached (refused, reset, DNS)."""


class UpstreamTimeout(Exception):
    """The service did not answer within the timeout."""


class Upstream(Protocol):
    name: str

    async def forward(
        self, scope: Scope, receive: Receive, send: Send, headers: list[tuple[bytes, bytes]], max_body: int
    ) -> None:
        """Forward one request. Raises UpstreamUnavailable/UpstreamTimeout only before the answer started."""

    async def get_json(self, path: str, timeout_seconds: float) -> tuple[int, Any]: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class AsgiUpstream:
    """Calls a service's ASGI app in the same process (the embedded mode's ASGI transport)."""

    def __init__(self, name: str, app: ASGIApp, timeout: float) -> None:
        self.name = name
        self.app = app
        self.timeout = timeout

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def forward(
        self, scope: Scope, receive: Receive, send: Send, headers: list[tuple[bytes, bytes]], max_body: int
    ) -> None:
        started = False
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    raise BodyTooLarge
            return message

        deadline = asyncio.timeout(self.timeout)

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if is_event_stream(message.get("headers", [])):
                    deadline.reschedule(None)  # the timeout is for the answer to start, not for a live stream
            await send(message)

        child = dict(scope)
        child["headers"] = headers
        child[VIA_GATEWAY] = True  # the service believes the gateway's X-Forwarded-For and X-Request-Id
        try:
            async with deadline:
                await self.app(child, limited_receive, tracking_send)
        except TimeoutError as error:
            if started:
                raise
            raise UpstreamTimeout(self.name) from error

    async def get_json(self, path: str, timeout_seconds: float) -> tuple[int, Any]:
        body = bytearray()
        status = 0

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"embedded")],
            "client": ("127.0.0.1", 0),
            "server": ("embedded", 80),
        }
        async with asyncio.timeout(timeout_seconds):
            await self.app(scope, receive, send)
        return status, json.loads(body) if body else None


class HttpUpstream:
    """Forwards over HTTP/1.1 with a keep-alive connection pool (aiohttp's client)."""

    def __init__(self, name: str, base_url: str, *, timeout: float, connect_timeout: float, pool_size: int = 256):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=connect_timeout)
        # Per request: the overall deadline is the forward's own (asyncio.timeout), so no total here.
        self._request_timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout)
        self.pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=self.pool_size, keepalive_timeout=30, ttl_dns_cache=300)
        # No decompression and no cookie jar: the gateway passes bytes and headers through as they are.
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept", "Content-Type"),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def forward(
        self, scope: Scope, receive: Receive, send: Send, headers: list[tuple[bytes, bytes]], max_body: int
    ) -> None:
        assert self._session is not None, "start() the upstream first"
        url = (
            self.base_url + scope["raw_path"].decode("latin-1")
            if scope.get("raw_path")
            else self.base_url + scope["path"]
        )
        if scope["query_string"]:
            url += "?" + scope["query_string"].decode("latin-1")
        content_length = None
        chunked = False
        forwarded: dict[str, str] = {}
        for name, value in headers:
            if name == b"content-length":
                content_length = int(value)
            elif name == b"transfer-encoding":
                chunked = True
            if name not in HOP_BY_HOP:
                key = name.decode("latin-1")
                forwarded[key] = (
                    forwarded[key] + ", " + value.decode("latin-1") if key in forwarded else value.decode("latin-1")
                )
        if content_length is not None and content_length > max_body:
            raise BodyTooLarge
        data: Any = None
        if chunked or (content_length is not None and content_length > BUFFER_LIMIT):
            data = _stream_body(receive, max_body)
        elif content_length:
            data = await _read_body(receive, max_body)
        started = False
        # The deadline runs until the answer starts; for an event stream it is then lifted (a live stream
        # may last hours), for every other answer it still bounds the whole transfer, as before.
        deadline = asyncio.timeout(self.timeout.total)
        try:
            async with (
                deadline,
                self._session.request(
                    scope["method"],
                    url,
                    headers=forwarded,
                    data=data,
                    allow_redirects=False,
                    timeout=self._request_timeout,
                ) as response,
            ):
                answer_headers = [
                    (lowered, value)
                    for name, value in response.raw_headers
                    if (lowered := name.lower()) not in NOT_RELAYED
                ]
                start = {"type": "http.response.start", "status": response.status, "headers": answer_headers}
                if is_event_stream(answer_headers):
                    deadline.reschedule(None)
                length = response.content_length
                if length is not None and length <= BUFFER_LIMIT:
                    # Small answers (nearly all) go out in one write instead of one per chunk.
                    body = await response.read()
                    started = True
                    await send(start)
                    await send({"type": "http.response.body", "body": body, "more_body": False})
                    return
                started = True
                await send(start)

                async def relay() -> None:
                    async for chunk in response.content.iter_chunked(BUFFER_LIMIT):
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    await send({"type": "http.response.body", "body": b"", "more_body": False})

                if is_event_stream(answer_headers):
                    # A live stream ends only when one side goes: when the client does, close the service's
                    # stream too (the server drops writes to a gone client silently, so nothing else would).
                    await _relay_until_disconnect(relay(), receive)
                else:
                    await relay()
        except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
            if started:
                raise  # the answer is under way: the client sees the connection cut, not a second answer
            raise UpstreamUnavailable(self.name) from error
        except TimeoutError as error:
            if started:
                raise
            raise UpstreamTimeout(self.name) from error

    async def get_json(self, path: str, timeout_seconds: float) -> tuple[int, Any]:
        assert self._session is not None, "start() the upstream first"
        try:
            async with self._session.get(
                self.base_url + path, timeout=aiohttp.ClientTimeout(total=timeout_seconds)
            ) as response:
                return response.status, await response.json(content_type=None)
        except (aiohttp.ClientError, OSError) as error:
            raise UpstreamUnavailable(self.name) from error
        except TimeoutError as error:
            raise UpstreamTimeout(self.name) from error


async def _relay_until_disconnect(relay: Coroutine[Any, Any, None], receive: Receive) -> None:
    """Runs `relay` until it ends or the client disconnects, whichever comes first."""
    relaying = asyncio.ensure_future(relay)

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    watching = asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait({relaying, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (relaying, watching):
            task.cancel()
        await asyncio.gather(relaying, watching, return_exceptions=True)
    if relaying.done() and not relaying.cancelled() and (error := relaying.exception()) is not None:
        raise error


async def _read_body(receive: Receive, max_body: int) -> bytes:
    body = bytearray()
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body.extend(message.get("body", b""))
        if len(body) > max_body:
            raise BodyTooLarge
        more = message.get("more_body", False)
    return bytes(body)


async def _stream_body(receive: Receive, max_body: int) -> AsyncIterator[bytes]:
    received = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > max_body:
            raise BodyTooLarge
        if chunk:
            yield chunk
        more = message.get("more_body", False)
