"""The duty rota per station: patterns, one-off shifts, swaps, leave, and who is on duty."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, current_principal
from shared.clock import Now
from shared.errors import Unprocessable
from shared.idempotency import Idempotent, IdempotentRoute
from shared.service import SessionDep
from ticket_service.access import require_rota_manager, require_rota_reader
from ticket_service.reassignment import service as reassignment
from ticket_service.rota import service
from ticket_service.rota.duty import MAX_QUERY_WINDOW, RECEPTION, DutyRotaError, DutyShift, duty_shifts
from ticket_service.rota.models import RotaPattern, RotaShift, RotaSwap, StaffLeave
from ticket_service.rota.schemas import (
    EffectiveShifts,
    LeaveCreate,
    LeaveRead,
    OnDutyRead,
    PatternCreate,
    PatternRead,
    PersonOnDuty,
    RotaRead,
    ShiftCreate,
    ShiftRead,
    SwapCreate,
    SwapRead,
)
from ticket_service.stations import repository as stations
from ticket_service.stations.calendars import calendar_for
from ticket_service.stations.models import StationCopy

router = APIRouter(prefix="/api/v1/duty-rota", tags=["duty rota"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]
Role = Annotated[str, Query(max_length=40, pattern=r"^[a-z][a-z0-9_]*$", description="Duty role.")]


async def _reader(session: AsyncSession, station_id: uuid.UUID, principal: Principal) -> StationCopy:
    return require_rota_reader(principal, await stations.get_station(session, station_id))


async def _manager(session: AsyncSession, station_id: uuid.UUID, principal: Principal) -> StationCopy:
    return require_rota_manager(principal, await stations.get_station(session, station_id))


@router.get("/{station_id}", response_model=RotaRead, summary="A station's rota entries from a date on")
async def get_rota(
    station_id: uuid.UUID,
    session: SessionDep,
    principal: Caller,
    now: Now,
    from_at: Annotated[AwareDatetime | None, Query(alias="from")] = None,
) -> RotaRead:
    station = await _reader(session, station_id, principal)
    start = from_at or now
    patterns, shifts, swaps, leaves = await service._rows(session, station, start, start + MAX_QUERY_WINDOW)
    return RotaRead(
        station_id=station.id,
        time_zone=str(service.station_zone(station)),
        patterns=[PatternRead.model_validate(row) for row in patterns],
        shifts=[ShiftRead.model_validate(row) for row in shifts],
        swaps=[SwapRead.model_validate(row) for row in swaps],
        leaves=[LeaveRead.model_validate(row) for row in leaves],
    )


async def _people(session: AsyncSession, shifts: tuple[DutyShift, ...] | list[DutyShift]) -> list[PersonOnDuty]:
    names = await stations.staff_by_ids(session, [shift.person_id for shift in shifts])
    return [
        PersonOnDuty(
            person_id=shift.person_id,
            name=names[shift.person_id].name if shift.person_id in names else None,
            start_at=shift.start_at,
            end_at=shift.end_at,
        )
        for shift in shifts
    ]


@router.get(
    "/{station_id}/on-duty",
    response_model=OnDutyRead,
    summary="Who is on duty at a moment, until when, and who is next",
)
async def on_duty(
    station_id: uuid.UUID,
    session: SessionDep,
    principal: Caller,
    now: Now,
    at: Annotated[AwareDatetime | None, Query(description="Defaults to now.")] = None,
    role: Role = RECEPTION,
) -> OnDutyRead:
    station = await _reader(session, station_id, principal)
    moment = at or now
    answer = await service.who_is_on_duty(session, station, role, moment)
    calendar = calendar_for(station)
    is_open = calendar.is_open(moment)
    return OnDutyRead(
        station_id=station.id,
        role=role,
        at=moment,
        station_open=is_open,
        station_opens_at=None if is_open else calendar.next_opening(moment),
        on_duty=await _people(session, answer.on_duty),
        shift_ends_at=max((shift.end_at for shift in answer.on_duty), default=None),
        next_start_at=answer.next_start_at,
        next_on_duty=await _people(session, answer.next_on_duty),
    )


@router.get("/{station_id}/shifts", response_model=EffectiveShifts, summary="Effective shifts in a window")
async def effective_shifts(
    station_id: uuid.UUID,
    session: SessionDep,
    principal: Caller,
    now: Now,
    from_at: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to_at: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    role: Role = RECEPTION,
) -> EffectiveShifts:
    station = await _reader(session, station_id, principal)
    start = from_at or now
    end = to_at or start + timedelta(days=7)
    if end <= start:
        raise Unprocessable("`to` must be after `from`.", field="to", code="end_before_start")
    if end - start > MAX_QUERY_WINDOW:
        raise Unprocessable("At most 62 days at a time.", field="to", code="window_too_long")
    rota = await service.load_rota(session, station, start, end - start)
    try:
        shifts = duty_shifts(rota, role, start, end)
    except DutyRotaError as error:
        raise service._unprocessable(error) from error
    return EffectiveShifts(station_id=station.id, role=role, shifts=await _people(session, shifts))


@router.post(
    "/{station_id}/patterns", response_model=PatternRead, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent]
)
async def add_pattern(
    station_id: uuid.UUID, data: PatternCreate, session: SessionDep, principal: Caller, now: Now
) -> PatternRead:
    station = await _manager(session, station_id, principal)
    await service.check_person(session, station, data.person_id, "person_id")
    valid_from = data.valid_from or now.astimezone(service.station_zone(station)).date()
    row = RotaPattern(
        station_id=station.id,
        person_id=data.person_id,
        role=data.role,
        weekday=data.weekday,
        start_time=data.start_time.replace(tzinfo=None),
        end_time=data.end_time.replace(tzinfo=None),
        valid_from=valid_from,
        valid_until=data.valid_until,
        created_by=principal.user_id,
    )
    await service.validate_with(session, station, now, now, pattern=row)
    # Overlaps with patterns of the same person are checked against every stored pattern.
    await service.add_entry(session, row)
    return PatternRead.model_validate(row)


@router.post(
    "/{station_id}/shifts", response_model=ShiftRead, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent]
)
async def add_shift(station_id: uuid.UUID, data: ShiftCreate, session: SessionDep, principal: Caller) -> ShiftRead:
    station = await _manager(session, station_id, principal)
    await service.check_person(session, station, data.person_id, "person_id")
    row = RotaShift(
        station_id=station.id,
        person_id=data.person_id,
        role=data.role,
        start_at=data.start_at,
        end_at=data.end_at,
        note=data.note,
        created_by=principal.user_id,
    )
    await service.validate_with(session, station, data.start_at, data.end_at, shift=row)
    await service.add_entry(session, row)
    return ShiftRead.model_validate(row)


@router.post(
    "/{station_id}/swaps", response_model=SwapRead, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent]
)
async def add_swap(station_id: uuid.UUID, data: SwapCreate, session: SessionDep, principal: Caller) -> SwapRead:
    station = await _manager(session, station_id, principal)
    await service.check_person(session, station, data.from_person_id, "from_person_id")
    await service.check_person(session, station, data.to_person_id, "to_person_id")
    await service.check_swap_is_new(session, station, data.on_date, data.role, data.from_person_id)
    row = RotaSwap(station_id=station.id, created_by=principal.user_id, **data.model_dump())
    zone = service.station_zone(station)
    day_start = datetime.combine(data.on_date, datetime.min.time(), tzinfo=zone)
    await service.validate_with(session, station, day_start, day_start + timedelta(days=1), swap=row)
    await service.add_entry(session, row)
    return SwapRead.model_validate(row)


@router.post(
    "/{station_id}/leave", response_model=LeaveRead, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent]
)
async def add_leave(
    station_id: uuid.UUID, data: LeaveCreate, session: SessionDep, principal: Caller, now: Now
) -> LeaveRead:
    station = await _manager(session, station_id, principal)
    await service.check_person(session, station, data.person_id, "person_id")
    if data.end_at <= data.start_at:
        raise Unprocessable("Leave ends after it starts.", field="end_at", code="end_before_start")
    row = StaffLeave(station_id=station.id, created_by=principal.user_id, **data.model_dump())
    await service.add_entry(session, row)
    # A leave that covers now moves the person's open tickets at once (a later one: the periodic sweep).
    await reassignment.leave_entered(session, data.person_id, data.start_at, data.end_at, now)
    return LeaveRead.model_validate(row)


_MODELS: dict[str, type[RotaPattern] | type[RotaShift] | type[RotaSwap] | type[StaffLeave]] = {
    "patterns": RotaPattern,
    "shifts": RotaShift,
    "swaps": RotaSwap,
    "leave": StaffLeave,
}


@router.delete("/{station_id}/{kind}/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_entry(
    station_id: uuid.UUID,
    kind: str,
    item_id: uuid.UUID,
    session: SessionDep,
    principal: Caller,
) -> Response:
    station = await _manager(session, station_id, principal)
    model = _MODELS.get(kind)
    if model is None:
        raise Unprocessable("Kind is one of patterns, shifts, swaps, leave.", field="kind", code="unknown_kind")
    await service.delete_item(session, model, station, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
