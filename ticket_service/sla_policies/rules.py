"""Which SLA policy applies to a ticket, and which deadline governs it. Pure rules, no I/O.

* Policies are kept per service category and priority (`sla_policy` rows). Where no row exists (a category
  added later, a row not seeded yet) the settings' global budgets apply, scaled by the priority's factors
  (`DEFAULT_FACTORS`): the settings stay the fallback, and `normal` is exactly the settings.
* A referring system (the 12345 hotline) may send its own deadline. The resolution clock is due at the
  tighter of that external moment and our working-minute due time; a tie is ours (`service_level`): the
  external deadline only "wins" when it is strictly earlier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

__all__ = [
    "DEFAULT_FACTORS",
    "MAX_BUDGET_MINUTES",
    "Budgets",
    "DueAtSource",
    "PolicySource",
    "Priority",
    "applicable_budgets",
    "default_budgets",
    "tighter_deadline",
]


class Priority(StrEnum):
    urgent = "urgent"
    high = "high"
    normal = "normal"
    low = "low"


class DueAtSource(StrEnum):
    """Which deadline a clock's due time is: the referring system's, or our working-minute budget."""

    external = "external"
    service_level = "service_level"


class PolicySource(StrEnum):
    configured = "configured"  # a district admin set the row
    default = "default"  # the settings' budgets scaled by the priority's factors


# (acceptance, resolution) factors of the settings' budgets: urgent matters are taken up in half the time
# and resolved in a quarter of it; low ones may take twice as long.
DEFAULT_FACTORS: Final[Mapping[Priority, tuple[float, float]]] = {
    Priority.urgent: (0.5, 0.25),
    Priority.high: (1.0, 0.5),
    Priority.normal: (1.0, 1.0),
    Priority.low: (2.0, 2.0),
}
# A budget over 90 days of round-the-clock minutes is a typo, not a policy.
MAX_BUDGET_MINUTES: Final = 90 * 24 * 60


@dataclass(frozen=True, slots=True)
class Budgets:
    """Working minutes to accept and to resolve, and where they come from."""

    accept_minutes: float
    resolve_minutes: float
    source: PolicySource = PolicySource.configured

    def __post_init__(self) -> None:
        for name in ("accept_minutes", "resolve_minutes"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be positive")


def default_budgets(fallback: Budgets, priority: Priority) -> Budgets:
    """The settings' budgets scaled for `priority` (whole minutes, at least one)."""
    accept_factor, resolve_factor = DEFAULT_FACTORS[Priority(priority)]
    return Budgets(
        accept_minutes=max(1.0, round(fallback.accept_minutes * accept_factor)),
        resolve_minutes=max(1.0, round(fallback.resolve_minutes * resolve_factor)),
        source=PolicySource.default,
    )


def applicable_budgets(
    configured: Mapping[tuple[str, str], Budgets], service_category: str, priority: Priority, fallback: Budgets
) -> Budgets:
    """The row for (category, priority) if one exists, else the settings' budgets for the priority."""
    found = configured.get((service_category, Priority(priority).value))
    return found if found is not None else default_budgets(fallback, priority)


def tighter_deadline(
    service_level_due: datetime | None, external_due: datetime | None
) -> tuple[datetime | None, DueAtSource]:
    """The earlier of our due time and the external one; which won. None on one side: the other governs."""
    if external_due is None:
        return service_level_due, DueAtSource.service_level
    if service_level_due is None or external_due < service_level_due:
        return external_due, DueAtSource.external
    return service_level_due, DueAtSource.service_level
