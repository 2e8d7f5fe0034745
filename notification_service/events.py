"""Every event the notification service publishes or consumes, declared in one place.

The service consumes every event (`#`): any of them may match a district system's webhook. One consumer
means one inbox row per event; inside it, each domain registers what it does with which event types
(`on`), and the dispatcher runs them all in the one transaction, so an event is handled once by all of
them or, on failure, redelivered to all of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import event_schemas as schemas
from shared.asyncapi import EventContract
from shared.events import EventEnvelope
from shared.events.bus import matches
from shared.events.contract import CheckedConsumer, CheckedOutbox, EventPayload, EventReader

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

# The payload of the event this service emits (notification_service/event_schemas.py).
PAYLOADS: dict[str, type[EventPayload]] = {WEBHOOK_DISABLED: schemas.WebhookDisabled}
# What the domains read of each consumed event (the union of what SMS, feed and push use): payloads are
# parsed through these first; any other type is read as `#` (forwarded whole to webhooks).
READERS: dict[str, type[EventReader]] = {
    "#": schemas.AnyEvent,
    "ticket.accepted": schemas.TicketAcceptedRead,
    "ticket.resolved": schemas.TicketNoticeRead,
    "ticket.duplicate_linked": schemas.TicketNoticeRead,
    "ticket.parent_resolved": schemas.TicketNoticeRead,
    "evaluation.invitation_created": schemas.InvitationRead,
    "evaluation.invitation_renewed": schemas.InvitationRead,
    "evaluation.rating_code_issued": schemas.RatingCodeRead,
    "station.created": schemas.StationRead,
    "station.updated": schemas.StationRead,
    "staff.created": schemas.StaffRead,
    "staff.updated": schemas.StaffRead,
    "staff.removed": schemas.StaffRead,
    "ticket.assigned": schemas.TicketAssignedRead,
    "ticket.escalated": schemas.TicketEscalatedRead,
    "ticket.sla_warning": schemas.TicketSlaWarningRead,
    "ticket.sla_breached": schemas.TicketSlaBreachedRead,
    "ticket.transferred": schemas.TicketTransferredRead,
    "ticket.returned": schemas.TicketReturnedRead,
    "ticket.backstop_requested": schemas.TicketBackstopRequestedRead,
    "resource_request.created": schemas.ResourceRequestCreatedRead,
    "meeting.scheduled": schemas.MeetingScheduledRead,
    "webhook.disabled": schemas.WebhookDisabledRead,
}

outbox = CheckedOutbox(SOURCE, PAYLOADS)
consumer = CheckedConsumer("notification", READERS)

CONTRACT = EventContract(
    service="notification",
    title="Notification service",
    source=SOURCE,
    produces=PAYLOADS,
    consumes=READERS,
    descriptions=PUBLISHED,
    consumer_descriptions=CONSUMED,
)

DomainHandler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]
# A domain's handler of a whole run of events of its types, in publication order (see `on_many`).
ManyDomainHandler = Callable[[AsyncSession, list[EventEnvelope]], Awaitable[None]]
_domain_handlers: list[tuple[tuple[str, ...], DomainHandler]] = []
# The many-events handler behind a registered one (which takes an event as a list of one).
_many_behind: dict[DomainHandler, ManyDomainHandler] = {}

# Types that arrive in thousands when the catalogue seeds a district: the consumer takes them in runs.
BULK_TYPES = ("staff.created", "staff.updated", "staff.removed", "station.created", "station.updated")


def on(*patterns: str) -> Callable[[DomainHandler], DomainHandler]:
    """Registers a domain's handler for event types (AMQP topic patterns); several domains may take one type."""

    def register(handler: DomainHandler) -> DomainHandler:
        _domain_handlers.append((patterns, handler))
        return handler

    return register


def on_many(*patterns: str) -> Callable[[ManyDomainHandler], ManyDomainHandler]:
    """Registers a domain's handler of many events at once (of the `BULK_TYPES`, a run of them; of any
    other type, a list of one)."""

    def register(handler: ManyDomainHandler) -> ManyDomainHandler:
        async def one(session: AsyncSession, event: EventEnvelope) -> None:
            await handler(session, [event])

        one.__name__ = getattr(handler, "__name__", "handler")
        _domain_handlers.append((patterns, one))
        _many_behind[one] = handler
        return handler

    return register


@cache
def _wants(patterns: tuple[str, ...], event_type: str) -> bool:
    return any(matches(pattern, event_type) for pattern in patterns)


async def _run(session: AsyncSession, events: list[EventEnvelope]) -> None:
    """Every domain takes the events of its types: a many-events handler the run at once, any other one
    event after another. Domains keep apart tables, so each one seeing the run in order is as one by one."""
    for patterns, handler in _domain_handlers:
        wanted = [event for event in events if _wants(patterns, event.type)]
        if not wanted:
            continue
        many = _many_behind.get(handler)
        if many is not None:
            await many(session, wanted)
            continue
        for event in wanted:
            await handler(session, event)


@consumer.on("#")
async def dispatch(session: AsyncSession, event: EventEnvelope) -> None:
    await _run(session, [event])


@consumer.on_many(*BULK_TYPES)
async def dispatch_many(session: AsyncSession, events: list[EventEnvelope]) -> None:
    await _run(session, events)
