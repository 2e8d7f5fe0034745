"""Logs are JSON, carry the request id, and never hold tokens or personal phone numbers."""

from __future__ import annotations

import io
import json
import logging
from typing import cast

from shared.context import request_id_var
from shared.logging import configure_logging


def test_log_lines_are_json_with_request_id_and_nothing_personal():
    configure_logging("ticket", "INFO")
    stream = io.StringIO()
    handler = cast(logging.StreamHandler, logging.getLogger().handlers[0])  # configure_logging writes to a stream
    handler.setStream(stream)
    token = request_id_var.set("req-123")
    try:
        logging.getLogger("ticket_service").info(
            "resident 13812345678 called; Authorization: Bearer eyJhbGciOi.secret.sig; phone %s", "13987654321"
        )
    finally:
        request_id_var.reset(token)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["request_id"] == "req-123" and line["service"] == "ticket" and line["level"] == "INFO"
    assert "13812345678" not in line["message"] and "138****5678" in line["message"]
    assert "13987654321" not in line["message"] and "139****4321" in line["message"]
    assert "eyJhbGciOi" not in line["message"]
