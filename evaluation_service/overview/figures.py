"""The overview's figures as the page needs them, and the readers of the ticket service's answer. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict


class TicketStation(BaseModel):
    """What the page reads of one station in `GET /api/v1/tickets/overview` (extra fields allowed)."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    name: str
    subdistrict_id: uuid.UUID
    subdistrict_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    open: int
    overdue: int


class TicketMonth(BaseModel):
    model_config = ConfigDict(extra="ignore")

    month: str
    raised: int
    closed: int


class TicketFigures(BaseModel):
    model_config = ConfigDict(extra="ignore")

    year: int
    stations: list[TicketStation]
    months: list[TicketMonth]


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """Residents' ratings of one place or month: how many count, and their mean (None under the sample)."""

    ratings: int
    mean: float | None  # (attitude + ability) / 2, 1-5


@dataclass(frozen=True, slots=True)
class OverviewFigures:
    year: int
    scope_name: str  # 浦东新区, or the subdistrict's name
    minimum_sample: int
    tickets: TicketFigures
    stations: dict[str, Satisfaction]  # station id -> satisfaction
    subdistricts: dict[str, Satisfaction]
    subdistrict_names: dict[str, str]
    months: list[Satisfaction]  # January to December, by month of rating


def mean_of(attitude: float | None, ability: float | None) -> float | None:
    """Satisfaction: the mean of the two dimensions' means (both shown only from the minimum sample)."""
    if attitude is None or ability is None:
        return None
    return (attitude + ability) / 2
