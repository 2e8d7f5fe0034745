"""Warnings before an SLA breach: which threshold of a clock's budget to warn about now. Pure rules, no I/O.

A clock warns at 50% and at 80% of its budget (working minutes, the breach's calendar), each once per
ticket and clock. Decisions:

* A clock first seen past both thresholds (the checker was down, or the budget is short) warns once,
  at the highest threshold crossed: a 50% warning sent after the 80% one would only mislead. The
  skipped lower threshold is settled with it, so it never fires later.
* A breached clock warns no more: the breach (`ticket.sla_breached`) says it all.
* Only a running clock warns (a paused or stopped clock uses no minutes); reopening continues the
  resolution clock where it stopped, so a threshold warned before stays warned.
* A threshold is crossed when its share of the budget is used (at exactly 50% the 50% warning is due),
  while a breach needs more than the whole budget.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "WARNING_THRESHOLDS",
    "WarningDecision",
    "decide_warning",
    "next_threshold",
    "settled_key",
    "settled_thresholds",
    "threshold_minutes",
]

WARNING_THRESHOLDS: Final = (50, 80)
# Working minutes summed over calendar periods carry float error: 14.9999999 minutes is 15.
_TOLERANCE: Final = 1e-6


@dataclass(frozen=True, slots=True)
class WarningDecision:
    """What to do for one clock now: publish `threshold_percent` (None: nothing) and record `settled`."""

    threshold_percent: int | None
    settled: frozenset[int]


def threshold_minutes(budget_minutes: float, percent: int) -> float:
    return budget_minutes * percent / 100


def _crossed(elapsed_minutes: float, budget_minutes: float) -> list[int]:
    return [
        percent
        for percent in WARNING_THRESHOLDS
        if elapsed_minutes + _TOLERANCE >= threshold_minutes(budget_minutes, percent)
    ]


def _check(elapsed_minutes: float, budget_minutes: float) -> None:
    if not math.isfinite(budget_minutes) or budget_minutes <= 0:
        raise ValueError("budget_minutes must be positive")
    if not math.isfinite(elapsed_minutes) or elapsed_minutes < 0:
        raise ValueError("elapsed_minutes must be zero or more")


def decide_warning(
    elapsed_minutes: float,
    budget_minutes: float,
    settled: Collection[int],
    *,
    running: bool,
    breached: bool,
) -> WarningDecision:
    """The warning due for a clock at `elapsed_minutes` of `budget_minutes`, given what is `settled` already."""
    _check(elapsed_minutes, budget_minutes)
    done = frozenset(settled)
    if breached or elapsed_minutes > budget_minutes or not running:
        return WarningDecision(None, done)
    newly = [percent for percent in _crossed(elapsed_minutes, budget_minutes) if percent not in done]
    if not newly or max(newly) < max(done, default=0):
        # Nothing new, or only a threshold below one already warned (never warn backwards).
        return WarningDecision(None, done | frozenset(newly))
    highest = max(newly)
    return WarningDecision(highest, done | frozenset(p for p in WARNING_THRESHOLDS if p <= highest))


def next_threshold(settled: Collection[int]) -> int | None:
    """The lowest threshold still to warn about: when the checker must look at the clock next (at once
    when the clock has already crossed it, e.g. after a pause or with a short budget)."""
    done = frozenset(settled)
    ahead = [percent for percent in WARNING_THRESHOLDS if percent not in done and percent > max(done, default=0)]
    return min(ahead) if ahead else None


def settled_key(clock: str, percent: int) -> str:
    """How a settled threshold is stored on the ticket: `acceptance:50`."""
    return f"{clock}:{percent}"


def settled_thresholds(stored: Iterable[str], clock: str) -> frozenset[int]:
    """The settled thresholds of `clock` among the stored keys (unknown entries are ignored)."""
    found = set()
    for key in stored:
        name, _, percent = key.partition(":")
        if name == clock and percent.isdigit():
            found.add(int(percent))
    return frozenset(found)
