from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class ReassignRequest(BaseModel):
    """Move every open ticket a person owns (within the caller's scope) to someone else."""

    from_person_id: str = Field(min_length=1, max_length=64, description="Whose open tickets move.")
    to_person_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Who takes them (a colleague at each ticket's station, present). "
        "Absent: each ticket is reassigned under the responsibility rules (designated by skill and load, "
        "else the secretary, else a department of the subdistrict).",
    )
    note: str | None = Field(None, max_length=2000, description="Kept in each ticket's history.")


class ReassignedTicket(BaseModel):
    ticket_id: uuid.UUID
    station_id: uuid.UUID
    owner_id: str
    owner_kind: str
    responsibility_level: str
    reason: str = Field(description="The history's reason: owner_left, owner_inactive, owner_on_leave, bulk_reassign")


class TicketNotMoved(BaseModel):
    ticket_id: uuid.UUID
    station_id: uuid.UUID
    code: str = Field(description="Why it stayed: no_owner_available")


class ReassignResult(BaseModel):
    from_person_id: str
    moved_count: int
    items: list[ReassignedTicket] = Field(description="The tickets that moved, oldest first.")
    not_moved: list[TicketNotMoved] = Field(description="Tickets nobody could take; they keep their owner.")
