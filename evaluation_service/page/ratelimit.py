"""The limits on the resident's page (/e/{token}) and the token API: per client address and per
invitation token, counted by the kernel's rate limits (shared/ratelimit.py), so in Redis across the
service's replicas outside the embedded mode. The client address is the one the kernel middleware
established: X-Forwarded-For is believed only from the gateway (`EVALUATION_TRUSTED_PROXIES`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from evaluation_service.settings import EvaluationSettings
from shared.ratelimit import Limit, RateLimits
from shared.settings import Mode


@dataclass
class RatingGuard:
    store: RateLimits
    per_address: Limit
    per_token: Limit

    @classmethod
    def from_settings(cls, settings: EvaluationSettings) -> RatingGuard:
        redis_url = None if settings.mode is Mode.embedded else settings.rate_limit_redis_url
        address_window = math.ceil(settings.rate_limit_address_window_seconds)
        token_window = math.ceil(settings.rate_limit_token_window_seconds)
        return cls(
            RateLimits(redis_url, f"{settings.event_namespace}:evaluation"),
            Limit("page-address", settings.rate_limit_per_address, address_window),
            Limit("page-token", settings.rate_limit_per_token, token_window),
        )

    async def check(self, address: str, token_key: str | None) -> int | None:
        """None if the request may go on, else whole seconds for Retry-After. The address first: a
        guesser trying many tokens from one address is stopped whatever the tokens."""
        decision = await self.store.hit(self.per_address, address)
        if decision.allowed and token_key is not None:
            decision = await self.store.hit(self.per_token, token_key)
        return None if decision.allowed else max(1, decision.reset_seconds)
