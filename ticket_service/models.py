"""Imports every domain's tables so Alembic sees them all."""

from ticket_service.stations.models import StationCopy
from ticket_service.tickets.models import Ticket

__all__ = ["StationCopy", "Ticket"]
