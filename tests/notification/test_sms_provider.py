"""The SMS provider adapters against a real local SMS gateway, and the worker's retries and refusals."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx

from notification_service.residents.provider import (
    HttpSmsProvider,
    LogSmsProvider,
    Outcome,
    SmsRequest,
)
from notification_service.settings import NotificationSettings
from shared.ids import stable_id, utcnow
from tests.conftest import DEMO_STATION_ID, bearer, eventually, staff_headers
from tests.local_http import free_port
from tests.notification.sms_gateway import SmsGateway

PHONE = "13712345670"
REQUEST = SmsRequest(phone=PHONE, kind="ticket_resolved", text="您的事项已办结。", params={"station_name": "站"})


def _settings(url: str, token: str = "sms-gateway-test-token") -> NotificationSettings:
    return NotificationSettings(sms_provider="http", sms_http_url=url, sms_http_token=token, sms_timeout_seconds=2)


async def test_the_http_provider_sends_json_with_its_token_and_reads_the_answer(sms_gateway: SmsGateway) -> None:
    provider = HttpSmsProvider(_settings(sms_gateway.url))
    try:
        sent = await provider.send(REQUEST)
        assert sent.outcome is Outcome.sent and sent.provider_message_id == "gw-1"
        assert sms_gateway.received == [
            {"phone": PHONE, "sign_name": "浦东家门口服务站", "template": "ticket_resolved",
             "params": {"station_name": "站"}, "text": "您的事项已办结。"}
        ]  # fmt: skip
        sms_gateway.answers[:] = [400, 503, 429]
        assert (await provider.send(REQUEST)).outcome is Outcome.permanent_failure  # refused: never again
        assert (await provider.send(REQUEST)).outcome is Outcome.transient_failure  # down: later
        assert (await provider.send(REQUEST)).outcome is Outcome.transient_failure  # too many: later
        assert len(sms_gateway.received) == 1
    finally:
        await provider.aclose()
    wrong = HttpSmsProvider(_settings(sms_gateway.url, token="wrong"))
    try:
        assert (await wrong.send(REQUEST)).outcome is Outcome.permanent_failure and sms_gateway.unauthorised == 1
    finally:
        await wrong.aclose()


async def test_an_unreachable_gateway_is_a_transient_failure() -> None:
    provider = HttpSmsProvider(_settings(f"http://127.0.0.1:{free_port()}/sms/send"))
    try:
        result = await provider.send(REQUEST)
    finally:
        await provider.aclose()
    assert result.outcome is Outcome.transient_failure and result.detail == "ConnectError"


async def test_the_log_provider_logs_the_masked_number_and_the_kind_only(caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="notification.sms")
    coded = SmsRequest(phone=PHONE, kind="rating_code", text="验证码为654321", params={"code": "654321"})
    result = await LogSmsProvider().send(coded)
    assert result.outcome is Outcome.sent
    [record] = [record for record in caplog.records if record.name == "notification.sms"]
    everything = record.getMessage() + repr(record.__dict__)
    assert "137****5670" in everything and "rating_code" in everything
    assert PHONE not in everything and "654321" not in everything


async def _accepted_ticket(system: Any, phone: str) -> str:
    receptionist = staff_headers(
        "receptionist", subject=str(stable_id("staff", "陆家嘴街道", "市新居委会", "receptionist"))
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=system.gateway), base_url="http://gw") as http:
        created = await http.post(
            "/api/v1/tickets",
            headers=receptionist,
            json={"station_id": DEMO_STATION_ID, "channel": "walk_in", "service_category": "daily_life",
                  "description": "申请助餐", "resident_name": "李四", "resident_phone": phone},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        ticket_id = created.json()["id"]
        accepted = await http.post(
            f"/api/v1/tickets/{ticket_id}/transitions", headers=receptionist, json={"action": "accept"}
        )
        assert accepted.status_code == 200, accepted.text
    return ticket_id


async def _log(system: Any, ticket_id: str) -> list[dict]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=system.gateway), base_url="http://gw") as http:
        response = await http.get(
            "/api/v1/sms/messages", params={"ticket_id": ticket_id}, headers=bearer("district_admin")
        )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_gateway_that_is_down_gets_the_message_later_with_backoff(
    sms_system: Any, sms_gateway: SmsGateway
) -> None:
    notification = sms_system.services["notification"]
    shift = [timedelta(0)]
    notification.state.clock = lambda: utcnow() + shift[0]
    sms_gateway.answers_for[PHONE] = [503, 500]
    ticket_id = await _accepted_ticket(sms_system, PHONE)

    async def tried(count: int) -> bool:
        return len(sms_gateway.attempts_to(PHONE)) >= count

    await eventually(lambda: tried(1), timeout=15)

    async def first_attempt_recorded() -> bool:
        # The gateway has answered; the sender commits the attempt's outcome (its reason) a moment later.
        return (await _log(sms_system, ticket_id))[0]["reason"] is not None

    await eventually(first_attempt_recorded, timeout=15)
    [message] = await _log(sms_system, ticket_id)
    assert message["status"] == "pending" and message["reason"] == "http_503" and message["attempts"] == 1
    assert message["next_attempt_at"] is not None  # backing off: nothing more until then
    assert len(sms_gateway.attempts_to(PHONE)) == 1
    shift[0] = timedelta(hours=2)  # past the backoff
    await eventually(lambda: tried(2), timeout=15)
    shift[0] = timedelta(hours=4)
    await eventually(lambda: tried(3), timeout=15)

    async def sent() -> bool:
        return (await _log(sms_system, ticket_id))[0]["status"] == "sent"

    await eventually(sent, timeout=15)
    [message] = await _log(sms_system, ticket_id)
    assert message["attempts"] == 3 and message["provider_message_id"].startswith("gw-")
    assert message["phone_masked"] == "137****5670" and len(sms_gateway.to(PHONE)) == 1


async def test_a_refused_message_is_not_tried_again(sms_system: Any, sms_gateway: SmsGateway) -> None:
    sms_gateway.answers_for[PHONE] = [400]
    ticket_id = await _accepted_ticket(sms_system, PHONE)

    async def failed() -> bool:
        items = await _log(sms_system, ticket_id)
        return bool(items) and items[0]["status"] == "failed"

    await eventually(failed, timeout=15)
    [message] = await _log(sms_system, ticket_id)
    assert message["reason"] == "http_400" and message["attempts"] == 1 and message["next_attempt_at"] is None
    await sms_system.services["notification"].state.sms_sender.run_once()
    assert len(sms_gateway.attempts_to(PHONE)) == 1 and sms_gateway.to(PHONE) == []
