"""This domain's tables: a district system's subscription, and one delivery row per (subscription, event)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from notification_service.base import Base
from shared.conditional import Versioned
from shared.database import UTCDateTime
from shared.ids import new_id, utcnow


class WebhookDeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"  # tried for the whole retry window, never taken
    gone = "gone"  # the receiver answered 410: it wants no more


class WebhookSubscription(Versioned, Base):
    """Where a district system wants events, which ones, over which subdistricts, and the secret we sign with.

    The secret is kept in the clear because the service must sign with it (HMAC); it is shown once, at
    creation or rotation, and never again. `failing_since` is the first failure after the last success:
    when every delivery has failed since for `webhook_disable_after_days`, the subscription is disabled.
    """

    __tablename__ = "webhook_subscription"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    owner_kind: Mapped[str] = mapped_column(sa.String(30))  # projection.Audience
    url: Mapped[str] = mapped_column(sa.String(2000))
    event_types: Mapped[list[str]] = mapped_column(sa.JSON)
    subdistrict_ids: Mapped[list[str] | None] = mapped_column(sa.JSON)
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    secret: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(300))


class WebhookDelivery(Base):
    """One event for one subscription: written with the event's inbox row, sent by the worker.

    `body` is the exact CloudEvent sent (and signed), so every retry and replay sends the same bytes.
    `next_attempt_at` is also the lease: a worker that takes a row moves it forward before sending, so
    another replica does not take it meanwhile, and a crashed worker's row comes due again.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "event_id"),
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_subscription_event_time", "subscription_id", "event_time"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subscription_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("webhook_subscription.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(sa.String(64))
    event_type: Mapped[str] = mapped_column(sa.String(100))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default=WebhookDeliveryStatus.pending.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    last_latency_ms: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
