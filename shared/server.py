"""How every process is served: uvicorn (uvloop, httptools) with the limits a public server needs.

uvicorn has no timeout for reading a request's headers (its `timeout_keep_alive` only covers the idle
time between requests and is cancelled by the first byte of the next one, uvicorn issue #157), and its
header size limit (`h11_max_incomplete_event_size`) applies to the h11 parser only. `GuardedHttpTools`
adds both to the httptools protocol: a connection whose request headers are not complete within
`http_header_timeout_seconds` of its opening (or of the request's first byte) gets 408 and is closed, and
headers past `http_max_header_bytes` get 431. uvicorn's own X-Forwarded-For handling is off: it would
believe any loopback peer; the kernel middleware and the gateway believe only `trusted_proxies`.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from shared.settings import CommonSettings

logger = logging.getLogger("shared.server")

GRACEFUL_SHUTDOWN_SECONDS = 20


def _refusal(status: bytes) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class GuardedHttpTools(HttpToolsProtocol):
    """httptools with a header-read timeout and a header size limit (class attributes, see `protocol`)."""

    header_timeout_seconds: float = 10.0
    max_header_bytes: int = 16_384

    # Narrows BaseTransport to Transport exactly as uvicorn's own HttpToolsProtocol does (with the same ignore).
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_bytes = 0
        self._awaiting_headers = True
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    # One timer per connection, not one per request: each request's start only moves the deadline, and
    # the timer, when it fires before the deadline, waits for the rest of it.
    def _arm_header_timer(self) -> None:
        self._header_deadline = self.loop.time() + self.header_timeout_seconds
        if self._header_timer is None:
            self._header_timer = self.loop.call_at(self._header_deadline, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self._awaiting_headers or self.transport.is_closing():
            return  # the next request's start arms it again
        if self.loop.time() < self._header_deadline:  # armed for an earlier request: wait for this one's
            self._header_timer = self.loop.call_at(self._header_deadline, self._headers_too_slow)
            return
        logger.info("request headers not complete in time; connection closed", extra={"client": self.client})
        self.transport.write(_refusal(b"408 Request Timeout"))
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._awaiting_headers and not self.transport.is_closing():
            self._header_bytes += len(data)
            if self._header_bytes > self.max_header_bytes:
                logger.info("request headers too large; connection closed", extra={"client": self.client})
                self._disarm_header_timer()
                self.transport.write(_refusal(b"431 Request Header Fields Too Large"))
                self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_headers = True
        self._header_bytes = 0
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False  # the timer, if it fires, finds nothing awaited
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)


def protocol(settings: CommonSettings) -> type[GuardedHttpTools]:
    return type(
        "GuardedHttpTools",
        (GuardedHttpTools,),
        {
            "header_timeout_seconds": settings.http_header_timeout_seconds,
            "max_header_bytes": settings.http_max_header_bytes,
        },
    )


def config(app: Any, settings: CommonSettings, host: str, port: int, **overrides: Any) -> uvicorn.Config:
    """The one uvicorn configuration of the gateway and the services (tests serve through it too)."""
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,
        "loop": "uvloop",
        "http": protocol(settings),
        "proxy_headers": False,
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        "h11_max_incomplete_event_size": settings.http_max_header_bytes,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        **overrides,
    }
    return uvicorn.Config(app, **options)


# Set by whoever starts the process (deploy/stack.py): echoed on every response, so the starter can tell
# its own process from another one answering on the same port.
INSTANCE_ENV = "DOORSTEP_INSTANCE_ID"
INSTANCE_HEADER = b"x-doorstep-instance"


class PortBusy(SystemExit):
    """The port is taken: said plainly on stderr, and the process exits with status 1 before serving."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        super().__init__(port_busy_message(host, port))


def port_busy_message(host: str, port: int) -> str:
    return (
        f"error: port {port} on {host} is already in use, so nothing was started. Another `make run` or "
        f"`make up` may still be serving it: stop it (Ctrl-C in its terminal, or `make down`), or find the "
        f"process with `ss -ltnp 'sport = :{port}'` and end it; or pick other ports "
        f"(`python -m gateway.embedded --port N`, `python deploy/stack.py up --gateway-port N`)."
    )


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound now; `PortBusy` when another process holds the port (SO_REUSEADDR, as
    uvicorn sets it, never lets two processes listen on one port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortBusy(host, port) from error
        raise
    return sock


def require_free_port(host: str, port: int) -> None:
    """Refuse (`PortBusy`) before any slow start-up work when the port is taken."""
    bind(host, port).close()


def serve(app: Any, settings: CommonSettings, host: str, port: int) -> None:
    """Serve `app` on host:port; a busy port is refused with a clear message (`PortBusy`)."""
    sock = bind(host, port)
    instance = os.environ.get(INSTANCE_ENV)
    # uvicorn writes its default headers into every answer (its own 4xx/5xx too): no per-request layer.
    headers = [(INSTANCE_HEADER.decode("latin-1"), instance)] if instance else []
    uvicorn.Server(config(app, settings, host, port, headers=headers)).run(sockets=[sock])
