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
import logging
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

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_bytes = 0
        self._awaiting_headers = True
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_seconds, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self._awaiting_headers or self.transport.is_closing():
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
        self._awaiting_headers = False
        self._disarm_header_timer()
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


def serve(app: Any, settings: CommonSettings, host: str, port: int) -> None:
    uvicorn.Server(config(app, settings, host, port)).run()
