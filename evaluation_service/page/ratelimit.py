"""Rate limits for the resident's page and the token API: one token bucket per key, in process.

Each key (an invitation token's hash, a client address) gets ``capacity`` requests, refilled evenly over
``window_seconds``. Kept in memory of the one process: with N replicas a client may get up to N times
the limit, which is acceptable for this purpose (slowing down guessing and form spamming; the tokens
have 256 bits, so guessing is hopeless anyway). A shared store (Redis) would make it exact if ever needed.
Memory is bounded: past ``max_keys`` the least recently seen key is forgotten (it starts full again).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


class RateLimiter:
    def __init__(
        self,
        capacity: int,
        window_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if capacity < 1 or window_seconds <= 0 or max_keys < 1:
            raise ValueError("capacity and max_keys must be >= 1 and the window positive")
        self.capacity = capacity
        self.rate = capacity / window_seconds  # tokens per second
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def hit(self, key: str) -> float | None:
        """Takes one request for ``key``: None if allowed, else the seconds to wait before retrying."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (float(self.capacity), now))
        tokens = min(float(self.capacity), tokens + max(0.0, now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return None if allowed else (1.0 - tokens) / self.rate

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass
class RatingGuard:
    """The two limits on every request that carries an invitation token."""

    per_address: RateLimiter
    per_token: RateLimiter

    def check(self, address: str, token_key: str | None) -> int | None:
        """None if the request may go on, else whole seconds for Retry-After."""
        wait = self.per_address.hit(f"address:{address}")
        if wait is None and token_key is not None:
            wait = self.per_token.hit(f"token:{token_key}")
        return None if wait is None else max(1, math.ceil(wait))


def client_address(headers: dict[str, str] | object, peer: str | None) -> str:
    """The gateway drops any X-Forwarded-For a client sends and sets the real peer, so the last entry is
    the client as the gateway saw it. Services are not reachable from outside except through it."""
    forwarded = headers.get("x-forwarded-for") if hasattr(headers, "get") else None  # type: ignore[union-attr]
    if forwarded:
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:100]
    return peer or "unknown"
