from __future__ import annotations

import uuid
from datetime import datetime, time

from pydantic import BaseModel, ConfigDict, Field

from notification_service.push.models import PushPlatform


class WebPushKeys(BaseModel):
    model_config = ConfigDict(title="WebPushKeys")

    p256dh: str = Field(min_length=1, max_length=200, description="The browser's P-256 public key, base64url.")
    auth: str = Field(min_length=1, max_length=100, description="The browser's 16-byte auth secret, base64url.")


class WebPushSubscription(BaseModel):
    """`PushSubscription.toJSON()` as a browser gives it."""

    model_config = ConfigDict(title="WebPushSubscription")

    endpoint: str = Field(min_length=1, max_length=2000, description="The push service's address for this browser.")
    keys: WebPushKeys
    expirationTime: int | None = Field(None, description="Ignored: the push service answers 404/410 when it ends.")


class DeviceCreate(BaseModel):
    """A device of the calling person: a browser's Web Push subscription, or a vendor channel's token."""

    model_config = ConfigDict(title="DeviceCreate", extra="forbid")

    platform: PushPlatform
    subscription: WebPushSubscription | None = Field(None, description="For platform `web` only.")
    token: str | None = Field(
        None, min_length=8, max_length=4096, description="For the vendor platforms: the device token they gave the app."
    )
    label: str = Field("", max_length=100, description="What the person calls the device (工作手机).")


class DeviceRead(BaseModel):
    """A registered device, its endpoint or token masked: the full value is a secret that can push to it."""

    model_config = ConfigDict(title="DeviceRead", from_attributes=True)

    id: uuid.UUID
    platform: PushPlatform
    label: str
    address_masked: str = Field(description="The endpoint's host and last 4 characters, or the token's last 4.")
    created_at: datetime
    updated_at: datetime
    last_success_at: datetime | None = Field(description="When a push last reached the device's push service.")


class WebPushKey(BaseModel):
    model_config = ConfigDict(title="WebPushKey")

    public_key: str | None = Field(
        description="The VAPID public key (base64url) to pass as `applicationServerKey` to "
        "`pushManager.subscribe`; null when Web Push is not set up here."
    )


class QuietHoursWindow(BaseModel):
    model_config = ConfigDict(title="QuietHoursWindow")

    start: time = Field(description="Local time (Asia/Shanghai) the quiet hours begin, e.g. 22:00.")
    end: time = Field(description="Local time they end, e.g. 07:00; before `start`: across midnight.")


class NotificationPreferences(BaseModel):
    """A person's notification choices."""

    model_config = ConfigDict(title="NotificationPreferences", extra="forbid")

    quiet_hours: QuietHoursWindow | None = Field(
        None, description="No pushes in this daily window (they wait for its end; the feed has them at once)."
    )
    urgent_during_quiet_hours: bool = Field(
        True, description="SLA breaches and escalations push even in quiet hours (default); false: they wait too."
    )
    sms_notices: bool = Field(True, description="A resident's account: SMS notices about their matters on or off.")


class NotificationPreferencesRead(NotificationPreferences):
    model_config = ConfigDict(title="NotificationPreferencesRead")

    time_zone: str = Field("Asia/Shanghai", description="The zone quiet hours are read in.")
    updated_at: datetime | None = Field(None, description="Null while the defaults were never changed.")
