"""`make bench`'s table: its rows, each row's target and whether it was met. Pure: no I/O."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figures:
    """One row's measurement: requests (or events) a second, latency percentiles, errors."""

    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int = 0
    # A throughput row compares with the ceiling; a latency-only row (events, resync) does not.
    of_ceiling: bool = True


@dataclass(frozen=True)
class Target:
    text: str
    check: Callable[[Figures, float], bool]

    def met(self, figures: Figures, ceiling: float) -> bool:
        return figures.errors == 0 and figures.rps > 0 and self.check(figures, ceiling)


@dataclass(frozen=True)
class Row:
    what: str
    figures: Figures | None  # None: not run (its reason in `note`)
    target: Target | None = None
    note: str = ""
    raw: list[str] = field(default_factory=list)  # files under the run's directory
    # Where the CPU went during the row: milliseconds of CPU per answered request, by process group
    # ("gateway", "ticket", "PostgreSQL", ...), and "idle" as the share of the machine's cores left unused.
    cpu: dict[str, float] = field(default_factory=dict)


def share_of_ceiling(least: float) -> Target:
    return Target(f"≥ {least:.0%} of ceiling", lambda figures, ceiling: figures.rps >= least * ceiling)


def percentile_below(name: str, most_ms: float) -> Target:
    return Target(f"{name} < {most_ms:g} ms", lambda figures, _: getattr(figures, f"{name}_ms") < most_ms)


def both(first: Target, second: Target) -> Target:
    return Target(
        f"{first.text}, {second.text}",
        lambda figures, ceiling: first.check(figures, ceiling) and second.check(figures, ceiling),
    )


def rate_kept(rate: float, p99_ms: float, tolerance: float = 0.98) -> Target:
    """An open-loop event row: the closings answered at (nearly) the rate sent, and the p99 latency."""
    return Target(
        f"all {rate:g}/s kept (≥ {tolerance * rate:g}/s), p99 < {p99_ms:g} ms",
        lambda figures, _: figures.rps >= tolerance * rate and figures.p99_ms < p99_ms,
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def latency_figures(samples_ms: list[float], rps: float, errors: int) -> Figures:
    if not samples_ms:
        return Figures(rps=rps, p50_ms=float("nan"), p95_ms=float("nan"), p99_ms=float("nan"), errors=errors)
    return Figures(
        rps=rps,
        p50_ms=statistics.median(samples_ms),
        p95_ms=percentile(samples_ms, 0.95),
        p99_ms=percentile(samples_ms, 0.99),
        errors=errors,
        of_ceiling=False,
    )


def verdict(row: Row, ceiling: float) -> str:
    if row.figures is None or row.target is None:
        return "—"
    return "met" if row.target.met(row.figures, ceiling) else "**missed**"


def _ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.2f}"


def table(rows: list[Row], ceiling: float) -> str:
    lines = [
        "| what | requests/s | % of ceiling | p50 ms | p95 ms | p99 ms | errors | target | met? |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        target = row.target.text if row.target else "—"
        figures = row.figures
        if figures is None:
            lines.append(f"| {row.what} | {row.note or 'not run'} | | | | | | {target} | — |")
            continue
        share = f"{100 * figures.rps / ceiling:.0f}%" if figures.of_ceiling and ceiling else "—"
        p50, p95, p99 = (_ms(value) for value in (figures.p50_ms, figures.p95_ms, figures.p99_ms))
        lines.append(
            f"| {row.what} | {figures.rps:,.0f} | {share} | {p50} | {p95} | {p99} | {figures.errors} | {target} | "
            f"{verdict(row, ceiling)} |"
        )
    return "\n".join(lines)


# The process groups of the CPU table, in its column order (others, if any, follow).
CPU_GROUPS = (
    "gateway",
    "catalog",
    "ticket",
    "evaluation",
    "notification",
    "deliberation",
    "PostgreSQL",
    "RabbitMQ",
    "wrk",
)


def cpu_per_request(used_seconds: dict[str, float], requests: int) -> dict[str, float]:
    """Seconds of CPU each group used during a row, as milliseconds per answered request."""
    if requests <= 0:
        return {}
    return {group: 1000 * seconds / requests for group, seconds in used_seconds.items() if seconds > 0}


def cpu_table(rows: list[Row]) -> str:
    """ms of CPU per request by process group, for the rows that were sampled, and the machine left idle."""
    sampled = [row for row in rows if row.cpu]
    if not sampled:
        return ""
    seen = {group for row in sampled for group in row.cpu if group != "idle"}
    groups = [group for group in CPU_GROUPS if group in seen] + sorted(seen - set(CPU_GROUPS))
    lines = [
        "| what | " + " | ".join(groups) + " | all | cores idle |",
        "|---|" + "---:|" * (len(groups) + 2),
    ]
    for row in sampled:
        cells = [f"{row.cpu[group]:.2f}" if group in row.cpu else "" for group in groups]
        total = sum(value for group, value in row.cpu.items() if group != "idle")
        idle = row.cpu.get("idle")
        lines.append(
            f"| {row.what} | " + " | ".join(cells) + f" | {total:.2f} | {'' if idle is None else f'{idle:.0%}'} |"
        )
    return "\n".join(lines)
