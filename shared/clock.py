"""Each service's clock as a dependency: one place that reads the time, so tests can set it.

Endpoints take ``now`` through ``Now``; background work (checkers, sweeps, handlers) reads
``clock_of(app)`` or the ``Clock`` it was given. Tests set ``app.state.clock`` to a function returning the
moment they want, instead of patching module globals.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from shared.ids import utcnow

Clock = Callable[[], datetime]


def clock_of(app: Any) -> Clock:
    """The app's clock: `app.state.clock` when a test set one, else the wall clock (UTC)."""
    clock: Clock | None = getattr(app.state, "clock", None)
    return clock if clock is not None else utcnow


async def current_time(request: Request) -> datetime:
    return clock_of(request.app)().astimezone(UTC)


Now = Annotated[datetime, Depends(current_time)]
