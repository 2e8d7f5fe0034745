"""Refuses request bodies over the service's limit with 413 problem+json, before any handler runs."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import PROBLEM_CONTENT_TYPE, problem_body
from shared.middleware import BodyTooLarge, declared_length


@dataclass(frozen=True)
class Allowance:
    """A route that takes a larger body (a file upload): not buffered here but streamed and counted up to
    `max_bytes`; past it (declared or counted) 413 naming `field`. The route stops reading at its own,
    smaller limit, so a file only a little too large is refused by the route itself."""

    method: str
    path: re.Pattern[str]
    max_bytes: int
    field: str
    code: str


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, allowances: Sequence[Allowance] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.allowances = tuple(allowances)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        for allowance in self.allowances:
            if scope["method"] == allowance.method and allowance.path.match(scope["path"]):
                await self._stream(allowance, scope, receive, send)
                return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    if int(value) > self.max_bytes:
                        await self._refuse(scope, send)
                        return
                except ValueError:
                    pass
        # Read the whole (small) body first, so a handler never sees half of an oversized one.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(scope, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _stream(self, allowance: Allowance, scope: Scope, receive: Receive, send: Send) -> None:
        declared = declared_length(scope)
        if declared is not None and declared > allowance.max_bytes:
            await self._refuse(scope, send, allowance.max_bytes, allowance.field, allowance.code)
            return
        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > allowance.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to the failed read is replaced by the 413 below
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(scope, send, allowance.max_bytes, allowance.field, allowance.code)

    async def _refuse(
        self,
        scope: Scope,
        send: Send,
        max_bytes: int | None = None,
        field: str = "body",
        code: str = "body_too_large",
    ) -> None:
        limit = max_bytes if max_bytes is not None else self.max_bytes
        body = json.dumps(
            problem_body(413, code, f"The {field} exceeds {limit} bytes.", instance=scope.get("path"), field=field)
        ).encode()
        headers = [(b"content-type", PROBLEM_CONTENT_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
