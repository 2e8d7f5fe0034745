"""Every event the evaluation service publishes or consumes, declared in one place."""

from shared.events import EventConsumer, Outbox

SOURCE = "/doorstep/evaluation"

INVITATION_CREATED = "evaluation.invitation_created"

PUBLISHED = {
    INVITATION_CREATED: "A resident was invited to rate a closed ticket.",
}
CONSUMED = {
    "ticket.closed": "Invites the ticket's resident to rate the social worker who completed it.",
}

outbox = Outbox(SOURCE)
consumer = EventConsumer("evaluation")
