"""When a ticket may change hands this way. Pure: no I/O, no clock.

* **transfer** — an open ticket (not resolved, closed or cancelled) moves to another station;
* **return** — only a ticket whose last move was a transfer goes back, once, to where it came from;
* **duplicate** — an open ticket that is not itself a duplicate and has no duplicates of its own is
  linked to a parent that is neither itself nor a duplicate (point at the root) nor cancelled. So every
  link goes one step from a duplicate to a root: no chain, no cycle;
* **backstop request** — the owner of an open ticket below the backstop asks once; the request is
  settled when the ticket leaves the asker or reaches the backstop.

Each refusal is a ``Refusal`` with a reason code (shared/reasons.py); the service answers 409, or 422 for
a value that can never be right (the same station, the ticket itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ticket_service.tickets.lifecycle import ResponsibilityLevel, TicketState

__all__ = [
    "DuplicateNode",
    "Refusal",
    "backstop_request_settled",
    "check_backstop_request",
    "check_duplicate_link",
    "check_return",
    "check_transfer",
]

# A ticket changes hands only while work on it is still to be done.
FINISHED_STATES: Final = frozenset({TicketState.RESOLVED, TicketState.CLOSED, TicketState.CANCELLED})


class Refusal(ValueError):
    """Why the handover is refused: ``code`` for the problem, ``field`` when a value is at fault."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def _require_open(status: str) -> None:
    if TicketState(status) in FINISHED_STATES:
        raise Refusal(f"ticket_{status}", f"The ticket is {status}.")


# --- transfer and return ---------------------------------------------------------------------------


def check_transfer(*, status: str, station_id: str, to_station_id: str) -> None:
    if to_station_id == station_id:
        raise Refusal("same_station", "The ticket is at this station already.", field="station_id")
    _require_open(status)


def check_return(*, status: str, transferred_from_station_id: str | None) -> str:
    """The station the ticket goes back to."""
    if transferred_from_station_id is None:
        raise Refusal("ticket_not_transferred", "Only a ticket transferred here goes back where it came from.")
    _require_open(status)
    return transferred_from_station_id


# --- duplicates ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DuplicateNode:
    """What the duplicate rule needs to know of one ticket."""

    id: str
    status: str
    duplicate_of_id: str | None = None
    has_duplicates: bool = False


def check_duplicate_link(child: DuplicateNode, parent: DuplicateNode) -> None:
    """Refuses a link that would make a chain, a cycle or a link to nothing useful."""
    if child.id == parent.id:
        raise Refusal("duplicate_of_itself", "A ticket cannot duplicate itself.", field="parent_id")
    if child.duplicate_of_id is not None:
        raise Refusal("already_a_duplicate", "The ticket is already a duplicate.")
    _require_open(child.status)
    if child.has_duplicates:
        raise Refusal("ticket_has_duplicates", "Other tickets duplicate this one: it stays their parent.")
    if parent.duplicate_of_id is not None:
        raise Refusal("parent_is_duplicate", "The parent is itself a duplicate: link to the ticket it points at.")
    if parent.status == TicketState.CANCELLED.value:
        raise Refusal("parent_cancelled", "The parent was cancelled: nothing will resolve it.")


# --- asking for the backstop -----------------------------------------------------------------------


def check_backstop_request(*, status: str, level: str, pending: bool) -> None:
    _require_open(status)
    if level == ResponsibilityLevel.BACKSTOP.value:
        raise Refusal("ticket_at_backstop", "The ticket is under the backstop already.")
    if pending:
        raise Refusal("backstop_already_requested", "The backstop is asked for already: the secretary is told.")


def backstop_request_settled(*, requested_by: str | None, owner_id: str | None, level: str) -> bool:
    """A pending request is settled once the ticket leaves the asker or reaches the backstop."""
    return requested_by != owner_id or level == ResponsibilityLevel.BACKSTOP.value
