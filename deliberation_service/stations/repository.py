from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service.stations.models import StationCopy
from shared.errors import Unprocessable


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> StationCopy | None:
    return await session.get(StationCopy, station_id)


async def known_station(session: AsyncSession, station_id: uuid.UUID, field: str = "station_id") -> StationCopy:
    """A station the catalogue announced, whose community is known (projects and meetings need both)."""
    station = await get_station(session, station_id)
    if station is None:
        raise Unprocessable("No such station.", field=field, code="unknown_station")
    if station.community_id is None:
        raise Unprocessable("The station's community is not known yet.", field=field, code="station_community_unknown")
    return station
