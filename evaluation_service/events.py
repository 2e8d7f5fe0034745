"""Every event the evaluation service publishes or consumes, declared in one place."""

from shared.events import EventConsumer, Outbox

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

outbox = Outbox(SOURCE)
consumer = EventConsumer("evaluation")
