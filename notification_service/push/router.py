"""HTTP for push: the caller's own devices, the Web Push key to subscribe with, and the caller's own
notification preferences (quiet hours, SMS notices)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from notification_service import access
from notification_service.push import preferences, repository, service
from notification_service.push.models import PushDevice
from notification_service.push.provider import load_vapid, vapid_public_key
from notification_service.push.rules import mask_address
from notification_service.push.schemas import (
    DeviceCreate,
    DeviceRead,
    NotificationPreferences,
    NotificationPreferencesRead,
    WebPushKey,
)
from notification_service.settings import NotificationSettings
from shared.auth import Principal, current_principal
from shared.conditional import IfMatch, declare_version
from shared.idempotency import Idempotent, IdempotentRoute
from shared.ids import utcnow
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep

router = APIRouter(tags=["push"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]
Paging = Annotated[PageParameters, Depends(page_parameters)]


async def current_time(request: Request) -> datetime:
    """The service's clock: `app.state.clock` when a test sets one."""
    return getattr(request.app.state, "clock", utcnow)().astimezone(UTC)


Now = Annotated[datetime, Depends(current_time)]


def settings_of(request: Request) -> NotificationSettings:
    settings: NotificationSettings = request.app.state.runtime.settings
    return settings


Settings = Annotated[NotificationSettings, Depends(settings_of)]


def _read(device: PushDevice) -> DeviceRead:
    return DeviceRead(
        id=device.id,
        platform=device.platform,
        label=device.label,
        address_masked=mask_address(device.address),
        created_at=device.created_at,
        updated_at=device.updated_at,
        last_success_at=device.last_success_at,
    )


@router.post(
    "/api/v1/me/devices",
    response_model=DeviceRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register one of your devices for push (the same endpoint or token again: the same device, 200)",
    description=(
        "`web`: the browser's Web Push subscription (`PushSubscription.toJSON()`, subscribed with the key from "
        "`GET /api/v1/me/devices/web-push-key`). `huawei`, `xiaomi`, `oppo`, `vivo`, `honor`, `apns`, `jpush`: "
        "the token the vendor's SDK gave the app. The endpoint or token is never shown again in full."
    ),
    responses={200: {"model": DeviceRead, "description": "Registered before: the same device"}},
    dependencies=[Idempotent],
)
async def register_device(
    data: DeviceCreate,
    session: SessionDep,
    principal: Caller,
    now: Now,
    settings: Settings,
    response: Response,
) -> DeviceRead:
    person = access.push_person(principal)
    registered = await service.register_device(session, person, data, settings, now)
    if not registered.created:
        response.status_code = status.HTTP_200_OK
    return _read(registered.device)


@router.get("/api/v1/me/devices", response_model=Page[DeviceRead], summary="Your devices, newest first (masked)")
async def list_devices(session: SessionDep, principal: Caller, page: Paging) -> Page[DeviceRead]:
    person = access.push_person(principal)
    items, next_cursor = await repository.page_devices(session, person, page)
    return Page(items=[_read(item) for item in items], next_cursor=next_cursor)


@router.get(
    "/api/v1/me/devices/web-push-key",
    response_model=WebPushKey,
    summary="The VAPID public key a browser subscribes with (applicationServerKey)",
)
async def get_web_push_key(principal: Caller, settings: Settings) -> WebPushKey:
    access.push_person(principal)
    vapid = load_vapid(settings.push_vapid_private_key)
    return WebPushKey(public_key=vapid_public_key(vapid) if vapid else None)


@router.delete(
    "/api/v1/me/devices/{device_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove one of your devices (nothing more is pushed to it)",
)
async def delete_device(device_id: uuid.UUID, session: SessionDep, principal: Caller) -> Response:
    await service.remove_device(session, access.push_person(principal), device_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/api/v1/me/notification-preferences",
    response_model=NotificationPreferencesRead,
    summary="Your notification preferences: quiet hours, urgent items in them, SMS notices",
)
async def get_notification_preferences(session: SessionDep, principal: Caller) -> NotificationPreferencesRead:
    preference = await repository.get_preference(session, access.push_person(principal))
    declare_version(preference.version if preference is not None else 0)
    return preferences.read(preference)


@router.put(
    "/api/v1/me/notification-preferences",
    response_model=NotificationPreferencesRead,
    summary="Replace your notification preferences",
    description=(
        "Quiet hours are local times in Asia/Shanghai, every day; `start` after `end` spans midnight "
        "(22:00-07:00); equal times are refused (422 `quiet_hours_empty`). Pushes made in them wait for their end "
        "(the feed has the item at once); SLA breaches and escalations still push unless "
        "`urgent_during_quiet_hours` is false. `sms_notices` false stops SMS notices to a resident's account."
    ),
)
async def replace_notification_preferences(
    data: NotificationPreferences, session: SessionDep, principal: Caller, now: Now, precondition: IfMatch
) -> NotificationPreferencesRead:
    preference = await preferences.replace(session, access.push_person(principal), data, precondition, now)
    declare_version(preference.version)
    return preferences.read(preference)
