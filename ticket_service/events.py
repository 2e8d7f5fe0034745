"""Every event the ticket service publishes or consumes, declared in one place."""

from shared.asyncapi import EventContract
from shared.events.contract import CheckedConsumer, CheckedOutbox, EventPayload, EventReader
from ticket_service import event_schemas as schemas

SOURCE = "/doorstep/ticket"

TICKET_CREATED = "ticket.created"
TICKET_ASSIGNED = "ticket.assigned"
TICKET_ACCEPTED = "ticket.accepted"
TICKET_ESCALATED = "ticket.escalated"
TICKET_RESOLVED = "ticket.resolved"
TICKET_REPLIED = "ticket.replied"
TICKET_CLOSED = "ticket.closed"
TICKET_SLA_BREACHED = "ticket.sla_breached"
TICKET_SLA_WARNING = "ticket.sla_warning"
TICKET_PRIORITY_CHANGED = "ticket.priority_changed"
ONSITE_OFFICE_REQUESTED = "onsite_office.requested"
# Handovers (ticket_service/handovers).
TICKET_TRANSFERRED = "ticket.transferred"
TICKET_RETURNED = "ticket.returned"
TICKET_DUPLICATE_LINKED = "ticket.duplicate_linked"
TICKET_PARENT_RESOLVED = "ticket.parent_resolved"
TICKET_BACKSTOP_REQUESTED = "ticket.backstop_requested"
TICKET_ATTACHMENT_ADDED = "ticket.attachment_added"

PUBLISHED = {
    TICKET_CREATED: "A resident's request became a ticket with an owner.",
    TICKET_ASSIGNED: "A ticket got a new owner; carries the responsibility level and why.",
    TICKET_ACCEPTED: "The owner (or a colleague taking it over) accepted the ticket; the resident may be told.",
    TICKET_ESCALATED: "A ticket moved up a responsibility level (SLA breach or by hand).",
    TICKET_RESOLVED: "The owner resolved the ticket; the resident may still reopen it.",
    TICKET_REPLIED: "The station wrote the resident a public reply (ids only: the words stay in the ticket).",
    TICKET_CLOSED: "A ticket was closed; names the staff member who completed the work (for evaluation).",
    TICKET_SLA_BREACHED: "An acceptance or resolution clock ran out of working minutes.",
    TICKET_SLA_WARNING: "An acceptance or resolution clock used 50% or 80% of its working minutes (once each).",
    TICKET_PRIORITY_CHANGED: "A ticket's priority changed; its clocks run on to the new priority's budgets.",
    ONSITE_OFFICE_REQUESTED: "A backstop ticket asks the subdistrict for an on-site office.",
    TICKET_ATTACHMENT_ADDED: "A file was attached to a ticket: ids, content type and size, never the file or its name.",
    TICKET_TRANSFERRED: "A ticket moved to another station (its first-inquiry rule chose the owner); carries both "
    "stations. The SLA clocks keep running.",
    TICKET_RETURNED: "A transferred ticket went back to the station it came from; carries both stations.",
    TICKET_DUPLICATE_LINKED: "A ticket was closed as a duplicate of another (`parent_id`); its resident may be told.",
    TICKET_PARENT_RESOLVED: "The ticket a duplicate points at was resolved: one per duplicate, to tell its resident.",
    TICKET_BACKSTOP_REQUESTED: "The owner asked the community's secretary for the backstop (they still own it).",
}
CONSUMED = {
    "station.created": "Keeps the local copy of stations (with opening hours) current.",
    "station.updated": "Keeps the local copy of stations (with opening hours) current.",
    "staff.created": "Keeps the local copy of staff current.",
    "staff.updated": "Keeps the local copy of staff current; deactivated: their open tickets are reassigned.",
    "staff.removed": "Marks a local staff copy inactive and reassigns their open tickets (owner_left).",
    "department.created": "Keeps the local copy of departments current.",
    "department.updated": "Keeps the local copy of departments current.",
    "onsite_office.resolved": "Records the on-site office's outcome on its ticket.",
}

# The payload each event type carries (ticket_service/event_schemas.py): the outbox refuses any other.
PAYLOADS: dict[str, type[EventPayload]] = {
    TICKET_CREATED: schemas.TicketCreated,
    TICKET_ASSIGNED: schemas.TicketAssigned,
    TICKET_ACCEPTED: schemas.TicketAccepted,
    TICKET_ESCALATED: schemas.TicketEscalated,
    TICKET_RESOLVED: schemas.TicketResolved,
    TICKET_REPLIED: schemas.TicketReplied,
    TICKET_CLOSED: schemas.TicketClosed,
    TICKET_SLA_BREACHED: schemas.TicketSlaBreached,
    TICKET_SLA_WARNING: schemas.TicketSlaWarning,
    TICKET_PRIORITY_CHANGED: schemas.TicketPriorityChanged,
    ONSITE_OFFICE_REQUESTED: schemas.OnsiteOfficeRequested,
    TICKET_TRANSFERRED: schemas.TicketTransferred,
    TICKET_RETURNED: schemas.TicketReturned,
    TICKET_DUPLICATE_LINKED: schemas.TicketDuplicateLinked,
    TICKET_PARENT_RESOLVED: schemas.TicketParentResolved,
    TICKET_BACKSTOP_REQUESTED: schemas.TicketBackstopRequested,
    TICKET_ATTACHMENT_ADDED: schemas.TicketAttachmentAdded,
}
# What the handlers read of each consumed event: payloads are parsed through these first.
READERS: dict[str, type[EventReader]] = {
    "station.created": schemas.StationRead,
    "station.updated": schemas.StationRead,
    "staff.created": schemas.StaffRead,
    "staff.updated": schemas.StaffRead,
    "staff.removed": schemas.StaffRead,
    "department.created": schemas.DepartmentRead,
    "department.updated": schemas.DepartmentRead,
    "onsite_office.resolved": schemas.OnsiteOfficeResolvedRead,
}

outbox = CheckedOutbox(SOURCE, PAYLOADS)
consumer = CheckedConsumer("ticket", READERS)

CONTRACT = EventContract(
    service="ticket",
    title="Ticket service",
    source=SOURCE,
    produces=PAYLOADS,
    consumes=READERS,
    descriptions=PUBLISHED,
    consumer_descriptions=CONSUMED,
)
