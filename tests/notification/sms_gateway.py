"""A real SMS gateway for the tests: an aiohttp server on 127.0.0.1 that records every message it is sent.

It speaks the HttpSmsProvider's contract (POST JSON {phone, sign_name, template, params, text} with a
bearer token; 200 {"message_id": ...}). `answers` scripts the next answers (status codes) to test
retries and refusals; once they run out it answers 200.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.local_http import LocalHttpServer, free_port

SMS_GATEWAY_TOKEN = "sms-gateway-test-token"


def _digits(text: str) -> str:
    return "".join(character for character in text if character.isdigit())


@dataclass
class SmsGateway(LocalHttpServer):
    port: int = field(default_factory=free_port)
    token: str = SMS_GATEWAY_TOKEN
    answers: list[int] = field(default_factory=list)  # scripted statuses, consumed one per request
    # Scripted statuses for one number only (its digits), used before `answers`: the demo data's own
    # tickets are texted too, and must not use up a test's script.
    answers_for: dict[str, list[int]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)  # accepted messages (2xx answers)
    attempts: list[dict[str, Any]] = field(default_factory=list)  # every request, whatever the answer
    unauthorised: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms/send"

    def to(self, phone_digits: str, template: str | None = None) -> list[dict[str, Any]]:
        """Accepted messages to a number (compared by digits), optionally of one template."""
        return [
            message
            for message in self.received
            if _digits(message["phone"]).endswith(phone_digits)
            and (template is None or message["template"] == template)
        ]

    def attempts_to(self, phone_digits: str) -> list[dict[str, Any]]:
        return [message for message in self.attempts if _digits(message["phone"]).endswith(phone_digits)]

    def _scripted(self, phone: str) -> int:
        for digits, statuses in self.answers_for.items():
            if statuses and _digits(phone).endswith(digits):
                return statuses.pop(0)
        return self.answers.pop(0) if self.answers else 200

    async def _send(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            self.unauthorised += 1
            return web.json_response({"error": "unauthorised"}, status=401)
        body = await request.json()
        self.attempts.append(body)
        status = self._scripted(str(body.get("phone", "")))
        if status >= 300:
            return web.json_response({"error": f"scripted {status}"}, status=status)
        self.received.append(body)
        return web.json_response({"message_id": f"gw-{len(self.received)}"}, status=status)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/sms/send", self._send)
