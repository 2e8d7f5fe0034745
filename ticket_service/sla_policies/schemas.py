from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ticket_service.sla_policies.rules import MAX_BUDGET_MINUTES, PolicySource, Priority


class SlaPolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    service_category: str
    priority: Priority
    accept_minutes: float = Field(description="Working minutes (the station's opening hours) to accept.")
    resolve_minutes: float = Field(description="Working minutes to resolve (paused while waiting for the resident).")
    source: PolicySource = Field(
        description="`configured` (a district admin set it) or `default` (the settings' budgets for the priority)."
    )
    configured_by: str | None
    updated_at: datetime | None
    version: int = Field(description="Rises with each change; the version of the ETag to send as If-Match.")


class SlaPolicyUpdate(BaseModel):
    accept_minutes: float = Field(gt=0, le=MAX_BUDGET_MINUTES, description="Working minutes to accept.")
    resolve_minutes: float = Field(gt=0, le=MAX_BUDGET_MINUTES, description="Working minutes to resolve.")


class TicketPriorityChange(BaseModel):
    priority: Priority
    note: str | None = Field(None, max_length=2000, description="Why: kept in the ticket's history.")
