"""Push end to end: devices registered through the gateway, a feed item queued, and a REAL local Web Push
service (tests/notification/push_receiver.py) that verifies the VAPID signature with the application
server's public key and decrypts the aes128gcm body with the subscription's own keys."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from py_vapid import Vapid

from notification_service.push import service as push_service
from notification_service.push.models import PushDevice, PushMessage
from notification_service.push.preferences import sms_allowed
from notification_service.push.provider import vapid_public_key
from notification_service.settings import NotificationSettings, use_settings
from shared.ids import new_id
from tests.conftest import DEMO_STATION_ID, DEMO_SUBDISTRICT_ID, bearer, eventually, running, staff_headers
from tests.notification.push_receiver import VendorReceiver, WebPushService

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def push_vapid() -> Vapid:
    key = Vapid()
    key.generate_keys()
    return key


@pytest.fixture
async def web_push_service(push_vapid: Vapid) -> AsyncIterator[WebPushService]:
    receiver = WebPushService(vapid_public_key(push_vapid))
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


@pytest.fixture
async def vendor_receiver() -> AsyncIterator[VendorReceiver]:
    receiver = VendorReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


@pytest.fixture
async def push_system(
    tmp_path: Path, push_vapid: Vapid, vendor_receiver: VendorReceiver, embedded_template: Path
) -> AsyncIterator[Any]:
    """The embedded system whose notification service pushes with this VAPID key; its sender runs only when
    a test asks (`push_pass`), on the clock the test sets."""
    from gateway.settings import GatewaySettings
    from tests.templates import build_embedded

    unlimited = GatewaySettings(rate_limit_per_token_per_minute=0, rate_limit_per_address_per_minute=0)
    system = build_embedded(
        tmp_path, embedded_template, gateway_settings=unlimited, service_overrides={"consumer_retry_delay_ms": 50}
    )
    runtime = system.services["notification"].state.runtime
    settings = NotificationSettings.model_validate(
        {
            **runtime.settings.model_dump(),
            "push_vapid_private_key": push_vapid.private_pem().decode(),
            "push_vapid_subject": "mailto:ops@doorstep.test",
            "push_poll_seconds": 3600.0,  # the test runs the passes itself
            "push_backoff_base_seconds": 1.0,
            "push_backoff_max_seconds": 1.0,
            "push_max_attempts": 3,
            "push_vendor_urls": {"huawei": vendor_receiver.url},
            "push_vendor_tokens": {"huawei": vendor_receiver.token},
        }
    )
    runtime.settings = settings
    use_settings(settings)
    system.services["notification"].state.clock = Clock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))  # 10:00 Shanghai
    async with running(system.gateway):
        yield system


@pytest.fixture
async def push_http(push_system: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=push_system.gateway), base_url="http://gateway"
    ) as http:
        yield http


def notification_app(system: Any) -> Any:
    return system.services["notification"]


def set_clock(system: Any, moment: datetime) -> None:
    notification_app(system).state.clock.moment = moment


async def feed_item(system: Any, person_id: str, title: str, *, urgent: bool = False) -> uuid.UUID:
    """What the feed does for each item it adds: queue its push, in the item's transaction."""
    app = notification_app(system)
    item_id = new_id()
    async with app.state.runtime.database.transaction() as session:
        await push_service.enqueue(
            session,
            person_id=person_id,
            feed_item_id=item_id,
            title=title,
            body="陆家嘴街道 市新居委会：新的诉求等待受理",
            url=f"/tickets/{uuid.uuid4()}",
            urgent=urgent,
            now=app.state.clock(),
        )
    return item_id


async def push_pass(system: Any) -> int:
    return int(await notification_app(system).state.push_sender.run_once())


async def pushes_of(system: Any, person_id: str) -> list[PushMessage]:
    async with notification_app(system).state.runtime.database.sessionmaker() as session:
        return list(await session.scalars(sa.select(PushMessage).where(PushMessage.person_id == person_id)))


async def register_web(
    http: httpx.AsyncClient, headers: dict[str, str], subscription: dict[str, Any]
) -> httpx.Response:
    return await http.post(
        "/api/v1/me/devices",
        headers=headers,
        json={"platform": "web", "subscription": subscription, "label": "工作手机"},
    )


async def test_a_feed_item_reaches_the_browser_signed_and_encrypted(push_system, push_http, web_push_service) -> None:
    person = f"sw-{uuid.uuid4().hex[:8]}"
    headers = staff_headers(subject=person)
    subscription = web_push_service.subscribe()
    registered = await register_web(push_http, headers, subscription.as_json())
    assert registered.status_code == 201, registered.text
    again = await register_web(push_http, headers, subscription.as_json())
    assert again.status_code == 200 and again.json()["id"] == registered.json()["id"]  # idempotent

    key = await push_http.get("/api/v1/me/devices/web-push-key", headers=headers)
    assert key.json()["public_key"] == web_push_service.vapid_public_key

    item_id = await feed_item(push_system, person, "工单 T-1024 已指派给您")
    assert await push_pass(push_system) == 1

    assert web_push_service.refused == []
    [delivered] = web_push_service.received
    assert delivered.payload["title"] == "工单 T-1024 已指派给您"
    assert delivered.payload["feed_item_id"] == str(item_id)
    assert delivered.headers["urgency"] == "normal" and int(delivered.headers["ttl"]) == 86400
    assert delivered.claims["sub"] == "mailto:ops@doorstep.test"
    [push] = await pushes_of(push_system, person)
    assert push.status == "sent"
    listed = (await push_http.get("/api/v1/me/devices", headers=headers)).json()["items"]
    assert listed[0]["last_success_at"] is not None


async def test_a_gone_subscription_removes_the_device(push_system, push_http, web_push_service) -> None:
    person = f"sw-{uuid.uuid4().hex[:8]}"
    headers = staff_headers(subject=person)
    subscription = web_push_service.subscribe()
    assert (await register_web(push_http, headers, subscription.as_json())).status_code == 201
    web_push_service.answers[subscription.endpoint] = [410]

    await feed_item(push_system, person, "升级提醒")
    await push_pass(push_system)

    assert web_push_service.received == []
    devices = await push_http.get("/api/v1/me/devices", headers=headers)
    assert devices.json()["items"] == []
    assert await pushes_of(push_system, person) == []


async def test_a_failing_push_service_is_tried_again_then_given_up(push_system, push_http, web_push_service) -> None:
    person = f"sw-{uuid.uuid4().hex[:8]}"
    headers = staff_headers(subject=person)
    first, second = web_push_service.subscribe(), web_push_service.subscribe()
    for subscription in (first, second):
        assert (await register_web(push_http, headers, subscription.as_json())).status_code == 201
    web_push_service.answers[first.endpoint] = [503]  # down once, then back
    web_push_service.answers[second.endpoint] = [500, 500, 500, 500]  # down for good (3 attempts allowed)

    await feed_item(push_system, person, "请及时处理")
    start = notification_app(push_system).state.clock()
    await push_pass(push_system)
    assert web_push_service.received == []
    for minutes in (1, 2, 3):  # the backoff is about a second here; a minute later each retry is due
        set_clock(push_system, start.replace(minute=minutes))
        await push_pass(push_system)

    assert [delivered.endpoint for delivered in web_push_service.received] == [first.endpoint]
    by_device = {push.device_id: push for push in await pushes_of(push_system, person)}
    statuses = sorted((push.status, push.attempts) for push in by_device.values())
    assert statuses == [("failed", 3), ("sent", 2)]
    assert web_push_service.answers[second.endpoint] == [500]  # no fourth attempt
    assert len((await push_http.get("/api/v1/me/devices", headers=headers)).json()["items"]) == 2  # kept


async def test_quiet_hours_defer_a_push_until_they_end_but_not_an_urgent_one(
    push_system, push_http, web_push_service
) -> None:
    person = f"sw-{uuid.uuid4().hex[:8]}"
    headers = staff_headers(subject=person)
    subscription = web_push_service.subscribe()
    assert (await register_web(push_http, headers, subscription.as_json())).status_code == 201
    quiet = {"quiet_hours": {"start": "22:00", "end": "07:00"}}
    assert (await push_http.put("/api/v1/me/notification-preferences", headers=headers, json=quiet)).status_code == 200

    set_clock(push_system, datetime(2026, 12, 7, 23, 30, tzinfo=SHANGHAI).astimezone(UTC))
    await feed_item(push_system, person, "新工单（夜间）")
    await feed_item(push_system, person, "工单已超时", urgent=True)
    await push_pass(push_system)
    assert web_push_service.titles() == ["工单已超时"]
    assert web_push_service.received[0].headers["urgency"] == "high"
    deferred = [push for push in await pushes_of(push_system, person) if push.status == "pending"]
    assert [push.deferred for push in deferred] == [True]
    assert deferred[0].next_attempt_at == datetime(2026, 12, 8, 7, 0, tzinfo=SHANGHAI)

    set_clock(push_system, datetime(2026, 12, 8, 6, 59, tzinfo=SHANGHAI).astimezone(UTC))
    await push_pass(push_system)
    assert web_push_service.titles() == ["工单已超时"]  # still quiet
    set_clock(push_system, datetime(2026, 12, 8, 7, 0, tzinfo=SHANGHAI).astimezone(UTC))
    await push_pass(push_system)
    assert web_push_service.titles() == ["工单已超时", "新工单（夜间）"]


async def test_urgent_items_wait_too_when_the_person_says_so(push_system, push_http, web_push_service) -> None:
    person = f"sw-{uuid.uuid4().hex[:8]}"
    headers = staff_headers(subject=person)
    assert (await register_web(push_http, headers, web_push_service.subscribe().as_json())).status_code == 201
    choice = {"quiet_hours": {"start": "12:00", "end": "13:30"}, "urgent_during_quiet_hours": False}
    assert (await push_http.put("/api/v1/me/notification-preferences", headers=headers, json=choice)).status_code == 200
    set_clock(push_system, datetime(2026, 12, 7, 12, 15, tzinfo=SHANGHAI).astimezone(UTC))
    await feed_item(push_system, person, "工单已超时", urgent=True)
    await push_pass(push_system)
    assert web_push_service.received == []
    set_clock(push_system, datetime(2026, 12, 7, 13, 30, tzinfo=SHANGHAI).astimezone(UTC))
    await push_pass(push_system)
    assert web_push_service.titles() == ["工单已超时"]


async def test_each_person_lists_and_removes_only_their_own_devices(push_system, push_http, web_push_service) -> None:
    mine, theirs = staff_headers(subject="sw-own-1"), bearer("secretary", "sec-own-2")
    subscription = web_push_service.subscribe()
    created = (await register_web(push_http, mine, subscription.as_json())).json()
    token = "HW-" + uuid.uuid4().hex * 2
    other = await push_http.post("/api/v1/me/devices", headers=theirs, json={"platform": "huawei", "token": token})
    assert other.status_code == 201, other.text

    my_list = (await push_http.get("/api/v1/me/devices", headers=mine)).json()["items"]
    their_list = (await push_http.get("/api/v1/me/devices", headers=theirs)).json()["items"]
    assert [device["id"] for device in my_list] == [created["id"]]
    assert [device["id"] for device in their_list] == [other.json()["id"]]
    # Secrets are shown masked: neither the endpoint's path nor the token, only their last characters.
    listed = str(my_list) + str(their_list) + other.text + str(created)
    assert subscription.endpoint not in listed and token not in listed
    assert subscription.as_json()["keys"]["auth"] not in listed
    assert their_list[0]["address_masked"] == f"…{token[-4:]}"

    refused = await push_http.delete(f"/api/v1/me/devices/{created['id']}", headers=theirs)
    assert refused.status_code == 404 and refused.json()["code"] == "device_not_found"
    assert len((await push_http.get("/api/v1/me/devices", headers=mine)).json()["items"]) == 1
    removed = await push_http.delete(f"/api/v1/me/devices/{created['id']}", headers=mine)
    assert removed.status_code == 204
    assert (await push_http.get("/api/v1/me/devices", headers=mine)).json()["items"] == []

    system = await push_http.get("/api/v1/me/devices", headers=bearer("integration_client", "client-1"))
    assert system.status_code == 403


async def test_a_vendor_token_is_pushed_through_its_channel_and_dropped_when_gone(
    push_system, push_http, vendor_receiver
) -> None:
    person = f"sw-{uuid.uuid4().hex[:8]}"
    headers = staff_headers(subject=person)
    token = "HW-" + uuid.uuid4().hex * 2
    answer = await push_http.post("/api/v1/me/devices", headers=headers, json={"platform": "huawei", "token": token})
    assert answer.status_code == 201, answer.text
    await feed_item(push_system, person, "资源申请待答复")
    await push_pass(push_system)
    [(_, body)] = vendor_receiver.received
    assert body["token"] == token and body["title"] == "资源申请待答复" and body["platform"] == "huawei"

    vendor_receiver.answers.append(404)  # the vendor says the token is dead
    await feed_item(push_system, person, "第二条")
    await push_pass(push_system)
    assert (await push_http.get("/api/v1/me/devices", headers=headers)).json()["items"] == []

    # A vendor channel without an address here is skipped, not retried forever.
    await push_http.post("/api/v1/me/devices", headers=headers, json={"platform": "xiaomi", "token": token})
    await feed_item(push_system, person, "第三条")
    await push_pass(push_system)
    assert [(push.status, push.reason) for push in await pushes_of(push_system, person)] == [
        ("skipped", "channel_not_configured")
    ]


async def test_a_registration_that_could_never_be_pushed_to_is_refused(push_http, web_push_service) -> None:
    headers = staff_headers(subject="sw-bad-input")
    good = web_push_service.subscribe().as_json()
    cases = [
        ({"platform": "web", "label": "x"}, "subscription"),
        ({"platform": "web", "subscription": {**good, "keys": {**good["keys"], "p256dh": "AAAA"}}}, "p256dh"),
        ({"platform": "web", "subscription": {**good, "keys": {**good["keys"], "auth": "c2hvcnQ"}}}, "auth"),
        ({"platform": "web", "subscription": {**good, "endpoint": "ftp://127.0.0.1/x"}}, "endpoint"),
        ({"platform": "huawei"}, "token"),
        ({"platform": "huawei", "token": "HW-12345678", "subscription": good}, "subscription"),
        ({"platform": "pager", "token": "HW-12345678"}, "platform"),
    ]
    for body, field in cases:
        answer = await push_http.post("/api/v1/me/devices", headers=headers, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in answer.text, (field, answer.text)
    assert (await push_http.get("/api/v1/me/devices", headers=headers)).json()["items"] == []


async def test_preferences_are_the_callers_own_with_if_match_and_turn_sms_off(push_system, push_http) -> None:
    resident_id = str(uuid.uuid4())
    headers = bearer("resident", resident_id)
    first = await push_http.get("/api/v1/me/notification-preferences", headers=headers)
    assert first.status_code == 200
    assert first.json()["quiet_hours"] is None and first.json()["sms_notices"] is True
    etag = first.headers["etag"]

    off = {"sms_notices": False, "quiet_hours": {"start": "21:30", "end": "08:00"}}
    changed = await push_http.put(
        "/api/v1/me/notification-preferences", headers={**headers, "If-Match": etag}, json=off
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["quiet_hours"] == {"start": "21:30:00", "end": "08:00:00"}
    stale = await push_http.put("/api/v1/me/notification-preferences", headers={**headers, "If-Match": etag}, json={})
    assert stale.status_code == 412

    equal = {"quiet_hours": {"start": "22:00", "end": "22:00"}}
    refused = await push_http.put("/api/v1/me/notification-preferences", headers=headers, json=equal)
    assert refused.status_code == 422 and refused.json()["code"] == "quiet_hours_empty"
    assert refused.json()["field"] == "quiet_hours.end"

    someone_else = await push_http.get("/api/v1/me/notification-preferences", headers=bearer("resident", "another"))
    assert someone_else.json()["sms_notices"] is True  # one person's choice is theirs alone

    async with notification_app(push_system).state.runtime.database.sessionmaker() as session:
        assert await sms_allowed(session, resident_id) is False
        assert await sms_allowed(session, "another") is True


async def test_a_device_registered_from_another_account_moves_to_it(push_system, push_http, web_push_service) -> None:
    before, after = staff_headers(subject="sw-move-a"), staff_headers(subject="sw-move-b")
    subscription = web_push_service.subscribe()
    assert (await register_web(push_http, before, subscription.as_json())).status_code == 201
    set_clock(push_system, datetime(2026, 12, 7, 23, 0, tzinfo=SHANGHAI).astimezone(UTC))
    await push_http.put(
        "/api/v1/me/notification-preferences", headers=before, json={"quiet_hours": {"start": "22:00", "end": "07:00"}}
    )
    await feed_item(push_system, "sw-move-a", "给前一位使用者的")  # deferred by quiet hours

    assert (await register_web(push_http, after, subscription.as_json())).status_code == 201
    assert (await push_http.get("/api/v1/me/devices", headers=before)).json()["items"] == []
    set_clock(push_system, datetime(2026, 12, 8, 8, 0, tzinfo=SHANGHAI).astimezone(UTC))
    await push_pass(push_system)
    assert web_push_service.received == []  # the previous owner's queue did not go with the device
    async with notification_app(push_system).state.runtime.database.sessionmaker() as session:
        owners = (await session.scalars(sa.select(PushDevice.person_id))).all()
    assert list(owners) == ["sw-move-b"]


async def test_a_staff_member_removed_from_the_directory_is_pushed_nothing_more(
    push_system, push_http, web_push_service
) -> None:
    admin = bearer("subdistrict_admin", subdistrict_id=DEMO_SUBDISTRICT_ID)
    created = await push_http.post(
        "/api/v1/staff",
        headers=admin,
        json={"name": "离职社工", "role": "social_worker", "station_id": DEMO_STATION_ID},
    )
    assert created.status_code == 201, created.text
    person = created.json()["id"]
    headers = staff_headers(subject=person)
    assert (await register_web(push_http, headers, web_push_service.subscribe().as_json())).status_code == 201
    await feed_item(push_system, person, "工单 T-2048 已指派给您")

    assert (await push_http.delete(f"/api/v1/staff/{person}", headers=admin)).status_code == 200

    async def devices_gone() -> bool:
        listed = await push_http.get("/api/v1/me/devices", headers=headers)
        return listed.status_code == 200 and listed.json()["items"] == []

    await eventually(devices_gone)
    assert await pushes_of(push_system, person) == []
    assert await push_pass(push_system) == 0
    assert web_push_service.received == []
