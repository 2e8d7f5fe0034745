"""Use cases of district- and subdistrict-wide closures and working-day swaps. They never commit.

One call sets (or removes) a day's exception on every station in scope, in one transaction: the stations'
hours are the one place a day's hours live (the wall, "open now", the SLA calendars all read them), so a
bulk closure is the per-station exception written many times, not a second source of truth. Each changed
station publishes its `station.updated` as a single edit does, written with one multi-row outbox insert:
every consumer (tickets' SLA calendars, notifications, deliberation, evaluation) keeps its copy by the
contract it already has, and 1,285 events are what the catalogue's seed sends anyway.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.access import manages_subdistrict, require
from catalog_service.closures import repository
from catalog_service.closures.rules import day_periods, with_day, without_day
from catalog_service.closures.schemas import ClosureBody, ClosureRead, ClosureScope
from catalog_service.events import STATION_UPDATED, add_many
from catalog_service.stations import repository as stations
from catalog_service.stations.models import Station
from catalog_service.stations.service import require_subdistrict, station_state
from shared.auth import Principal
from shared.errors import Unprocessable


async def _scope(
    session: AsyncSession, principal: Principal, scope: ClosureScope, subdistrict_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The subdistrict in scope (None: the whole district), once the caller may act on it."""
    if scope is ClosureScope.DISTRICT:
        if subdistrict_id is not None:
            raise Unprocessable("A district-wide day names no subdistrict.", field="subdistrict_id", code="not_allowed")
        require(principal.is_district_admin, "Only district administrators set a district-wide day.")
        return None
    if subdistrict_id is None:
        raise Unprocessable("Name the subdistrict.", field="subdistrict_id", code="required")
    require(manages_subdistrict(principal, subdistrict_id), "Subdistrict admins set days for their own subdistrict.")
    await require_subdistrict(session, subdistrict_id)
    return subdistrict_id


async def _publish(session: AsyncSession, changed: list[Station]) -> None:
    if not changed:
        return
    await session.flush()  # the new versions and updated_at go out with the events
    names = await stations.subdistrict_names(session)
    await add_many(
        session,
        (
            (
                STATION_UPDATED,
                station_state(station, names[station.subdistrict_id], station.opening_hours),
                str(station.id),
            )
            for station in changed
        ),
    )


async def set_day(session: AsyncSession, day: date, body: ClosureBody, principal: Principal) -> ClosureRead:
    subdistrict_id = await _scope(session, principal, body.scope, body.subdistrict_id)
    periods = day_periods(day, body.closed, [period.model_dump() for period in body.periods])
    in_scope = await repository.stations_in_scope(session, subdistrict_id)
    changed = []
    for station in in_scope:
        stored = with_day(station.opening_hours, day, periods, body.note)
        if stored != station.opening_hours:
            station.opening_hours = stored
            changed.append(station)
    await _publish(session, changed)
    return ClosureRead(
        day=day,
        scope=body.scope,
        subdistrict_id=subdistrict_id,
        closed=body.closed,
        periods=body.periods,
        note=body.note,
        stations_in_scope=len(in_scope),
        stations_changed=len(changed),
    )


async def remove_day(
    session: AsyncSession, day: date, scope: ClosureScope, subdistrict_id: uuid.UUID | None, principal: Principal
) -> ClosureRead:
    """Removes the day's exception from every station in scope that has one (its own one included)."""
    subdistrict_id = await _scope(session, principal, scope, subdistrict_id)
    in_scope = await repository.stations_in_scope(session, subdistrict_id)
    changed = []
    for station in in_scope:
        stored = without_day(station.opening_hours, day)
        if stored is not None and stored != station.opening_hours:
            station.opening_hours = stored
            changed.append(station)
    await _publish(session, changed)
    return ClosureRead(
        day=day,
        scope=scope,
        subdistrict_id=subdistrict_id,
        closed=False,
        periods=[],
        note=None,
        stations_in_scope=len(in_scope),
        stations_changed=len(changed),
    )
