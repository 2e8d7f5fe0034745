"""Imports every domain's tables so Alembic sees them all."""

from ticket_service.attachments.models import Attachment
from ticket_service.open311.models import ApiKey
from ticket_service.privacy.models import ContactRead
from ticket_service.replies.models import TicketMessage
from ticket_service.rota.models import RotaPattern, RotaShift, RotaSwap, StaffLeave
from ticket_service.sla_policies.models import SlaPolicyRow
from ticket_service.stations.models import DepartmentCopy, StaffCopy, StationCopy
from ticket_service.tickets.models import Ticket, TicketChange, VideoLinkSession

__all__ = [
    "ApiKey",
    "Attachment",
    "ContactRead",
    "DepartmentCopy",
    "RotaPattern",
    "RotaShift",
    "RotaSwap",
    "SlaPolicyRow",
    "StaffCopy",
    "StaffLeave",
    "StationCopy",
    "Ticket",
    "TicketChange",
    "TicketMessage",
    "VideoLinkSession",
]
