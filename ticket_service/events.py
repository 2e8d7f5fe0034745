"""Every event the ticket service publishes or consumes, declared in one place."""

from shared.events import EventConsumer, Outbox

SOURCE = "/doorstep/ticket"

TICKET_CREATED = "ticket.created"
TICKET_ASSIGNED = "ticket.assigned"
TICKET_ACCEPTED = "ticket.accepted"
TICKET_ESCALATED = "ticket.escalated"
TICKET_RESOLVED = "ticket.resolved"
TICKET_CLOSED = "ticket.closed"
TICKET_SLA_BREACHED = "ticket.sla_breached"
TICKET_SLA_WARNING = "ticket.sla_warning"
ONSITE_OFFICE_REQUESTED = "onsite_office.requested"

PUBLISHED = {
    TICKET_CREATED: "A resident's request became a ticket with an owner.",
    TICKET_ASSIGNED: "A ticket got a new owner; carries the responsibility level and why.",
    TICKET_ACCEPTED: "The owner (or a colleague taking it over) accepted the ticket; the resident may be told.",
    TICKET_ESCALATED: "A ticket moved up a responsibility level (SLA breach or by hand).",
    TICKET_RESOLVED: "The owner resolved the ticket; the resident may still reopen it.",
    TICKET_CLOSED: "A ticket was closed; names the staff member who completed the work (for evaluation).",
    TICKET_SLA_BREACHED: "An acceptance or resolution clock ran out of working minutes.",
    TICKET_SLA_WARNING: "An acceptance or resolution clock used 50% or 80% of its working minutes (once each).",
    ONSITE_OFFICE_REQUESTED: "A backstop ticket asks the subdistrict for an on-site office.",
}
CONSUMED = {
    "station.created": "Keeps the local copy of stations (with opening hours) current.",
    "station.updated": "Keeps the local copy of stations (with opening hours) current.",
    "staff.created": "Keeps the local copy of staff current.",
    "staff.updated": "Keeps the local copy of staff current.",
    "staff.removed": "Marks a local staff copy inactive.",
    "department.created": "Keeps the local copy of departments current.",
    "department.updated": "Keeps the local copy of departments current.",
    "onsite_office.resolved": "Records the on-site office's outcome on its ticket.",
}

outbox = Outbox(SOURCE)
consumer = EventConsumer("ticket")
