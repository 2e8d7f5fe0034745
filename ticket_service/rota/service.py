"""Use cases for the duty rota. Loads rows into the pure ``DutyRota`` and lets it decide."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import NotFound, Unprocessable
from ticket_service.rota import repository
from ticket_service.rota.duty import (
    SEARCH_HORIZON,
    SHANGHAI,
    DutyAnswer,
    DutyRota,
    DutyRotaError,
    Leave,
    OneOffShift,
    Swap,
    Weekday,
    WeeklyPattern,
    duty_answer,
)
from ticket_service.rota.models import RotaPattern, RotaShift, RotaSwap, StaffLeave
from ticket_service.stations import repository as stations
from ticket_service.stations.models import StationCopy

# Rows loaded around a moment: a day back (a shift in progress) and the look-ahead horizon forward.
_BACK = timedelta(days=1)


def station_zone(station: StationCopy) -> ZoneInfo:
    try:
        return ZoneInfo(station.time_zone) if station.time_zone else SHANGHAI
    except (ZoneInfoNotFoundError, ValueError):
        return SHANGHAI


def _pattern(row: RotaPattern) -> WeeklyPattern:
    return WeeklyPattern(
        station_id=str(row.station_id),
        person_id=row.person_id,
        role=row.role,
        weekday=Weekday(row.weekday),
        start_time=row.start_time,
        end_time=row.end_time,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
    )


def _shift(row: RotaShift) -> OneOffShift:
    return OneOffShift(person_id=row.person_id, role=row.role, start_at=row.start_at, end_at=row.end_at)


def _swap(row: RotaSwap) -> Swap:
    return Swap(on_date=row.on_date, role=row.role, from_person_id=row.from_person_id, to_person_id=row.to_person_id)


def _leave(row: StaffLeave) -> Leave:
    return Leave(person_id=row.person_id, start_at=row.start_at, end_at=row.end_at)


Rows = tuple[list[RotaPattern], list[RotaShift], list[RotaSwap], list[StaffLeave]]


async def _rows(session: AsyncSession, station: StationCopy, start: datetime, end: datetime) -> Rows:
    zone = station_zone(station)
    patterns = await repository.patterns_valid_since(session, station.id, (start - _BACK).date())
    shifts = await repository.shifts_between(session, station.id, start - _BACK, end)
    swaps = await repository.swaps_between(
        session,
        station.id,
        (start - _BACK).astimezone(zone).date() - timedelta(days=1),
        end.astimezone(zone).date() + timedelta(days=1),
    )
    people = {row.person_id for row in patterns} | {row.person_id for row in shifts}
    people |= {row.to_person_id for row in swaps}
    leaves = await repository.leaves_of(session, people, start - _BACK, end)
    return patterns, shifts, swaps, leaves


def build_rota(
    station: StationCopy,
    patterns: Iterable[RotaPattern] = (),
    shifts: Iterable[RotaShift] = (),
    swaps: Iterable[RotaSwap] = (),
    leaves: Iterable[StaffLeave] = (),
) -> DutyRota:
    return DutyRota(
        station_id=str(station.id),
        patterns=[_pattern(row) for row in patterns],
        shifts=[_shift(row) for row in shifts],
        swaps=[_swap(row) for row in swaps],
        leaves=[_leave(row) for row in leaves],
        time_zone=station_zone(station),
    )


async def load_rota(
    session: AsyncSession, station: StationCopy, at: datetime, horizon: timedelta = SEARCH_HORIZON
) -> DutyRota:
    return build_rota(station, *await _rows(session, station, at, at + horizon))


async def who_is_on_duty(session: AsyncSession, station: StationCopy, role: str, at: datetime) -> DutyAnswer:
    rota = await load_rota(session, station, at)
    try:
        return duty_answer(rota, role, at)
    except DutyRotaError as error:
        raise _unprocessable(error) from error


async def people_on_leave(session: AsyncSession, people: Iterable[str], at: datetime) -> set[str]:
    rows = await repository.leaves_of(session, people, at, at + timedelta(microseconds=1))
    return {row.person_id for row in rows if row.start_at <= at < row.end_at}


def _unprocessable(error: DutyRotaError, prefix: str | None = None) -> Unprocessable:
    # "patterns[3].end_time" -> "end_time": the client sent one item, name its field.
    field = error.field.rsplit(".", 1)[-1] if "." in error.field else error.field
    if "[" in field:
        field = prefix or field
    return Unprocessable(f"{error.field}: {error.reason}", field=field, code=error.reason)


async def check_person(session: AsyncSession, station: StationCopy, person_id: str, field: str) -> None:
    """A person on a station's rota must work there, if the catalogue has told us its staff."""
    staff = await stations.get_staff(session, person_id)
    if staff is not None:
        if not staff.active:
            raise Unprocessable("This person no longer works for a station.", field=field, code="person_inactive")
        same_station = staff.station_id == station.id
        same_community = station.community_id is not None and staff.community_id == station.community_id
        if not (same_station or (staff.role == stations.SECRETARY and same_community)):
            raise Unprocessable("This person does not work at this station.", field=field, code="person_not_at_station")
        return
    if await stations.has_staff_list(session, station):
        raise Unprocessable("No such staff member at this station.", field=field, code="unknown_person")


async def validate_with(
    session: AsyncSession,
    station: StationCopy,
    start: datetime,
    end: datetime,
    *,
    pattern: RotaPattern | None = None,
    shift: RotaShift | None = None,
    swap: RotaSwap | None = None,
    leave: StaffLeave | None = None,
) -> None:
    """Builds the rota with the new item added; the pure rules refuse overlaps and bad values."""
    patterns, shifts, swaps, leaves = await _rows(session, station, start, end)
    if shift is not None:
        # Every shift of the same person that could overlap, however old the window.
        shifts = [row for row in shifts if row.person_id != shift.person_id] + await repository.person_shifts_between(
            session, station.id, shift.person_id, shift.start_at, shift.end_at
        )
    try:
        build_rota(
            station,
            [*patterns, *([pattern] if pattern else [])],
            [*shifts, *([shift] if shift else [])],
            [*swaps, *([swap] if swap else [])],
            [*leaves, *([leave] if leave else [])],
        )
    except DutyRotaError as error:
        raise _unprocessable(error, prefix="start_time" if pattern else "start_at") from error


async def check_swap_is_new(
    session: AsyncSession, station: StationCopy, on_date: date, role: str, from_person_id: str
) -> None:
    """One swap per person, role and day at a station."""
    if await repository.swap_of(session, station.id, on_date, role, from_person_id) is not None:
        raise Unprocessable("This shift is already swapped to someone.", field="from_person_id", code="duplicate_swap")


async def add_entry(session: AsyncSession, row: RotaPattern | RotaShift | RotaSwap | StaffLeave) -> None:
    await repository.add(session, row)


async def delete_item(
    session: AsyncSession,
    model: type[RotaPattern] | type[RotaShift] | type[RotaSwap] | type[StaffLeave],
    station: StationCopy,
    item_id: uuid.UUID,
) -> None:
    row = await repository.get_entry(session, model, item_id)
    if row is None or row.station_id != station.id:
        raise NotFound("No such rota entry at this station.", code="rota_entry_not_found")
    await repository.delete(session, row)
