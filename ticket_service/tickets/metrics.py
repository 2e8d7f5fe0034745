"""The ticket service's business series: open work per subdistrict (read at scrape time) and what was
raised, closed and breached (counted when the transaction commits).

The label is the subdistrict's id (36 of them: bounded), never a station, a person or anything typed.
The gauges read the whole database, so every replica reports the same figures: aggregate them with
`max`, not `sum`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from shared.database import Database
from shared.metrics import count_after_commit
from ticket_service.tickets import repository
from ticket_service.tickets.lifecycle import OPEN_STATES

TICKETS_OPEN = Gauge("doorstep_tickets_open", "Open tickets, by subdistrict and state.", ["subdistrict", "status"])
TICKETS_OVERDUE = Gauge(
    "doorstep_tickets_overdue", "Open tickets past their due time or breached (as overdue=true).", ["subdistrict"]
)
TICKETS_BREACHED = Gauge(
    "doorstep_tickets_breached", "Open tickets whose SLA breach was reported (escalated).", ["subdistrict"]
)
TICKETS_RAISED = Counter("doorstep_tickets_raised_total", "Tickets raised (committed).", ["subdistrict"])
TICKETS_CLOSED = Counter(
    "doorstep_tickets_closed_total", "Tickets closed (committed), duplicates linked included.", ["subdistrict"]
)
SLA_BREACHES = Counter(
    "doorstep_sla_breaches_total",
    "SLA breaches the checker escalated (committed), one per escalation.",
    ["subdistrict"],
)

# A ticket whose station copy named no subdistrict (never seen in practice; bounded all the same).
NO_SUBDISTRICT = "none"
_OPEN_STATUSES = sorted(state.value for state in OPEN_STATES)


def subdistrict_label(subdistrict_id: uuid.UUID | None) -> str:
    return str(subdistrict_id) if subdistrict_id is not None else NO_SUBDISTRICT


def count_raised(session: AsyncSession, subdistrict_id: uuid.UUID | None) -> None:
    count_after_commit(session, TICKETS_RAISED.labels(subdistrict_label(subdistrict_id)))


def count_closed(session: AsyncSession, subdistrict_id: uuid.UUID | None) -> None:
    count_after_commit(session, TICKETS_CLOSED.labels(subdistrict_label(subdistrict_id)))


def count_sla_breach(session: AsyncSession, subdistrict_id: uuid.UUID | None) -> None:
    count_after_commit(session, SLA_BREACHES.labels(subdistrict_label(subdistrict_id)))


class OpenTicketGauges:
    """Sets the gauges from one grouped query at each scrape. A subdistrict seen once keeps its series at 0
    when its last open ticket goes, so a dashboard shows a drop to zero rather than a gap."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock
        self._seen: set[str] = set()

    async def refresh(self) -> None:
        async with self.database.transaction() as session:
            figures = await repository.open_figures(session, self.clock())
        open_by_status: dict[tuple[str, str], int] = {}
        overdue: dict[str, int] = {}
        breached: dict[str, int] = {}
        for row in figures:
            label = subdistrict_label(row.subdistrict_id)
            open_by_status[(label, row.status)] = open_by_status.get((label, row.status), 0) + row.open
            overdue[label] = overdue.get(label, 0) + row.overdue
            breached[label] = breached.get(label, 0) + row.breached
            self._seen.add(label)
        for label in self._seen:
            for status in _OPEN_STATUSES:
                TICKETS_OPEN.labels(label, status).set(open_by_status.get((label, status), 0))
            TICKETS_OVERDUE.labels(label).set(overdue.get(label, 0))
            TICKETS_BREACHED.labels(label).set(breached.get(label, 0))
            # A counter child appears at its first increment, which `increase()` cannot see (no earlier
            # sample): the subdistricts with open work get their counters at 0 before anything happens.
            for counter in (TICKETS_RAISED, TICKETS_CLOSED, SLA_BREACHES):
                counter.labels(label)
