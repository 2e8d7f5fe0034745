from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from shared.conditional import Versioned
from shared.database import JSONType, UTCDateTime
from shared.ids import new_id, utcnow
from shared.sync import Synced
from ticket_service.base import Base
from ticket_service.tickets.lifecycle import OPEN_STATES

_OPEN_STATES_SQL = "status IN ({})".format(", ".join(f"'{state.value}'" for state in sorted(OPEN_STATES)))


class Ticket(Versioned, Synced, Base):
    # Versioned: `version` rises with every UPDATE of the row, the version of its ETag (If-Match).
    __sync_entity__ = "ticket"
    # A ticket leaves its old owner's and (anonymised) resident's view: their apps get a tombstone.
    __sync_scope__ = ("owner_id", "resident_id")
    __tablename__ = "ticket"
    __table_args__ = (
        # Lists: every scope is walked in id (= time) order, one index per scope (keyset pagination).
        sa.Index("ix_ticket_station_id_id", "station_id", "id"),
        sa.Index("ix_ticket_station_id_status_id", "station_id", "status", "id"),
        sa.Index("ix_ticket_community_id_id", "community_id", "id"),
        sa.Index("ix_ticket_subdistrict_id_id", "subdistrict_id", "id"),
        sa.Index("ix_ticket_owner_id_status", "owner_id", "status"),
        sa.Index("ix_ticket_resident_id_id", "resident_id", "id"),
        # The SLA checker takes tickets whose next due time has come.
        sa.Index("ix_ticket_due_at", "due_at"),
        # The checker's next look: the earliest of a breach and a warning (sla_warnings.py) still to come.
        sa.Index("ix_ticket_sla_check_at", "sla_check_at"),
        # Open311 `updated_after`.
        sa.Index("ix_ticket_updated_at_id", "updated_at", "id"),
        # Retention: closed matters whose personal data is still held, oldest first.
        sa.Index(
            "ix_ticket_personal_data_removed_at_status_closed_at", "personal_data_removed_at", "status", "closed_at"
        ),
        # A parent's resolution reaches its duplicates (ticket_service/handovers).
        sa.Index("ix_ticket_duplicate_of_id", "duplicate_of_id"),
        # Only the open tickets, a small share of a district's millions, by subdistrict in id (= time) order
        # with every column "overdue" reads: a subdistrict's overdue list walks it newest first and stops
        # after the page; the open figures of every /metrics scrape (tickets/metrics.py) read it whole.
        # Both are index-only scans.
        sa.Index(
            "ix_ticket_open_subdistrict_id_id",
            "subdistrict_id",
            "id",
            postgresql_include=["status", "due_at", "sla_breached_at"],
            postgresql_where=sa.text(_OPEN_STATES_SQL),
            sqlite_where=sa.text(_OPEN_STATES_SQL),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    station_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("station_copy.id"))
    channel: Mapped[str] = mapped_column(sa.String(20))
    service_category: Mapped[str] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.Text)
    resident_id: Mapped[str | None] = mapped_column(sa.String(64))
    resident_name: Mapped[str | None] = mapped_column(sa.String(100))
    resident_phone: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(30), default="new")
    owner_id: Mapped[str | None] = mapped_column(sa.String(64))
    responsibility_level: Mapped[str] = mapped_column(sa.String(20), default="first_inquiry")
    completed_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community_id: Mapped[uuid.UUID | None]
    subdistrict_id: Mapped[uuid.UUID | None]
    service_item: Mapped[str | None] = mapped_column(sa.String(80))
    owner_kind: Mapped[str] = mapped_column(sa.String(20), default="person")
    received_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    location_address: Mapped[str | None] = mapped_column(sa.String(300))
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    media_urls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(sa.String(64))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # First inquiry outside opening hours: the duty person's shift (the station) opens then.
    waits_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SLA: due times, the earliest still-running unreported due time (None: paused or stopped),
    # whether each clock's breach was reported, and the elapsed working minutes for the reports.
    acceptance_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acceptance_breached: Mapped[bool] = mapped_column(default=False)
    resolution_breached: Mapped[bool] = mapped_column(default=False)
    sla_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acceptance_working_minutes: Mapped[float | None] = mapped_column(sa.Float)
    resolution_working_minutes: Mapped[float | None] = mapped_column(sa.Float)
    # When the SLA checker must look next: the earliest running due time or warning threshold still to
    # come (``due_at`` stays the breach's time: lists sort and flag overdue by it). None: nothing to watch.
    sla_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Warning thresholds already settled, never sent twice: ``acceptance:50``, ``resolution:80`` ...
    sla_warnings: Mapped[list[str]] = mapped_column(JSONType, default=list)
    handled_by: Mapped[list[str]] = mapped_column(JSONType, default=list)
    onsite_office_status: Mapped[str | None] = mapped_column(sa.String(20))
    onsite_case_id: Mapped[str | None] = mapped_column(sa.String(64))
    onsite_outcome: Mapped[str | None] = mapped_column(sa.String(2000))
    onsite_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    open311_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # How many history rows the ticket has: the next row's ``seq`` (the ticket row is locked to append).
    change_count: Mapped[int] = mapped_column(default=0)
    # When the retention period removed the resident's personal data (ticket_service/privacy/retention.py).
    personal_data_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The result text (办理结果) of the last resolution, as typed: required to resolve (ticket_service/replies).
    result_text: Mapped[str | None] = mapped_column(sa.String(2000))
    # Handovers (ticket_service/handovers): the station of the last transfer, until it is returned there.
    transferred_from_station_id: Mapped[uuid.UUID | None]
    # A duplicate points at its parent (closed with it); a parent lists its duplicates.
    duplicate_of_id: Mapped[uuid.UUID | None]
    duplicate_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # The owner's pending request for the backstop (the reason is in the history): cleared once settled.
    backstop_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    backstop_requested_by: Mapped[str | None] = mapped_column(sa.String(64))
    # Priority and deadlines (ticket_service/sla_policies): the priority picks the SLA policy; the budgets
    # it gave (working minutes; None: an older ticket, on the settings' budgets); the referring system's
    # deadline (12345); and which deadline the resolution clock's due time is (external | service_level).
    priority: Mapped[str] = mapped_column(sa.String(10), default="normal", server_default="normal")
    sla_accept_minutes: Mapped[float | None] = mapped_column(sa.Float)
    sla_resolve_minutes: Mapped[float | None] = mapped_column(sa.Float)
    external_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at_source: Mapped[str | None] = mapped_column(sa.String(20))


class TicketChange(Base):
    """Append-only history: every change of a ticket's owner, level and state (who, when, from, to, why)."""

    __tablename__ = "ticket_change"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "seq"),
        # "Longest since last assigned" for designation.
        sa.Index("ix_ticket_change_kind_to_value_at", "kind", "to_value", "at"),
        # Open311 `servicerequestupdates`: the changes within a window, in time order.
        sa.Index("ix_ticket_change_at_id", "at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("ticket.id"))
    seq: Mapped[int]  # 1, 2, 3 ... per ticket: the order of the changes, even within one instant
    kind: Mapped[str] = mapped_column(sa.String(20))  # state | owner | level | onsite_office
    from_value: Mapped[str | None] = mapped_column(sa.String(64))
    to_value: Mapped[str | None] = mapped_column(sa.String(64))
    actor_id: Mapped[str | None] = mapped_column(sa.String(64))  # None: the system (SLA checker, events)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(sa.String(60))
    note: Mapped[str | None] = mapped_column(sa.String(2000))
    # A resolution's result text (the public answer; `note` stays the staff's own words).
    result_text: Mapped[str | None] = mapped_column(sa.String(2000))


@event.listens_for(TicketChange, "before_update")
@event.listens_for(TicketChange, "before_delete")
def _history_is_append_only(_mapper: Any, _connection: Any, target: TicketChange) -> None:
    raise RuntimeError(f"ticket history is append-only (change {target.id})")


class VideoLinkSession(Base):
    """A handling by video link with the subdistrict's acceptance centre."""

    __tablename__ = "video_link_session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("ticket.id"), index=True)
    centre: Mapped[str] = mapped_column(sa.String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(sa.String(30))
    document_issued: Mapped[str | None] = mapped_column(sa.String(200))
    notes: Mapped[str | None] = mapped_column(sa.String(2000))
    recorded_by: Mapped[str] = mapped_column(sa.String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
