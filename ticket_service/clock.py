"""The service's clock: one place that reads the time, so tests can set it.

Endpoints take ``now`` through ``Now``; the SLA checker reads ``app.state.clock``. Tests replace
``app.state.clock`` with a function returning the moment they want.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from shared.ids import utcnow

Clock = Callable[[], datetime]


async def current_time(request: Request) -> datetime:
    clock: Clock = getattr(request.app.state, "clock", utcnow)
    return clock().astimezone(UTC)


Now = Annotated[datetime, Depends(current_time)]
