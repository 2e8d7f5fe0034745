"""Every event the ticket service publishes or consumes, declared in one place."""

from shared.events import EventConsumer, Outbox

SOURCE = "/doorstep/ticket"

TICKET_CREATED = "ticket.created"
TICKET_CLOSED = "ticket.closed"

PUBLISHED = {
    TICKET_CREATED: "A resident's request became a ticket with an owner.",
    TICKET_CLOSED: "A ticket was closed; names the staff member who completed the work (for evaluation).",
}
CONSUMED = {
    "station.created": "Keeps the local copy of stations current.",
    "station.updated": "Keeps the local copy of stations current.",
}

outbox = Outbox(SOURCE)
consumer = EventConsumer("ticket")
