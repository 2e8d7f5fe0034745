"""Every event the deliberation service publishes or consumes, declared in one place."""

from deliberation_service import event_schemas as schemas
from shared.asyncapi import EventContract
from shared.events.contract import CheckedConsumer, CheckedOutbox, EventPayload, EventReader

SOURCE = "/doorstep/deliberation"

# A project's stage changes: one type per move of the stage machine (projects/stages.py).
PROJECT_PROPOSED = "project.proposed"
PROJECT_HEARING_SCHEDULED = "project.hearing_scheduled"
PROJECT_APPROVED = "project.approved"
PROJECT_REJECTED = "project.rejected"
PROJECT_IMPLEMENTATION_STARTED = "project.implementation_started"
PROJECT_SUBMITTED_FOR_REVIEW = "project.submitted_for_review"
PROJECT_ACCEPTED = "project.accepted"
PROJECT_REWORK_REQUESTED = "project.rework_requested"
PROJECT_CLOSED = "project.closed"
PROJECT_PROGRESS_REPORTED = "project.progress_reported"
PROJECT_UPDATED = "project.updated"
MEETING_SCHEDULED = "meeting.scheduled"
MEETING_CLOSED = "meeting.closed"
MOTION_DECIDED = "motion.decided"
REVIEW_COMPLETED = "review.completed"
ONSITE_OFFICE_OPENED = "onsite_office.opened"
ONSITE_OFFICE_COMMITMENT_MADE = "onsite_office.commitment_made"
ONSITE_OFFICE_COMMITMENT_FULFILLED = "onsite_office.commitment_fulfilled"
ONSITE_OFFICE_RESOLVED = "onsite_office.resolved"

PUBLISHED = {
    PROJECT_PROPOSED: "A project entered a station and awaits its hearing.",
    PROJECT_HEARING_SCHEDULED: "A hearing was scheduled; the project is published and in the hearing stage.",
    PROJECT_APPROVED: "The hearing's deciding motion passed: the residents approved the project.",
    PROJECT_REJECTED: "The hearing's deciding motion failed: the residents turned the project down.",
    PROJECT_IMPLEMENTATION_STARTED: "Work on an approved project started.",
    PROJECT_SUBMITTED_FOR_REVIEW: "The work is finished (100 %) and awaits its review meeting.",
    PROJECT_ACCEPTED: "The review meeting accepted the finished work.",
    PROJECT_REWORK_REQUESTED: "The review meeting did not accept the work: back to implementation.",
    PROJECT_CLOSED: "An accepted project was closed.",
    PROJECT_PROGRESS_REPORTED: "Implementation progress (percent) was reported.",
    PROJECT_UPDATED: "A project's plan (place, budget, dates, milestones, text) changed.",
    MEETING_SCHEDULED: "A hearing, coordination, review or on-site office meeting was scheduled.",
    MEETING_CLOSED: "A meeting closed with its minutes and attendee count.",
    MOTION_DECIDED: "Voting on a motion closed; carries the frozen result and counts.",
    REVIEW_COMPLETED: "A review meeting closed; carries the residents' quality ratings (for evaluation).",
    ONSITE_OFFICE_OPENED: "An on-site office case was opened (directly or from a ticket).",
    ONSITE_OFFICE_COMMITMENT_MADE: "A department or official committed to an action with a due date.",
    ONSITE_OFFICE_COMMITMENT_FULFILLED: "A commitment made at an on-site office was fulfilled.",
    ONSITE_OFFICE_RESOLVED: "An on-site office case was resolved (updates the ticket it came from).",
}
CONSUMED = {
    "station.created": "Keeps the local copy of stations current (community, time zone).",
    "station.updated": "Keeps the local copy of stations current (community, time zone).",
    "onsite_office.requested": "A ticket asks for an on-site office: opens a case linked to the ticket.",
}

# The payload each event type carries (deliberation_service/event_schemas.py): the outbox refuses any other.
PAYLOADS: dict[str, type[EventPayload]] = {
    PROJECT_PROPOSED: schemas.ProjectState,
    PROJECT_HEARING_SCHEDULED: schemas.ProjectStageChanged,
    PROJECT_APPROVED: schemas.ProjectStageChanged,
    PROJECT_REJECTED: schemas.ProjectStageChanged,
    PROJECT_IMPLEMENTATION_STARTED: schemas.ProjectStageChanged,
    PROJECT_SUBMITTED_FOR_REVIEW: schemas.ProjectStageChanged,
    PROJECT_ACCEPTED: schemas.ProjectStageChanged,
    PROJECT_REWORK_REQUESTED: schemas.ProjectStageChanged,
    PROJECT_CLOSED: schemas.ProjectStageChanged,
    PROJECT_PROGRESS_REPORTED: schemas.ProjectProgressReported,
    PROJECT_UPDATED: schemas.ProjectUpdated,
    MEETING_SCHEDULED: schemas.MeetingScheduled,
    MEETING_CLOSED: schemas.MeetingClosed,
    MOTION_DECIDED: schemas.MotionDecided,
    REVIEW_COMPLETED: schemas.ReviewCompleted,
    ONSITE_OFFICE_OPENED: schemas.OnsiteOfficeOpened,
    ONSITE_OFFICE_COMMITMENT_MADE: schemas.OnsiteOfficeCommitmentMade,
    ONSITE_OFFICE_COMMITMENT_FULFILLED: schemas.OnsiteOfficeCommitmentFulfilled,
    ONSITE_OFFICE_RESOLVED: schemas.OnsiteOfficeResolved,
}
# What the handlers read of each consumed event: payloads are parsed through these first.
READERS: dict[str, type[EventReader]] = {
    "station.created": schemas.StationRead,
    "station.updated": schemas.StationRead,
    "onsite_office.requested": schemas.OnsiteOfficeRequestedRead,
}

outbox = CheckedOutbox(SOURCE, PAYLOADS)
consumer = CheckedConsumer("deliberation", READERS)

CONTRACT = EventContract(
    service="deliberation",
    title="Deliberation service",
    source=SOURCE,
    produces=PAYLOADS,
    consumes=READERS,
    descriptions=PUBLISHED,
    consumer_descriptions=CONSUMED,
)
