"""Rate limits for every process, one implementation: the gateway's per-caller and per-address limits and
the evaluation service's limits on the resident's page.

Counters live in Redis outside the embedded mode, so all replicas of a process share one budget, and in
memory in the embedded mode (one process anyway). The algorithm is the `limits` library's sliding-window
counter: the count of the current fixed window plus the previous window's count weighted by how much of
it still overlaps the last `window` seconds. Unlike a plain fixed window it allows no double burst at a
window boundary, and unlike a moving-window log it keeps two integers per key, not one entry per request.

Answers carry the IETF draft's `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` headers;
refusals add `Retry-After`. When Redis cannot be reached the request is let through (logged, at most once
a minute): the limits protect against abuse, an outage of their store must not take the API down.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

logger = logging.getLogger("shared.ratelimit")

STORE_ERROR_LOG_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until at least one more request is allowed again

    def headers(self) -> list[tuple[str, str]]:
        """The draft's headers (and Retry-After on a refusal), as (name, value) pairs."""
        headers = [
            ("RateLimit-Limit", str(self.limit)),
            ("RateLimit-Remaining", str(self.remaining)),
            ("RateLimit-Reset", str(self.reset_seconds)),
        ]
        if not self.allowed:
            headers.append(("Retry-After", str(max(1, self.reset_seconds))))
        return headers

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return [(name.lower().encode(), value.encode()) for name, value in self.headers()]


def tightest(decisions: list[Decision]) -> Decision | None:
    """The decision to report when several limits apply: a refusal first, else the fewest remaining."""
    if not decisions:
        return None
    return min(decisions, key=lambda decision: (decision.allowed, decision.remaining))


@dataclass(frozen=True)
class Limit:
    """`amount` requests in any `window_seconds`, under the name `name` (part of the storage key)."""

    name: str
    amount: int
    window_seconds: int

    @property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.amount, self.window_seconds, namespace=self.name)


class RateLimits:
    """The counters of one process: in Redis when `redis_url` is given, else in memory."""

    def __init__(self, redis_url: str | None, key_prefix: str) -> None:
        self.redis_url = redis_url
        self.key_prefix = key_prefix
        self._storage: Storage | None = None
        self._strategy: SlidingWindowCounterRateLimiter | None = None
        self._last_store_error = -math.inf

    @property
    def strategy(self) -> SlidingWindowCounterRateLimiter:
        # Made on first use: the memory store and the Redis client belong to the running event loop.
        if self._strategy is None:
            if self.redis_url:
                url = self.redis_url if self.redis_url.startswith("async+") else "async+" + self.redis_url
                # redis-py's asyncio client (coredis, the library's default, pins an old `packaging`).
                storage = storage_from_string(url, implementation="redispy", key_prefix=self.key_prefix)
                assert isinstance(storage, Storage)  # an `async+` URL gives an asyncio storage
                self._storage = storage
            else:
                self._storage = MemoryStorage()
            self._strategy = SlidingWindowCounterRateLimiter(self._storage)
        return self._strategy

    async def hit(self, limit: Limit, key: str) -> Decision:
        """Counts one request for `key` against `limit`."""
        try:
            allowed = await self.strategy.hit(limit.item, key)
            stats = await self.strategy.get_window_stats(limit.item, key)
        except Exception as error:  # the store is unreachable: let the request through, say so
            now = time.monotonic()
            if now - self._last_store_error > STORE_ERROR_LOG_INTERVAL_SECONDS:
                self._last_store_error = now
                logger.warning("rate-limit store unavailable; not limiting", extra={"error": repr(error)})
            return Decision(True, limit.amount, limit.amount, 0)
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        if not allowed:
            reset = max(1, reset)
        return Decision(allowed, limit.amount, stats.remaining, reset)

    async def close(self) -> None:
        storage, self._storage, self._strategy = self._storage, None, None
        bridge = getattr(storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()
