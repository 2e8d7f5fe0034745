"""An app under the real uvicorn server, configured as production serves it (shared/server.py), in a
thread, on a free 127.0.0.1 port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shared.server import config
from shared.settings import CommonSettings


@contextmanager
def serving(app: Any, settings: CommonSettings, **overrides: Any) -> Iterator[tuple[str, int]]:
    """Yields (host, port) while uvicorn serves `app` with `settings`' timeouts and limits."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(config(app, settings, "127.0.0.1", port, lifespan="on", **overrides))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(600):
            if server.started:
                break
            threading.Event().wait(0.05)
        assert server.started, "uvicorn did not start"
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
