"""The states of a resource request and of a demand, and the moves between them. Pure: no I/O.

Resource request: requested → accepted → scheduled → delivered; the provider may decline a request
that is requested or accepted; the requesting station may cancel it until it is delivered. A request
holds its units of capacity from the moment it is made until it is declined or cancelled.

Demand: open → matched (a request was made for it) → fulfilled (that request was delivered); back to
open when every request for it was declined or cancelled; open or matched → closed by the station.
"""

from __future__ import annotations

from enum import StrEnum


class RequestStatus(StrEnum):
    requested = "requested"
    accepted = "accepted"
    declined = "declined"
    scheduled = "scheduled"
    delivered = "delivered"
    cancelled = "cancelled"


class RequestAction(StrEnum):
    accept = "accept"
    decline = "decline"
    schedule = "schedule"
    deliver = "deliver"
    cancel = "cancel"


class DemandStatus(StrEnum):
    open = "open"
    matched = "matched"
    fulfilled = "fulfilled"
    closed = "closed"


HOLDING_CAPACITY = frozenset(
    {RequestStatus.requested, RequestStatus.accepted, RequestStatus.scheduled, RequestStatus.delivered}
)
PROVIDER_ACTIONS = frozenset(
    {RequestAction.accept, RequestAction.decline, RequestAction.schedule, RequestAction.deliver}
)

_REQUEST_MOVES: dict[tuple[RequestStatus, RequestAction], RequestStatus] = {
    (RequestStatus.requested, RequestAction.accept): RequestStatus.accepted,
    (RequestStatus.requested, RequestAction.decline): RequestStatus.declined,
    (RequestStatus.accepted, RequestAction.decline): RequestStatus.declined,
    (RequestStatus.accepted, RequestAction.schedule): RequestStatus.scheduled,
    (RequestStatus.scheduled, RequestAction.schedule): RequestStatus.scheduled,  # rescheduled
    (RequestStatus.scheduled, RequestAction.deliver): RequestStatus.delivered,
    (RequestStatus.requested, RequestAction.cancel): RequestStatus.cancelled,
    (RequestStatus.accepted, RequestAction.cancel): RequestStatus.cancelled,
    (RequestStatus.scheduled, RequestAction.cancel): RequestStatus.cancelled,
}


class IllegalMove(ValueError):
    def __init__(self, status: str, action: str, code: str) -> None:
        self.status = status
        self.action = action
        self.code = code
        super().__init__(f"cannot {action} when {status}")


def next_request_status(status: str, action: str) -> RequestStatus:
    move = _REQUEST_MOVES.get((RequestStatus(status), RequestAction(action)))
    if move is None:
        raise IllegalMove(status, action, f"cannot_{action}_{status}")
    return move


def allowed_actions(status: str) -> list[str]:
    return [action.value for (current, action) in _REQUEST_MOVES if current == status]


def releases_capacity(status: str) -> bool:
    return RequestStatus(status) not in HOLDING_CAPACITY


# -- demands ------------------------------------------------------------------------------------------


def demand_after_request_made(status: str) -> DemandStatus:
    if status in (DemandStatus.open, DemandStatus.matched):
        return DemandStatus.matched
    raise IllegalMove(status, "request", "demand_not_open")


def demand_after_delivery(status: str) -> DemandStatus:
    if status in (DemandStatus.open, DemandStatus.matched):
        return DemandStatus.fulfilled
    return DemandStatus(status)  # closed meanwhile: the delivery does not reopen it


def demand_after_release(status: str, other_requests_holding: bool) -> DemandStatus:
    if status == DemandStatus.matched and not other_requests_holding:
        return DemandStatus.open
    return DemandStatus(status)


def demand_after_close(status: str) -> DemandStatus:
    if status in (DemandStatus.open, DemandStatus.matched):
        return DemandStatus.closed
    raise IllegalMove(status, "close", f"demand_already_{status}")
