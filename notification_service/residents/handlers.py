"""What this domain does with the events it takes (registered with notification_service.events.on).

Ticket and evaluation events queue a notice for the ticket's resident (never with a phone number: the
worker reads the contact when it sends). Catalogue events keep the copies of stations and staff the
notices are worded with. Every handler runs inside the notification consumer's inbox transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service.events import on, on_many
from notification_service.residents import repository
from notification_service.residents.models import SmsStation
from notification_service.residents.notices import MessageStatus, NoticeKind
from shared.business_calendar import BusinessCalendar, CalendarError
from shared.events import EventEnvelope, PermanentFailure
from shared.ids import new_id
from shared.upserts import Upsert


def _uuid(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


async def _station_name(session: AsyncSession, station_id: uuid.UUID | None, data: dict[str, Any]) -> str:
    station = await repository.get_station(session, station_id) if station_id else None
    if station is not None and station.name:
        return station.name
    community = str(data.get("community_name") or "")
    return f"{community}家门口服务站" if community else ""


async def _queue(session: AsyncSession, event: EventEnvelope, kind: NoticeKind, params: dict[str, Any]) -> None:
    data = event.data
    ticket_id = _uuid(data.get("ticket_id"))
    if ticket_id is None:
        raise PermanentFailure(f"{event.type} without a usable ticket_id")
    station_id = _uuid(data.get("station_id"))
    resident_id = data.get("resident_id")
    await repository.add_message(
        session,
        {
            "id": new_id(),
            "event_id": str(event.id),
            "ticket_id": ticket_id,
            "station_id": station_id,
            "community_id": _uuid(data.get("community_id")),
            "resident_id": str(resident_id)[:64] if resident_id else None,
            "kind": kind.value,
            "params": {"station_name": await _station_name(session, station_id, data), **params},
            "status": MessageStatus.pending.value,
            "attempts": 0,
            # The event's time, not the wall clock: a worker on an injected clock finds it due.
            "next_attempt_at": event.time,
            "created_at": event.time,
            "updated_at": event.time,
        },
    )


@on("ticket.accepted")
async def ticket_accepted(session: AsyncSession, event: EventEnvelope) -> None:
    data = event.data
    owner = str(data.get("accepted_by") or data.get("owner_id") or "")
    staff = await repository.get_staff(session, owner) if owner else None
    await _queue(session, event, NoticeKind.ticket_accepted, {"staff_name": staff.name if staff else ""})


@on("ticket.resolved")
async def ticket_resolved(session: AsyncSession, event: EventEnvelope) -> None:
    await _queue(session, event, NoticeKind.ticket_resolved, {})


@on("ticket.duplicate_linked")
async def ticket_duplicate_linked(session: AsyncSession, event: EventEnvelope) -> None:
    # The duplicate's resident: their matter is handled with another one (the event names the duplicate).
    await _queue(session, event, NoticeKind.duplicate_linked, {})


@on("ticket.parent_resolved")
async def ticket_parent_resolved(session: AsyncSession, event: EventEnvelope) -> None:
    # The duplicate's resident hears of the parent's resolution (one event per duplicate).
    await _queue(session, event, NoticeKind.parent_resolved, {})


@on("evaluation.invitation_created", "evaluation.invitation_renewed")
async def invitation_created(session: AsyncSession, event: EventEnvelope) -> None:
    # A renewed invitation replaced the token of any earlier link: the resident gets a working one.
    invitation_id = _uuid(event.data.get("invitation_id"))
    if invitation_id is None:
        raise PermanentFailure(f"{event.type} without a usable invitation_id")
    await _queue(session, event, NoticeKind.rating_link, {"invitation_id": str(invitation_id)})


@on("evaluation.rating_code_issued")
async def rating_code_issued(session: AsyncSession, event: EventEnvelope) -> None:
    code = str(event.data.get("code") or "")
    if not code.isdigit():
        raise PermanentFailure("evaluation.rating_code_issued without a code")
    expires_at = _when(event.data.get("expires_at"))
    minutes = max(1, round((expires_at - event.time).total_seconds() / 60)) if expires_at else 30
    params = {"code": code, "valid_minutes": minutes, "expires_at": expires_at.isoformat() if expires_at else None}
    await _queue(session, event, NoticeKind.rating_code, params)


# --- the copies of the catalogue -------------------------------------------------------------------------


def _opening_hours(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    try:
        return BusinessCalendar.from_dict(value).to_dict()
    except CalendarError:
        return None


def _station_id(event: EventEnvelope) -> uuid.UUID:
    station_id = _uuid(event.data.get("id"))
    if station_id is None:
        raise PermanentFailure(f"station event without a usable id: {event.data.get('id')!r}")
    return station_id


@on_many("station.created", "station.updated")
async def station_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """A run of station events: the copies it names are read in one query, each event applies as alone."""
    known = await repository.stations_by_ids(session, [_station_id(event) for event in events])
    for event in events:
        _apply_station(session, known, event)


def _apply_station(session: AsyncSession, known: dict[uuid.UUID, SmsStation], event: EventEnvelope) -> None:
    data = event.data
    station_id = _station_id(event)
    station = known.get(station_id)
    if station is None:
        station = SmsStation(id=station_id, name="", community_name="", updated_at=event.time)
        session.add(station)
        known[station_id] = station
    elif station.updated_at >= event.time:
        return  # an older event arriving late must not undo a newer one
    station.community_name = str(data.get("community_name") or station.community_name)[:100]
    station.name = str(data.get("name") or station.name or station.community_name)[:200]
    if "opening_hours" in data:
        station.opening_hours = _opening_hours(data["opening_hours"]) or station.opening_hours
    station.time_zone = data.get("time_zone") or station.time_zone
    station.updated_at = event.time


@on_many("staff.created", "staff.updated", "staff.removed")
async def staff_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Only the fields an event carries change the copy; a run of events in a few statements, in order."""
    upserts: list[Upsert] = []
    for event in events:
        data = event.data
        staff_id = str(data.get("id") or "").strip()
        if not staff_id or len(staff_id) > 64:
            raise PermanentFailure(f"staff event without a usable id: {data.get('id')!r}")
        changes: dict[str, Any] = {}
        if data.get("name"):
            changes["name"] = str(data["name"])[:100]
        if event.type == "staff.removed":
            changes["active"] = False
        elif isinstance(data.get("active"), bool):
            changes["active"] = data["active"]
        row = {"id": staff_id, "name": "", "active": True, **changes, "updated_at": event.time}
        upserts.append(Upsert(row, tuple(changes)))
    await repository.upsert_staff_many(session, upserts)
