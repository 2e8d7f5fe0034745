"""What the app starts beside the request handlers: delivery loops, listeners."""

from __future__ import annotations

from typing import Protocol


class Worker(Protocol):
    def start(self) -> None: ...

    async def stop(self) -> None: ...
