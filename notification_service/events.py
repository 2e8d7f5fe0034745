"""Every event the notification service publishes or consumes, declared in one place.

The service consumes every event (`#`): any of them may match a district system's webhook. One consumer
means one inbox row per event; inside it, each domain registers what it does with which event types
(`on`), and the dispatcher runs them all in the one transaction, so an event is handled once by all of
them or, on failure, redelivered to all of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import EventConsumer, EventEnvelope, Outbox
from shared.events.bus import matches

SOURCE = "/doorstep/notification"

WEBHOOK_DISABLED = "webhook.disabled"

PUBLISHED: dict[str, str] = {
    WEBHOOK_DISABLED: "A webhook subscription was stopped (its receiver answered 410, or every delivery "
    "failed for days): tells its owner why.",
}
CONSUMED: dict[str, str] = {
    "#": "Every event: any may match a district system's webhook subscription (see webhooks/).",
    "ticket.accepted": "Residents' SMS: tells the resident who handles the matter and when the station opens.",
    "ticket.resolved": "Residents' SMS: tells the resident the matter is resolved.",
    "ticket.duplicate_linked": "Residents' SMS: tells the duplicate's resident their matter is handled with another.",
    "ticket.parent_resolved": "Residents' SMS: tells a duplicate's resident the matter it joined is resolved.",
    "evaluation.invitation_created": "Residents' SMS: sends the resident a fresh rating link.",
    "evaluation.invitation_renewed": "Residents' SMS: sends a working rating link after the earlier one was replaced.",
    "evaluation.rating_code_issued": "Residents' SMS: texts the desk rating code to the ticket's contact.",
    "station.created": "Residents' SMS: keeps station names and opening hours for the notices.",
    "station.updated": "Residents' SMS: keeps station names and opening hours for the notices.",
    "staff.created": "Residents' SMS and feed: keep staff names, roles and stations (who handles the matter; "
    "who answers a station's resource requests).",
    "staff.updated": "As staff.created; a member made inactive also loses their push devices.",
    "staff.removed": "Feed and SMS mark the member gone; push forgets their devices and queued pushes.",
    "ticket.assigned": "Feed: tells the new owner (a person) a ticket was designated or assigned to them.",
    "ticket.escalated": "Feed: tells the owner at the higher level the ticket is now theirs.",
    "ticket.sla_warning": "Feed: warns the owner at 50% and 80% of the acceptance or resolution budget.",
    "ticket.sla_breached": "Feed: tells the owner after the breach's escalation that the budget ran out.",
    "ticket.transferred": "Feed: tells the sending station's secretaries (and its owner) the ticket moved away.",
    "ticket.returned": "Feed: tells the secretaries of the station a ticket was returned to.",
    "ticket.backstop_requested": "Feed: asks the station's secretaries to claim the ticket or name an owner.",
    "resource_request.created": "Feed: asks the providing department's members (or station's staff) to answer.",
    "meeting.scheduled": "Feed: tells the organiser the meeting they run is scheduled.",
    "webhook.disabled": "Feed: tells the subscription's owner it was stopped, and why.",
}

outbox = Outbox(SOURCE)
consumer = EventConsumer("notification")

DomainHandler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]
_domain_handlers: list[tuple[tuple[str, ...], DomainHandler]] = []


def on(*patterns: str) -> Callable[[DomainHandler], DomainHandler]:
    """Registers a domain's handler for event types (AMQP topic patterns); several domains may take one type."""

    def register(handler: DomainHandler) -> DomainHandler:
        _domain_handlers.append((patterns, handler))
        return handler

    return register


@consumer.on("#")
async def dispatch(session: AsyncSession, event: EventEnvelope) -> None:
    for patterns, handler in _domain_handlers:
        if any(matches(pattern, event.type) for pattern in patterns):
            await handler(session, event)
