"""Every event the evaluation service publishes or consumes, declared in one place."""

from evaluation_service import event_schemas as schemas
from shared.asyncapi import EventContract
from shared.events.contract import CheckedConsumer, CheckedOutbox, EventPayload, EventReader

SOURCE = "/doorstep/evaluation"

INVITATION_CREATED = "evaluation.invitation_created"
INVITATION_RENEWED = "evaluation.invitation_renewed"
EVALUATION_SUBMITTED = "evaluation.submitted"
RESIDENT_CODE_ISSUED = "evaluation.rating_code_issued"
FOLLOW_UP_RECORDED = "evaluation.follow_up_recorded"
APPEAL_RAISED = "evaluation.appeal_raised"
APPEAL_DECIDED = "evaluation.appeal_decided"

PUBLISHED = {
    INVITATION_CREATED: "A resident was invited to rate a closed ticket.",
    INVITATION_RENEWED: (
        "A reopened ticket closed again before it was rated: the invitation names the latest closing, "
        "expires counting from it, and earlier links no longer work."
    ),
    RESIDENT_CODE_ISSUED: (
        "A station colleague showed a rating link at the desk: the notification service sends this code to the "
        "contact of the ticket (looked up by ticket_id; the event names no one), and the form asks for it."
    ),
    EVALUATION_SUBMITTED: "A resident rated a closed ticket; goes to the subdistrict's functional department.",
    FOLLOW_UP_RECORDED: "The department recorded what it did about a rating.",
    APPEAL_RAISED: "A social worker disputed a rating; the department decides.",
    APPEAL_DECIDED: "The department upheld or rejected a dispute about a rating.",
}
CONSUMED = {
    "ticket.closed": "Records the ticket's figures and invites its resident to rate the work.",
    "station.created": "Keeps the local copy of stations (names for pages and reports).",
    "station.updated": "Keeps the local copy of stations (names for pages and reports).",
    "staff.created": "Keeps the local copy of staff (names; only social workers are assessed).",
    "staff.updated": "Keeps the local copy of staff (names; only social workers are assessed).",
    "staff.removed": "Keeps the local copy of staff (names; only social workers are assessed).",
    "department.created": "Keeps the local copy of functional departments (where ratings go).",
    "department.updated": "Keeps the local copy of functional departments (where ratings go).",
    "review.completed": "Records the residents' ratings from a project's review meeting.",
}

# The payload each event type carries (evaluation_service/event_schemas.py): the outbox refuses any other.
PAYLOADS: dict[str, type[EventPayload]] = {
    INVITATION_CREATED: schemas.InvitationIssued,
    INVITATION_RENEWED: schemas.InvitationIssued,
    EVALUATION_SUBMITTED: schemas.EvaluationSubmitted,
    RESIDENT_CODE_ISSUED: schemas.RatingCodeIssued,
    FOLLOW_UP_RECORDED: schemas.FollowUpRecorded,
    APPEAL_RAISED: schemas.AppealRaised,
    APPEAL_DECIDED: schemas.AppealDecided,
}
# What the handlers read of each consumed event: payloads are parsed through these first.
READERS: dict[str, type[EventReader]] = {
    "ticket.closed": schemas.TicketClosedRead,
    "station.created": schemas.StationRead,
    "station.updated": schemas.StationRead,
    "staff.created": schemas.StaffRead,
    "staff.updated": schemas.StaffRead,
    "staff.removed": schemas.StaffRead,
    "department.created": schemas.DepartmentRead,
    "department.updated": schemas.DepartmentRead,
    "review.completed": schemas.ReviewCompletedRead,
}

outbox = CheckedOutbox(SOURCE, PAYLOADS)
consumer = CheckedConsumer("evaluation", READERS)

CONTRACT = EventContract(
    service="evaluation",
    title="Evaluation service",
    source=SOURCE,
    produces=PAYLOADS,
    consumes=READERS,
    descriptions=PUBLISHED,
    consumer_descriptions=CONSUMED,
)
