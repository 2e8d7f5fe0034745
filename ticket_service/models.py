"""Imports every domain's tables so Alembic sees them all."""

from ticket_service.open311.models import ApiKey
from ticket_service.privacy.models import ContactRead
from ticket_service.rota.models import RotaPattern, RotaShift, RotaSwap, StaffLeave
from ticket_service.stations.models import DepartmentCopy, StaffCopy, StationCopy
from ticket_service.tickets.models import Ticket, TicketChange, VideoLinkSession

__all__ = [
    "ApiKey",
    "ContactRead",
    "DepartmentCopy",
    "RotaPattern",
    "RotaShift",
    "RotaSwap",
    "StaffCopy",
    "StaffLeave",
    "StationCopy",
    "Ticket",
    "TicketChange",
    "VideoLinkSession",
]
