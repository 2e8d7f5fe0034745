from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

COMMENT_MAX_LENGTH = 500


class RatingChannel(StrEnum):
    """How the rating arrived (named apart from the ticket's channel: one name per schema in the merged
    OpenAPI)."""

    link = "link"  # the resident opened the link on their own phone
    qr = "qr"  # the resident scanned the QR code the social worker showed
    in_person = "in_person"  # staff submitted on the resident's behalf, once the resident confirmed
    resident_app = "resident_app"  # the resident's app posted the token


Channel = RatingChannel  # the service's own code's name for it


class RatingScores(BaseModel):
    attitude: int = Field(ge=1, le=5, description="Service attitude (服务态度), 1-5.")
    ability: int = Field(ge=1, le=5, description="Service ability (服务能力), 1-5.")
    comment: str | None = Field(None, max_length=COMMENT_MAX_LENGTH)


RESIDENT_CODE_DESCRIPTION = (
    "The six-digit code sent to the resident's phone when a station colleague showed the link at the desk."
)


class TokenRatingCreate(RatingScores):
    token: str = Field(min_length=1, max_length=100)
    channel: Channel = Channel.resident_app
    resident_code: str | None = Field(
        None, max_length=20, description=RESIDENT_CODE_DESCRIPTION + " Not needed for the resident's own link."
    )


class InPersonRatingCreate(RatingScores):
    resident_confirmed: bool = Field(description="The resident saw the scores and confirmed them.")
    resident_code: str | None = Field(
        None,
        max_length=20,
        description=RESIDENT_CODE_DESCRIPTION + " Required: the resident reads it out to confirm the rating is theirs.",
    )


class SubmittedRating(BaseModel):
    """What the person who rated is told: their own rating, nothing else."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    attitude: int
    ability: int
    comment: str | None
    channel: str
    submitted_at: datetime


class FollowUpAction(StrEnum):
    contacted_resident = "contacted_resident"
    talked_to_social_worker = "talked_to_social_worker"
    training_arranged = "training_arranged"
    service_corrected = "service_corrected"
    no_action_needed = "no_action_needed"
    other = "other"


class FollowUpCreate(BaseModel):
    action: FollowUpAction
    note: str = Field(min_length=1, max_length=2000)


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    rating_id: uuid.UUID
    department_id: uuid.UUID | None
    recorded_by: str
    action: str
    note: str
    recorded_at: datetime


class AppealCreate(BaseModel):
    ticket_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=2000)


class AppealOutcome(StrEnum):
    upheld = "upheld"
    rejected = "rejected"


class AppealDecision(BaseModel):
    outcome: AppealOutcome
    note: str = Field(min_length=1, max_length=2000)


class AppealRead(BaseModel):
    """An appeal as its author and the department see it; it carries no scores."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    rating_id: uuid.UUID
    ticket_id: uuid.UUID
    raised_by: str
    reason: str
    raised_at: datetime
    status: str
    decided_by: str | None
    decision_note: str | None
    decided_at: datetime | None


class InboxRating(BaseModel):
    """A rating in the department's inbox. It names no resident."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    attitude: int
    ability: int
    comment: str | None
    channel: str
    submitted_by: str | None
    social_worker_id: str | None
    station_id: uuid.UUID
    community_id: uuid.UUID | None
    community_name: str
    subdistrict_id: uuid.UUID
    department_id: uuid.UUID | None
    service_category: str | None
    ticket_closed_at: datetime
    submitted_at: datetime
    follow_up_required: bool
    follow_up_done: bool
    follow_ups: list[FollowUpRead]
    appeal: AppealRead | None
