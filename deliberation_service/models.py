"""Imports every domain's tables so Alembic sees them all."""

from deliberation_service.audit.models import AuditEntry
from deliberation_service.meetings.models import Attendance, Meeting, Motion, ReviewRating, Vote
from deliberation_service.onsite_office.models import OnsiteCase, OnsiteCommitment, OnsiteInvitation
from deliberation_service.projects.models import Project, ProjectMilestone
from deliberation_service.stations.models import StationCopy

__all__ = [
    "Attendance",
    "AuditEntry",
    "Meeting",
    "Motion",
    "OnsiteCase",
    "OnsiteCommitment",
    "OnsiteInvitation",
    "Project",
    "ProjectMilestone",
    "ReviewRating",
    "StationCopy",
    "Vote",
]
