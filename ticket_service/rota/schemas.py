from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema

ROLE_PATTERN = r"^[a-z][a-z0-9_]*$"
# A pattern's times are the station's wall clock, sent without an offset; JSON Schema's "time" format
# (RFC 3339 full-time) would demand one.
WallClockTime = Annotated[
    time,
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d{2}:\d{2}:\d{2}(\.\d+)?$", "description": "Local wall-clock time"},
        mode="serialization",
    ),
]
PERSON = Field(min_length=1, max_length=64)


class PatternCreate(BaseModel):
    person_id: str = PERSON
    role: str = Field("reception", max_length=40, pattern=ROLE_PATTERN)
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start_time: time = Field(description="Local wall-clock time, e.g. 08:30")
    end_time: time
    valid_from: date | None = Field(None, description="Defaults to today (local).")
    valid_until: date | None = Field(None, description="Inclusive; null = until further notice.")


class PatternRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    station_id: uuid.UUID
    person_id: str
    role: str
    weekday: int
    start_time: WallClockTime
    end_time: WallClockTime
    valid_from: date
    valid_until: date | None


class ShiftCreate(BaseModel):
    person_id: str = PERSON
    role: str = Field("reception", max_length=40, pattern=ROLE_PATTERN)
    start_at: AwareDatetime
    end_at: AwareDatetime
    note: str | None = Field(None, max_length=200)


class ShiftRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    station_id: uuid.UUID
    person_id: str
    role: str
    start_at: datetime
    end_at: datetime
    note: str | None


class SwapCreate(BaseModel):
    on_date: date
    role: str = Field("reception", max_length=40, pattern=ROLE_PATTERN)
    from_person_id: str = PERSON
    to_person_id: str = PERSON


class SwapRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    station_id: uuid.UUID
    on_date: date
    role: str
    from_person_id: str
    to_person_id: str


class LeaveCreate(BaseModel):
    person_id: str = PERSON
    start_at: AwareDatetime
    end_at: AwareDatetime
    reason: str | None = Field(None, max_length=200)


class LeaveRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: str
    station_id: uuid.UUID | None
    start_at: datetime
    end_at: datetime
    reason: str | None


class RotaRead(BaseModel):
    station_id: uuid.UUID
    time_zone: str
    patterns: list[PatternRead]
    shifts: list[ShiftRead]
    swaps: list[SwapRead]
    leaves: list[LeaveRead]


class PersonOnDuty(BaseModel):
    person_id: str
    name: str | None = None
    start_at: datetime
    end_at: datetime = Field(description="When this person's shift ends.")


class OnDutyRead(BaseModel):
    station_id: uuid.UUID
    role: str
    at: datetime
    station_open: bool
    station_opens_at: datetime | None = Field(description="Next opening, when the station is closed at `at`.")
    on_duty: list[PersonOnDuty]
    shift_ends_at: datetime | None = Field(description="When the current duty ends (the last shift on duty ends).")
    next_start_at: datetime | None = Field(description="When the next shift starts (within 14 days).")
    next_on_duty: list[PersonOnDuty]


class EffectiveShifts(BaseModel):
    station_id: uuid.UUID
    role: str
    shifts: list[PersonOnDuty]
