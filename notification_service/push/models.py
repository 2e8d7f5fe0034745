"""This domain's tables: a person's devices, one push row per (device, feed item), and each person's
notification preferences (quiet hours; SMS notices on or off for a resident's account)."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from notification_service.base import Base
from shared.conditional import Versioned
from shared.database import UTCDateTime
from shared.ids import new_id


class PushPlatform(StrEnum):
    """How a device is reached: the Web Push standard, or a vendor's own channel with a token."""

    web = "web"
    huawei = "huawei"
    xiaomi = "xiaomi"
    oppo = "oppo"
    vivo = "vivo"
    honor = "honor"
    apns = "apns"
    jpush = "jpush"


class PushStatus(StrEnum):
    pending = "pending"  # waiting for its (next) attempt, or for quiet hours to end
    sent = "sent"  # the push service took it
    skipped = "skipped"  # not sent on purpose: the channel is not configured here
    failed = "failed"  # refused for good, or every attempt failed


class PushDevice(Base):
    """A device a person registered. `address` is the Web Push endpoint or the vendor's token: a secret
    (whoever has it can push to the device), never logged and shown only masked. One address belongs to
    one person: registering it again from another account moves it (the device changed hands)."""

    __tablename__ = "push_device"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    platform: Mapped[str] = mapped_column(sa.String(20))
    address: Mapped[str] = mapped_column(sa.Text)
    # SHA-256 of platform and address: the unique key (an endpoint URL is too long to index everywhere).
    address_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    p256dh: Mapped[str | None] = mapped_column(sa.String(200))  # Web Push: the browser's ECDH public key
    auth: Mapped[str | None] = mapped_column(sa.String(100))  # Web Push: the browser's auth secret
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PushMessage(Base):
    """One feed item pushed to one device: due at `next_attempt_at` (the end of quiet hours when deferred)."""

    __tablename__ = "push_message"
    __table_args__ = (sa.UniqueConstraint("device_id", "feed_item_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    device_id: Mapped[uuid.UUID] = mapped_column(index=True)
    person_id: Mapped[str] = mapped_column(sa.String(64))
    feed_item_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.String(1000))
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(20), default=PushStatus.pending.value)
    reason: Mapped[str | None] = mapped_column(sa.String(40))
    attempts: Mapped[int] = mapped_column(default=0)
    deferred: Mapped[bool] = mapped_column(default=False)  # held back by quiet hours
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationPreference(Versioned, Base):
    """A person's choices; no row means the defaults (no quiet hours, urgent items always, SMS on)."""

    __tablename__ = "notification_preference"

    person_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # Local times in Asia/Shanghai; both set or both empty; start after end wraps midnight (22:00-07:00).
    quiet_hours_start: Mapped[time | None] = mapped_column(sa.Time)
    quiet_hours_end: Mapped[time | None] = mapped_column(sa.Time)
    urgent_during_quiet_hours: Mapped[bool] = mapped_column(default=True)
    sms_notices: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
