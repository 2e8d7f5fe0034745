"""When a failed delivery is tried again, and when it is given up: pure, no I/O.

Exponential backoff with full jitter (a random wait between zero and base·2^(n-1), capped), so that
receivers coming back after an outage are not hit by every sender at the same instant. A delivery keeps
being tried until `retry_hours` after its first try; the try after that is its last.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

MAX_EXPONENT = 30  # 2**30 · base is far beyond any cap: no float overflow for a long-failing delivery


def backoff_seconds(attempts: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """The wait after the `attempts`-th failed try (attempts ≥ 1)."""
    ceiling = min(cap, base * 2 ** min(max(attempts - 1, 0), MAX_EXPONENT))
    return (rng or random).uniform(0, ceiling)


def next_attempt(
    first_tried_at: datetime,
    now: datetime,
    attempts: int,
    *,
    base: float,
    cap: float,
    retry_hours: float,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to try again after a failure at `now`; None when the delivery has been tried long enough."""
    if now - first_tried_at >= timedelta(hours=retry_hours):
        return None
    return now + timedelta(seconds=backoff_seconds(attempts, base=base, cap=cap, rng=rng))


def should_disable(failing_since: datetime | None, now: datetime, *, disable_after_days: float) -> bool:
    """A subscription whose every delivery has failed since `failing_since` for this long is disabled."""
    return failing_since is not None and now - failing_since >= timedelta(days=disable_after_days)
