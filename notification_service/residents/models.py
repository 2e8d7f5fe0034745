"""This domain's tables: the SMS outbox, the opt-outs, and the copies of stations and staff it words notices with.

No table holds a resident's phone number in clear: the worker reads it from the ticket service when it
sends, the outbox keeps only its masked form, and an opt-out is keyed by an HMAC of the number.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from notification_service.base import Base
from shared.database import JSONType, UTCDateTime
from shared.ids import new_id


class SmsMessage(Base):
    """One notice to the resident of a ticket, from the event that asked for it until it is sent or given up."""

    __tablename__ = "sms_message"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # The event that asked for the notice: a redelivered event never queues a second one.
    event_id: Mapped[str] = mapped_column(sa.String(100), unique=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(index=True)
    station_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID | None]
    resident_id: Mapped[str | None] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(40))
    # The template's parameters, never the phone; a rating code is wiped once the message is done with.
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    # Why a message was skipped or failed (opted_out, sms_turned_off, no_contact, provider_refused ...).
    reason: Mapped[str | None] = mapped_column(sa.String(40))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(100))
    phone_masked: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SmsOptOut(Base):
    """A phone number whose owner replied to stop SMS notices, known only by its keyed hash."""

    __tablename__ = "sms_opt_out"

    phone_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    keyword: Mapped[str] = mapped_column(sa.String(20))
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SmsStation(Base):
    """The catalogue's station as a notice names it and says when it opens (``station.*`` events)."""

    __tablename__ = "sms_station"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    community_name: Mapped[str] = mapped_column(sa.String(100), default="")
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SmsStaff(Base):
    """A staff member's name, for "who handles your matter" (``staff.*`` events)."""

    __tablename__ = "sms_staff"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
