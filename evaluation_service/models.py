"""Imports every domain's tables so Alembic sees them all."""

from evaluation_service.directory.models import DepartmentCopy, StaffCopy, StationCopy
from evaluation_service.invitations.models import Invitation
from evaluation_service.ratings.models import Appeal, FollowUp, Rating
from evaluation_service.reviews.models import ReviewResult
from evaluation_service.tickets.models import ClosedTicket

__all__ = [
    "Appeal",
    "ClosedTicket",
    "DepartmentCopy",
    "FollowUp",
    "Invitation",
    "Rating",
    "ReviewResult",
    "StaffCopy",
    "StationCopy",
]
