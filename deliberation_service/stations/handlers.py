"""Keeps the local station copy current from the catalogue's events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service.events import consumer
from deliberation_service.stations.models import DEFAULT_TIME_ZONE, StationCopy
from shared.events import EventEnvelope, PermanentFailure
from shared.ids import stable_id


def community_id_of(data: dict[str, Any]) -> uuid.UUID | None:
    """The contract sends community_id; derive it the catalogue's way when only names are present."""
    if data.get("community_id"):
        return uuid.UUID(data["community_id"])
    if data.get("subdistrict_name") and data.get("community_name"):
        return stable_id("community", data["subdistrict_name"], data["community_name"])
    return None


@consumer.on("station.created", "station.updated")
async def station_changed(session: AsyncSession, event: EventEnvelope) -> None:
    data = event.data
    try:
        station_id = uuid.UUID(data["id"])
        subdistrict_id = uuid.UUID(data["subdistrict_id"])
        community_name = str(data["community_name"])
    except (KeyError, ValueError, TypeError) as error:
        raise PermanentFailure(f"station event without a usable id or community: {error!r}") from error
    station = await session.get(StationCopy, station_id)
    if station is None:
        station = StationCopy(id=station_id)
        session.add(station)
    elif station.updated_at >= event.time:
        return  # an older event arriving late must not undo a newer one
    station.subdistrict_id = subdistrict_id
    station.community_name = community_name
    station.community_id = community_id_of(data) or station.community_id
    station.name = data.get("name") or station.name or community_name
    station.address = data.get("address") or station.address
    station.time_zone = data.get("time_zone") or station.time_zone or DEFAULT_TIME_ZONE
    station.updated_at = event.time
