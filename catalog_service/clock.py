"""The service's clock as a dependency, so tests can fix "now" (`app.state.clock = lambda: instant`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from shared.ids import utcnow


async def current_time(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utcnow()


Now = Annotated[datetime, Depends(current_time)]
