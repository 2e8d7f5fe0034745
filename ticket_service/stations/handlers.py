"""Keeps the local station copy current from the catalogue's events."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import EventEnvelope
from ticket_service.events import consumer
from ticket_service.stations.models import StationCopy


@consumer.on("station.created", "station.updated")
async def station_changed(session: AsyncSession, event: EventEnvelope) -> None:
    data = event.data
    station = await session.get(StationCopy, uuid.UUID(data["id"]))
    if station is None:
        station = StationCopy(id=uuid.UUID(data["id"]))
        session.add(station)
    elif station.updated_at >= event.time:
        return  # an older event arriving late must not undo a newer one
    station.subdistrict_id = uuid.UUID(data["subdistrict_id"])
    station.community_name = data["community_name"]
    station.name = data["name"]
    station.updated_at = event.time
